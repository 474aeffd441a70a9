"""drift_report's automation condition and the automation sensor (sensors/__init__.py),
evaluated by Dagster on a real temporary instance: new features ask for their day's report, a
new champion or an old history asks for nothing, and a backlog of days is one ranged run that
reports every day."""

import dagster as dg

from ml_platform_assets.assets.common import asset_key, partition_range_tags
from ml_platform_assets.assets.factory import drift_job_name
from ml_platform_assets.orchestration.lifecycle import ingest
from ml_platform_assets.orchestration.runs import QUIET
from sensors import automation_sensor_name
from tests.drift_platform import DAYS


def _evaluate(p, cursor=None):
    return dg.evaluate_automation_conditions(defs=p.defs, instance=p.instance, cursor=cursor)


def test_new_features_ask_for_their_days_reports_and_nothing_else(drift_platform) -> None:
    p, report = drift_platform, asset_key(drift_platform.spec, "drift_report")
    assert p.defs.resolve_sensor_def(automation_sensor_name(p.spec)).default_status == (
        dg.DefaultSensorStatus.STOPPED
    )
    # Turned on over an ingested history with a champion: no report is asked for.
    first = _evaluate(p)
    assert first.total_requested == 0

    # The last three days are ingested again, as when their files arrive.
    ingest(p.runner, p.defs, p.spec, p.store, p.day(DAYS - 3), p.day(DAYS - 1), rebuild=True)
    second = _evaluate(p, first.cursor)
    days = {p.day(d).isoformat() for d in range(DAYS - 3, DAYS)}
    assert second.get_requested_partitions(report) == days

    # Requested once: the next evaluation asks again for nothing, nor does a new champion.
    third = _evaluate(p, second.cursor)
    assert third.total_requested == 0
    p.instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key(p.spec, "deployed_model"))
    )
    assert _evaluate(p, third.cursor).total_requested == 0

    config = {**QUIET, "ops": {f"{p.spec.name}__drift_report": {"config": {"html_rows": 0}}}}
    # The sensor asks for the days in one run over the range (drift_report's backfill policy).
    tags = partition_range_tags(p.day(DAYS - 3), p.day(DAYS - 1))
    run = p.defs.resolve_job_def(drift_job_name(p.spec)).execute_in_process(
        instance=p.instance, tags=tags, run_config=config
    )
    assert run.success
    measured = {r.day.isoformat(): r.share for r in p.drift_store.results(p.spec.name)}
    assert set(measured) == days
    for event in run.get_asset_materialization_events():
        metadata = event.materialization.metadata
        assert metadata["drift_share"].value == measured[event.partition]
