"""Drift results and retrain decisions on SQLite and MariaDB, through ``DriftStore``
(registry/drift.py)."""

import datetime as dt

import pytest
import sqlalchemy as sa

from ml_platform_assets.registry.drift import DriftStore
from tests.registry_versions import register

D = dt.date(2026, 4, 1)


def _result(store: DriftStore, day: dt.date, share: float, champion: int = 1, **extra) -> int:
    return store.record_result(
        "credit_default",
        day,
        champion,
        share=share,
        drifted_columns=["annual_income"] if share else [],
        columns=[{"column": "annual_income", "score": share, "drifted": bool(share)}],
        rows_reference=6000,
        rows_current=1500,
        report_uri=f"file:///drift/dt={day}/drift.json",
        **extra,
    )


@pytest.fixture
def store(registry) -> DriftStore:
    register(registry)
    register(registry)
    return DriftStore(registry.engine)


def test_the_newest_result_of_a_day_wins_and_ids_only_grow(store) -> None:
    first = _result(store, D, 0.1)
    _result(store, D + dt.timedelta(days=1), 0.2)
    rerun = _result(store, D, 0.4, run_id="run-2")
    assert rerun > first and store.latest_result_id("credit_default") == rerun
    days = store.results("credit_default", champion_version=1)
    assert [(r.day, r.share) for r in days] == [(D + dt.timedelta(days=1), 0.2), (D, 0.4)]
    assert days[1].drifted_columns == ["annual_income"] and days[1].run_id == "run-2"
    assert days[1].columns[0]["score"] == 0.4 and days[1].created_at.tzinfo is not None
    assert store.latest_result_id("another_model") == 0


def test_results_filter_by_champion_and_limit(store) -> None:
    for n in range(5):
        _result(store, D + dt.timedelta(days=n), 0.1 * n, champion=1)
    _result(store, D + dt.timedelta(days=5), 0.9, champion=2)
    assert [r.champion_version for r in store.results("credit_default", 2)] == [2]
    assert len(store.results("credit_default", 1, limit=3)) == 3
    assert len(store.results("credit_default")) == 6


def test_a_result_must_name_a_registered_champion(store) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        _result(store, D, 0.1, champion=9)


def test_decisions_are_appended_and_the_last_trigger_found(store) -> None:
    assert store.last_trigger("credit_default") is None
    store.record_decision("credit_default", triggered=False, reason="Nothing yet.")
    window = (D, D + dt.timedelta(days=2))
    fired = store.record_decision(
        "credit_default",
        triggered=True,
        reason="Drift persisted.",
        window=window,
        run_key="credit_default:drift-retrain:v1:w",
        drift_share=0.4,
        champion_version=1,
        tags={"ml_platform/trigger": "drift"},
    )
    store.record_decision("credit_default", triggered=False, reason="Cooling down.", window=window)
    last = store.last_trigger("credit_default")
    assert last == fired and last.window_end == window[1] and last.tags["ml_platform/trigger"]
    assert [d.reason for d in store.decisions("credit_default")] == [
        "Cooling down.", "Drift persisted.", "Nothing yet."
    ]  # fmt: skip
    assert store.decisions("credit_default", limit=1)[0].triggered is False
