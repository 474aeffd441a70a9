"""Simulated days for the drift tests of core/drift.py and pages/drift.py: four columns of the
small spec (a skewed number, a bell-shaped one, a flag and a category) drawn from seeds."""

import numpy as np
import pandas as pd

from tests.platforms import small_spec

SPEC = small_spec()
COLUMNS = ["annual_income", "bureau_score", "phone_verified", "state"]


def drift_frame(rows: int, seed: int, income_scale: float = 1.0, other_state: float = 0.45):
    """``rows`` applications over ``COLUMNS``; ``income_scale`` and ``other_state`` shift the
    income and the share of the ``other`` state."""
    rng = np.random.default_rng(seed)
    states = rng.choice(["CA", "TX", "other"], rows, p=[0.3, 0.7 - other_state, other_state])
    return pd.DataFrame(
        {
            "annual_income": rng.lognormal(11, 0.5, rows) * income_scale,
            "bureau_score": rng.normal(690, 55, rows).round(),
            "phone_verified": (rng.random(rows) < 0.8).astype(int),
            "state": pd.Series(states, dtype="object"),
        }
    )


def income_cut_days() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two days of 1,500 rows over every model feature, incomes cut by 30 % on the second; the
    columns beyond ``COLUMNS`` hold one value (1.0, or the first level) throughout."""
    reference, current = drift_frame(1500, 9), drift_frame(1500, 10, income_scale=0.7)
    reference = reference.reindex(columns=SPEC.model_features, fill_value=1.0)
    current = current.reindex(columns=SPEC.model_features, fill_value=1.0)
    for frame in (reference, current):
        for column, feature in SPEC.features.categorical.items():
            frame[column] = feature.values[0]
    return reference, current
