"""The landing sensor on the local and S3 object stores: each new file asks for its day once."""

import dagster as dg

from ml_platform_assets.assets.factory import ingestion_job_name
from ml_platform_assets.cli.lifecycle import QUIET
from sensors.landing import landing_sensor_name


def _tick(p, cursor: str | None = None):
    return p.evaluate_sensor(landing_sensor_name(p.spec), cursor)


def test_new_files_request_their_day_once_and_the_run_ingests_it(small_platform) -> None:
    p = small_platform
    p.land(2)
    p.store.put_bytes(f"{p.spec.name}/landing/applications/notes.txt", b"not a delivery")
    first = _tick(p)
    by_key = {r.tags["ml_platform/landing_key"]: r for r in first.run_requests}
    day0 = p.day(0).isoformat()
    applications = by_key[f"{p.spec.name}/landing/applications/{day0}.parquet"]
    outcomes = by_key[f"{p.spec.name}/landing/outcomes/{day0}.parquet"]
    assert len(by_key) == 4 and applications.partition_key == day0
    assert applications.run_key.startswith(f"{p.spec.name}/landing/applications/{day0}.parquet@")
    assert [k.path[-1] for k in applications.asset_selection] == ["raw_applications", "features"]
    assert [k.path[-1] for k in outcomes.asset_selection] == ["loan_outcomes"]

    result = p.defs.resolve_job_def(ingestion_job_name(p.spec)).execute_in_process(
        instance=p.instance,
        partition_key=applications.partition_key,
        asset_selection=applications.asset_selection,
        tags=applications.tags,
        run_config=QUIET,
    )
    assert result.success
    features = dg.AssetKey([p.spec.name, "features"])
    assert p.instance.get_materialized_partitions(features) == {day0}

    again = _tick(p, first.cursor)
    assert not again.run_requests
    assert (
        again.skip_message == f"No new files in {p.spec.name}'s landing zone (4 already handled)."
    )
    p.land(3)  # delivers day 2; days 0 and 1 are kept as delivered
    later = _tick(p, again.cursor)
    assert {r.partition_key for r in later.run_requests} == {p.day(2).isoformat()}
    assert len(later.run_requests) == 2


def test_the_sensor_never_downloads_a_delivery(small_platform, monkeypatch) -> None:
    p = small_platform
    p.land(1)
    store_class = type(p.store)

    def refuse(self, key):
        raise AssertionError(f"the sensor read {key}")

    monkeypatch.setattr(store_class, "get_bytes", refuse)
    tick = _tick(p)
    assert len(tick.run_requests) == 2
    etags = {r.run_key.rsplit("@", 1)[1] for r in tick.run_requests}
    monkeypatch.undo()
    keys = [r.tags["ml_platform/landing_key"] for r in tick.run_requests]
    assert etags == {p.store.etag(k) for k in keys}
