"""Shared data for the core tests."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ml_platform_assets.core.features import build_features
from ml_platform_assets.core.simulate import simulate_day
from ml_platform_assets.core.spec import ModelSpec

# (seed, rows) of the scored samples the metric tests compare with reference implementations.
CASES = [(0, 40), (1, 500), (2, 5_000), (3, 50_000)]


def scored(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores rounded to two decimals (many ties), clipped away from 0 and 1, outcomes drawn."""
    rng = np.random.default_rng(seed)
    score = np.clip(np.round(rng.beta(2, 8, n), 2), 0.01, 0.99)
    y = (rng.random(n) < score).astype(int)
    y[:2] = [0, 1]  # tiny samples must still hold both classes
    return y, score


@pytest.fixture(scope="session")
def labelled_days():
    """Simulated feature rows with their label for ``count`` days from day ``first``."""

    def make(spec: ModelSpec, first: int, count: int, rows: int, seed: int) -> pd.DataFrame:
        frames = []
        for i in range(first, first + count):
            raw = simulate_day(spec, spec.start_date + dt.timedelta(days=i), rows, seed=seed)
            features = build_features(raw, spec).to_pandas()
            frames.append(features.assign(is_bad=raw["is_bad"].to_numpy()))
        return pd.concat(frames, ignore_index=True)

    return make
