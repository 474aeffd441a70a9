"""Point-in-time training sets: windows, maturity, out-of-time split by date, fingerprint."""

import datetime as dt
import io

import pandas as pd
import pytest

from ml_platform_assets.core.spec import Windows, load_specs
from ml_platform_assets.core.training_set import (
    fingerprint,
    point_in_time_join,
    split_summary,
    training_windows,
)

BASE = load_specs()["credit_default"]
SPEC = BASE.model_copy(
    update={
        "windows": Windows(training_days=4, validation_days=1, oot_days=2, label_maturity_days=3),
        "start_date": dt.date(2026, 1, 1),
    }
)
AS_OF = dt.date(2026, 1, 12)


def test_windows_end_maturity_days_before_the_cutoff() -> None:
    w = training_windows(SPEC, AS_OF)
    assert (w.oot_end, w.oot_start) == (dt.date(2026, 1, 9), dt.date(2026, 1, 8))
    assert (w.train_start, w.valid_start, w.train_end) == (
        dt.date(2026, 1, 4), dt.date(2026, 1, 7), dt.date(2026, 1, 7),
    )  # fmt: skip
    assert w.outcome_days[-1] == AS_OF and len(w.feature_days) == 6


def test_windows_before_the_first_day_are_refused_with_the_earliest_cutoff() -> None:
    with pytest.raises(ValueError, match="earliest cutoff is 2026-01-09"):
        training_windows(SPEC, dt.date(2026, 1, 8))


def _features(days: list[int]) -> pd.DataFrame:
    stamps = [pd.Timestamp(2026, 1, d, 12) for d in days]
    return pd.DataFrame(
        {
            "application_id": [f"app{i}" for i in range(len(days))],
            "applied_at": stamps,
            "annual_income": [1.0] * len(days),
        }
    )


def test_join_uses_only_outcomes_known_by_the_cutoff() -> None:
    features = _features([4, 5, 7, 8, 9])
    outcomes = pd.DataFrame(
        {
            "application_id": ["app0", "app1", "app2", "app3", "app4"],
            "outcome_date": pd.to_datetime(
                ["2026-01-07", "2026-01-13", "2026-01-10", "2026-01-11", "2026-01-03"]
            ),
            "is_bad": [1, 1, 0, 0, 1],
        }
    )
    splits, dropped = point_in_time_join(features, outcomes, SPEC, training_windows(SPEC, AS_OF))
    # app1's outcome is known only after the cutoff; app4's predates its application.
    assert splits["train"]["application_id"].tolist() == ["app0"]
    assert splits["valid"]["application_id"].tolist() == ["app2"]
    assert splits["oot"]["application_id"].tolist() == ["app3"]
    assert dropped == {"unlabelled": 1, "outcome_before_application": 1}
    assert split_summary(splits)["train"] == {"rows": 1, "bad_rate": 1.0}


def test_fingerprint_is_content_based_and_survives_parquet() -> None:
    splits = {
        name: _features([4, 5]).assign(is_bad=pd.Series([0, 1], dtype="int8"), state=["CA", None])
        for name in ("train", "valid", "oot")
    }
    roundtrip = {}
    for name, frame in splits.items():
        buffer = io.BytesIO()
        frame.to_parquet(buffer)
        roundtrip[name] = pd.read_parquet(io.BytesIO(buffer.getvalue()))
    assert fingerprint(splits) == fingerprint(roundtrip)
    changed = dict(splits, oot=splits["oot"].assign(is_bad=pd.Series([1, 1], dtype="int8")))
    assert fingerprint(changed) != fingerprint(splits)
