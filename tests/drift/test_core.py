"""Drift measurement and the retrain decision as plain functions: no Dagster, no storage."""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from ml_platform_assets.core import drift as drift_module
from ml_platform_assets.core.drift import error_bound, measure_drift, render_html, sample_indices
from ml_platform_assets.core.retrain import decide_retrain
from ml_platform_assets.core.spec import Drift
from tests.assets.conftest import small_spec

SPEC = small_spec()
COLUMNS = ["annual_income", "bureau_score", "phone_verified", "state"]
GUARDS = Drift(share_threshold=0.3, consecutive_days=3, min_matured_labels=1000, cooldown_days=7)
D = dt.date(2026, 3, 1)


def _frame(rows: int, seed: int, income_scale: float = 1.0, other_state: float = 0.45):
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


def test_scores_are_evidently_value_drift_scores() -> None:
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    reference, current = _frame(4000, 1), _frame(3000, 2, income_scale=0.8, other_state=0.6)
    result = measure_drift(reference, current, SPEC, columns=COLUMNS)
    definition = DataDefinition(numerical_columns=COLUMNS[:3], categorical_columns=["state"])
    snapshot = Report([ValueDrift(column=c) for c in COLUMNS]).run(
        current_data=Dataset.from_pandas(current, data_definition=definition),
        reference_data=Dataset.from_pandas(reference, data_definition=definition),
    )
    expected = {m["config"]["column"]: m["value"] for m in snapshot.dict()["metrics"]}
    assert {c.column: c.score for c in result.columns} == pytest.approx(expected, abs=1e-12)
    assert [c.method for c in result.columns] == [
        "wasserstein", "wasserstein", "jensenshannon", "jensenshannon"
    ]  # fmt: skip
    assert result.drifted_columns == ["annual_income", "state"] and result.share == 0.5
    assert all(c.exact and c.error_bound == 0 for c in result.columns)


def test_samples_keep_the_decisions_and_state_their_error_bound() -> None:
    reference, current = _frame(60_000, 3), _frame(60_000, 4, income_scale=0.8)
    full = measure_drift(reference, current, SPEC, columns=COLUMNS, sample_rows=10**9)
    sampled = measure_drift(reference, current, SPEC, columns=COLUMNS, sample_rows=20_000)
    assert sampled.rows_compared == (20_000, 20_000) and sampled.rows_current == 60_000
    assert sampled.drifted_columns == full.drifted_columns == ["annual_income"]
    for s, f in zip(sampled.columns, full.columns, strict=True):
        assert not s.exact and 0 < s.error_bound < 0.03
        assert abs(s.score - f.score) <= drift_module.MARGIN * s.error_bound


def test_a_score_too_close_to_its_threshold_is_recomputed_on_all_rows(monkeypatch) -> None:
    reference, current = _frame(20_000, 5), _frame(20_000, 6)
    monkeypatch.setattr(drift_module, "MARGIN", 1e6)  # every sampled score counts as close
    result = measure_drift(reference, current, SPEC, columns=COLUMNS, sample_rows=2_000)
    exact = measure_drift(reference, current, SPEC, columns=COLUMNS, sample_rows=10**9)
    assert all(c.exact for c in result.columns)
    assert [c.score for c in result.columns] == [c.score for c in exact.columns]


def test_the_stat_test_is_chosen_as_on_all_rows() -> None:
    # Six distinct values, one of them rare: a small sample sees five, which would switch
    # Evidently from Wasserstein to Jensen-Shannon; the choice follows all rows instead.
    values = np.r_[np.tile(np.arange(5.0), 4_000), [5.0] * 3]
    frame = pd.DataFrame({"bureau_score": values})
    result = measure_drift(frame, frame, SPEC, columns=["bureau_score"], sample_rows=1_500)
    assert result.columns[0].method == "wasserstein"


@pytest.mark.parametrize(
    ("method", "expected"),
    [("wasserstein", (0.03, 0.06)), ("jensenshannon", (0.05, 0.1)), ("psi", (np.inf, np.inf))],
)
def test_error_bound_by_method(method: str, expected: tuple[float, float]) -> None:
    values = pd.Series(np.random.default_rng(0).normal(0, 1, 5_000).round(1))
    bound = error_bound(method, values, values, (100_000, 100_000))
    assert expected[0] <= bound <= expected[1]
    assert error_bound(method, values, values, (5_000, 5_000)) == 0


def test_a_vanished_column_drifts_and_an_unseen_one_does_not() -> None:
    reference, current = _frame(2000, 7), _frame(2000, 8)
    current["annual_income"] = np.nan
    reference["bureau_score"] = np.nan
    by_column = {
        c.column: c for c in measure_drift(reference, current, SPEC, columns=COLUMNS).columns
    }
    assert by_column["annual_income"].drifted and by_column["annual_income"].score is None
    assert not by_column["bureau_score"].drifted


@pytest.mark.parametrize(
    ("reference", "current", "problem"),
    [
        (_frame(10, 0), _frame(10, 0).drop(columns="state"), "current rows lack state"),
        (_frame(10, 0).iloc[0:0], _frame(10, 0), "reference rows are empty"),
    ],
)
def test_unusable_input_is_named(reference, current, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        measure_drift(reference, current, SPEC, columns=COLUMNS)


def test_sample_indices_are_bounded_sorted_and_reproducible() -> None:
    assert sample_indices(10, 20, 0) is None
    picked = sample_indices(1_000, 100, 3)
    assert len(picked) == 100 == len(set(picked)) and (np.diff(picked) > 0).all()
    assert (picked == sample_indices(1_000, 100, 3)).all()


def test_result_json_and_html_page() -> None:
    reference, current = _frame(1500, 9), _frame(1500, 10, income_scale=0.7)
    reference = reference.reindex(columns=SPEC.model_features, fill_value=1.0)
    current = current.reindex(columns=SPEC.model_features, fill_value=1.0)
    for frame in (reference, current):
        for column, feature in SPEC.features.categorical.items():
            frame[column] = feature.values[0]
    result = measure_drift(reference, current, SPEC)
    record = json.loads(result.to_json())
    assert (
        record["drifted_columns"] == result.drifted_columns
        and "annual_income" in record["drifted_columns"]
    )
    assert [c["column"] for c in record["columns"]] == SPEC.drift_columns
    assert "is_weekend" not in SPEC.drift_columns
    page = render_html(reference, current, SPEC, rows=1200)
    assert "<html" in page[:200] and "annual_income" in page


def _days(*shares: float, end: dt.date = D) -> dict[dt.date, float]:
    return {end - dt.timedelta(days=len(shares) - 1 - i): s for i, s in enumerate(shares)}


@pytest.mark.parametrize(
    ("shares", "labels", "last", "trigger", "reason"),
    [
        ({}, 5000, None, False, "No drift has been measured"),
        (
            _days(0.5, 0.5, 0.1),
            5000,
            None,
            False,
            "on 2026-03-01 was 10.0%, below the threshold of 30%",
        ),
        (
            _days(0.5, 0.5),
            5000,
            None,
            False,
            "for 2 days in a row through 2026-03-01; 3 are needed",
        ),
        (_days(0.4, 0.0, 0.4, 0.4), 5000, None, False, "for 2 days in a row"),
        (_days(0.3, 0.3, 0.3), 5000, None, True, "for 3 days (2026-02-27..2026-03-01), 5,000"),
        (_days(0.5, 0.5, 0.5), 999, None, False, "only 999 outcomes have matured"),
        (_days(0.5, 0.5, 0.5), 5000, D - dt.timedelta(days=6), False, "cooldown lasts until"),
        (_days(0.5, 0.5, 0.5), 5000, D - dt.timedelta(days=7), True, "retraining."),
        (_days(0.5, 0.5, 0.5), 5000, D, True, "retraining."),  # the same window again
    ],
)
def test_decide_retrain(shares, labels, last, trigger, reason) -> None:
    decision = decide_retrain(shares, GUARDS, labels, last, D)
    assert decision.trigger is trigger
    assert reason in decision.reason
    if trigger:
        assert decision.window == (D - dt.timedelta(days=2), D)


def test_decide_retrain_ignores_days_after_today() -> None:
    shares = _days(0.5, 0.5, 0.5, 0.0, end=D + dt.timedelta(days=1))
    assert decide_retrain(shares, GUARDS, 5000, None, D).trigger
