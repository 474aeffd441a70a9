"""Fixtures for the core tests."""

import datetime as dt

import pandas as pd
import pytest

from ml_platform_assets.core.features import build_features
from ml_platform_assets.core.simulate import simulate_day
from ml_platform_assets.core.spec import ModelSpec


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
