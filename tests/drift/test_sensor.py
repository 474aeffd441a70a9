"""The drift retrain sensor on a real temporary instance, over drift_report materializations.

Each test starts from the same prepared platform (champion trained before the income shock)
with no drift results or decisions recorded, materializes the days it needs, and evaluates the
sensor with ``dg.build_sensor_context``; every decision must be on record with its reason.
"""

import json

from ml_platform_assets.assets.factory import training_job_name
from sensors.drift import RUN_KEY_TAG, retrain_run_key
from tests.drift.conftest import drift_spec


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


def test_required_days_request_one_run_and_a_repeated_tick_none(drift_platform) -> None:
    p = drift_platform
    p.report(13, 14, 15)
    first = p.tick()
    [request] = first.run_requests
    window = p.window(13, 15)
    assert request.job_name in (None, training_job_name(p.spec))
    assert request.run_key == retrain_run_key(p.spec, 1, window)
    assert request.tags["ml_platform/drift_window"] == "2026-01-14..2026-01-16"
    assert "annual_income" in request.tags["ml_platform/drifted_columns"].split(",")
    assert float(request.tags["ml_platform/drift_share"]) >= 0.1
    assert request.run_config["ops"]["credit_default__training_set"]["config"]["as_of"] == (
        "2026-01-16"
    )
    [decision] = p.drift_store.decisions(p.spec.name)
    assert decision.triggered and decision.run_key == request.run_key
    assert (decision.window_start, decision.window_end) == window

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
    p.report(12, 13, 14)
    assert p.tick().run_requests
    p.report(15)
    held = p.tick()
    assert not held.run_requests
    assert "the 2-day cooldown lasts until 2026-01-17" in held.skip_message
    p.report(16)
    [request] = p.tick(held.cursor).run_requests
    assert request.tags["ml_platform/drift_window"] == "2026-01-15..2026-01-17"


def test_too_few_matured_outcomes_is_a_skip_with_that_reason(drift_platform) -> None:
    p = drift_platform.with_spec(drift_spec(min_matured_labels=100_000))
    p.report(13, 14, 15)
    tick = p.tick()
    assert not tick.run_requests
    # Outcomes that became known on days 12-15, after the champion's cutoff (day 11): 4 x 1,500.
    assert tick.skip_message.endswith(
        "but only 6,000 outcomes have matured since the champion's training cutoff; "
        "100,000 are needed to retrain."
    )


def test_the_cursor_survives_a_restart_and_a_bad_one_means_a_fresh_start(drift_platform) -> None:
    p = drift_platform
    p.report(13)
    cursor = p.tick().cursor
    assert json.loads(cursor) == {"champion": 1, "result_id": json.loads(cursor)["result_id"]}
    assert "No new drift result" in p.tick(cursor).skip_message
    assert "No new drift result" not in p.tick("not json").skip_message
    p.report(14)
    assert "for 2 days in a row" in p.tick(cursor).skip_message
