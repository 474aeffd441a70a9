"""The whole drift loop (orchestration/drift_loop.py), embedded and on MariaDB + SeaweedFS: an
injected income shock is measured day by day, the sensor waits for matured outcomes of the new
regime, fires once, and the retraining run it asks for (trained on post-drift days too, judged
on post-drift days only) executes in process and ends in a new evaluation and a promotion
decision on record."""

import datetime as dt

import dagster as dg

from ml_platform_assets.orchestration.drift_loop import _outcome_line, run_drift_loop
from ml_platform_assets.orchestration.lifecycle import TrainingOutcome
from sensors.drift import RUN_KEY_TAG
from tests.drift_platform import CUTOFF, DAYS, DRIFT_START, DriftPlatform, drift_spec


def test_income_shock_leads_to_one_retraining_and_a_decision_on_record(small_platform) -> None:
    p = DriftPlatform(drift_spec(), small_platform.resources, small_platform.instance).prepare()
    lines: list[str] = []
    summary = run_drift_loop(
        p.runner, p.defs, p.spec, p.day(CUTOFF - 1), p.day(DAYS - 1), lines.append, html_rows=0
    )

    assert summary.shares[p.day(CUTOFF)] < 0.1 <= summary.shares[p.day(DRIFT_START + 2)]
    [outcome] = summary.retrainings  # the cooldown holds back a second one
    run = p.instance.get_run_by_id(outcome.run_id)
    assert run.status == dg.DagsterRunStatus.SUCCESS or outcome.failed_checks
    assert run.tags["ml_platform/trigger"] == "drift"
    # The drift begins on DRIFT_START; the sensor waits until a set cut on the last drifted day
    # learns from 3,000 post-drift labels (two days) and is judged on post-drift days only:
    # trained on days up to DRIFT_START + 1, so cut on DRIFT_START + 9.
    assert run.tags["ml_platform/drift_start"] == str(p.day(DRIFT_START))
    cut = DRIFT_START + 9
    assert run.tags["ml_platform/drift_window"] == f"{p.day(cut - 2)}..{p.day(cut)}"
    version = p.registry.get_version(p.spec.name, 2)
    windows = {k: dt.date.fromisoformat(v) for k, v in version.windows.items()}
    assert windows["as_of"] == p.day(cut)
    assert windows["oot_start"] >= p.day(DRIFT_START)  # judged on the new regime
    assert windows["valid_start"] - dt.timedelta(days=1) >= p.day(DRIFT_START)  # learns it
    assert windows["train_start"] < p.day(DRIFT_START)  # and the old regime too
    assert "annual_income" in run.tags["ml_platform/drifted_columns"]
    assert len(p.instance.get_runs(dg.RunsFilter(tags={RUN_KEY_TAG: run.tags[RUN_KEY_TAG]}))) == 1

    evaluation = p.registry.latest_evaluation(p.spec.name, 2)
    assert evaluation is not None and evaluation["champion_version"] == 1
    history = p.registry.alias_history(p.spec.name)
    if evaluation["passed"]:
        assert [e.to_version for e in history] == [1, 2] and outcome.promoted
    else:
        assert [e.to_version for e in history] == [1]
        assert p.registry.get_version(p.spec.name, 2).status == "rejected"

    decisions = p.drift_store.decisions(p.spec.name, limit=50)
    assert [d.run_key for d in decisions if d.triggered] == [run.tags[RUN_KEY_TAG]]
    assert all(d.reason.endswith(".") for d in decisions)
    assert any("retraining run" in line for line in lines)


def test_a_retraining_whose_version_exists_says_so_rather_than_no_evaluation() -> None:
    summary = "v2 already trained on this data and rejected by its gates: OOT AUC too low"
    outcome = TrainingOutcome("run", False, None, [], {"version": 2, "summary": summary})
    assert _outcome_line(outcome) == f"{summary}; nothing new was trained"
