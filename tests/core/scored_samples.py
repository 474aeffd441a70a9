"""Scored samples for the metric tests, which compare them with reference implementations."""

import numpy as np

# (seed, rows) of the scored samples the metric tests compare with reference implementations.
CASES = [(0, 40), (1, 500), (2, 5_000), (3, 50_000)]


def scored(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores rounded to two decimals (many ties), clipped away from 0 and 1, outcomes drawn."""
    rng = np.random.default_rng(seed)
    score = np.clip(np.round(rng.beta(2, 8, n), 2), 0.01, 0.99)
    y = (rng.random(n) < score).astype(int)
    y[:2] = [0, 1]  # tiny samples must still hold both classes
    return y, score
