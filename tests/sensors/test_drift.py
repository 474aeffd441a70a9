"""The drift retrain sensor (sensors/drift.py) on a real temporary instance, over drift_report
materializations.

Each test starts from the same prepared platform (champion trained before the income shock)
with no drift results or decisions recorded, materializes the days it needs, and evaluates the
sensor with ``dg.build_sensor_context``; every decision must be on record with its reason.
"""

import json

from ml_platform_assets.assets.factory import training_job_name
from ml_platform_assets.services.retraining import retrain_run_key
from sensors.drift import RUN_KEY_TAG
from tests.drift_platform import drift_spec


def test_no_drift_is_a_skip_with_the_share_in_the_reason(drift_platform) -> None:
    p = drift_platform
    p.report(9, 10, 11)
    tick = p.tick()
    assert not tick.run_requests
    assert (
        tick.skip_message == "The drift share on 2026-01-12 was 2.6%, below the threshold of 10%."
    )
    [decision] = p.drift_store.decisions(p.spec.name)
    assert not decision.triggered and decision.reason == tick.skip_message


def test_drift_for_fewer_days_than_required_is_a_skip(drift_platform) -> None:
    p = drift_platform
    p.report(13, 14)
    tick = p.tick()
    assert not tick.run_requests
    assert "for 2 days in a row through 2026-01-15; 3 are needed" in tick.skip_message
    assert p.drift_store.decisions(p.spec.name)[0].window_end == p.day(14)


def test_drift_waits_until_the_out_of_time_window_is_in_the_new_regime(drift_platform) -> None:
    p = drift_platform
    p.report(13, 14, 15, 16, 17)
    tick = p.tick()
    assert not tick.run_requests
    # Cut on day 17, the challenger would be judged on days 12-14; the drift began on day 13.
    assert (
        "but a training set cut on 2026-01-18 would judge the challenger on applications of "
        "2026-01-13..2026-01-15, before the drift began" in tick.skip_message
    )
    assert "a cutoff on 2026-01-19" in tick.skip_message


def test_drift_waits_for_matured_post_drift_outcomes_in_the_training_split(drift_platform) -> None:
    p = drift_platform
    p.report(*range(13, 22))
    tick = p.tick()
    assert not tick.run_requests
    # Cut on day 21 the training split ends on day 13: one post-drift day of 1,500 labels.
    assert tick.skip_message.endswith(
        "but only 1,500 applications made since the drift began on 2026-01-14 have matured "
        "outcomes in the training split of a set cut on 2026-01-22 (applications up to "
        "2026-01-14); 3,000 are needed to retrain."
    )


def test_required_days_request_one_run_and_a_repeated_tick_none(drift_platform) -> None:
    p = drift_platform
    p.report(*range(13, 23))
    first = p.tick()
    [request] = first.run_requests
    window = p.window(20, 22)
    assert request.job_name in (None, training_job_name(p.spec))
    assert request.run_key == retrain_run_key(p.spec, 1, window)
    assert request.tags["ml_platform/drift_window"] == "2026-01-21..2026-01-23"
    assert request.tags["ml_platform/drift_start"] == "2026-01-14"
    # It learns from post-drift days 13-14 and is judged on post-drift days 17-19.
    assert request.tags["ml_platform/training_windows"] == (
        "train 2026-01-12..2026-01-15, valid 2026-01-16..2026-01-17, oot 2026-01-18..2026-01-20"
    )
    assert "annual_income" in request.tags["ml_platform/drifted_columns"].split(",")
    assert float(request.tags["ml_platform/drift_share"]) >= 0.1
    assert request.run_config["ops"]["credit_default__training_set"]["config"]["as_of"] == (
        "2026-01-23"
    )
    assert (
        "3,000 applications made since the drift began on 2026-01-14"
        in (request.tags["ml_platform/reason"])
    )
    [decision] = p.drift_store.decisions(p.spec.name)
    assert decision.triggered and decision.run_key == request.run_key
    assert (decision.window_start, decision.window_end) == window
    # The trigger is on the audit ledger, by the sensor, and so is the run's trainer.
    trigger = p.registry.audit_history(p.spec.name)[-1]
    assert trigger.event_type == "retrain_triggered"
    assert (
        trigger.actor
        == request.tags["ml_platform/actor"]
        == ("sensor credit_default__drift_retrain_sensor")
    )
    assert trigger.payload["registry_row"] == {"table": "retrain_decisions", "id": decision.id}
    assert trigger.payload["drift_start"] == "2026-01-14"

    # The same tick again, with the cursor the daemon stored: nothing new, no second request.
    again = p.tick(first.cursor)
    assert not again.run_requests and "No new drift result" in again.skip_message
    # After a restart that lost the cursor, the run the daemon created blocks a second one.
    job = p.defs.resolve_job_def(training_job_name(p.spec))
    p.instance.create_run_for_job(
        job, run_config=request.run_config, tags={**request.tags, RUN_KEY_TAG: request.run_key}
    )
    lost = p.tick(None)
    assert not lost.run_requests
    assert "was already requested as run" in lost.skip_message
    assert [d.triggered for d in p.drift_store.decisions(p.spec.name)] == [False, True]


def test_cooldown_holds_back_a_second_trigger_until_it_passes(drift_platform) -> None:
    p = drift_platform.with_spec(drift_spec(cooldown_days=2))
    # (Up to day 23, so that its window is not the one an earlier test's run already holds.)
    p.report(*range(13, 24))
    assert p.tick().run_requests
    p.report(24)
    held = p.tick()
    assert not held.run_requests
    assert "the 2-day cooldown lasts until 2026-01-26" in held.skip_message
    p.report(25)
    [request] = p.tick(held.cursor).run_requests
    assert request.tags["ml_platform/drift_window"] == "2026-01-24..2026-01-26"


def test_too_few_matured_outcomes_is_a_skip_with_that_reason(drift_platform) -> None:
    p = drift_platform.with_spec(drift_spec(min_matured_labels=100_000))
    p.report(*range(13, 25))
    tick = p.tick()
    assert not tick.run_requests
    # Cut on day 24 the training split holds post-drift days 13-16: 4 x 1,500 labels.
    assert "but only 6,000 applications made since the drift began" in tick.skip_message
    assert tick.skip_message.endswith("100,000 are needed to retrain.")


def test_the_cursor_survives_a_restart_and_a_bad_one_means_a_fresh_start(drift_platform) -> None:
    p = drift_platform
    p.report(13)
    cursor = p.tick().cursor
    assert json.loads(cursor) == {"champion": 1, "result_id": json.loads(cursor)["result_id"]}
    assert "No new drift result" in p.tick(cursor).skip_message
    assert "No new drift result" not in p.tick("not json").skip_message
    p.report(14)
    assert "for 2 days in a row" in p.tick(cursor).skip_message
