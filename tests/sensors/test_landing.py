"""The landing sensor (sensors/landing.py) on the local and S3 object stores: new days are
requested once, as ranged runs; days already ingested from the same files are never requested."""

import datetime as dt

import dagster as dg
import pytest

from ml_platform_assets.assets.common import asset_key
from ml_platform_assets.assets.factory import ingestion_job_name
from ml_platform_assets.core import layout
from ml_platform_assets.core.simulate import simulate_day, split_outcomes
from ml_platform_assets.orchestration.runs import QUIET
from sensors.landing import MAX_RANGE_DAYS, decide, landed_days, landing_sensor_name
from tests.platforms import small_spec

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def _tick(p, cursor: str | None = None):
    return p.evaluate_sensor(landing_sensor_name(p.spec), cursor)


def _run(p, request: dg.RunRequest) -> None:
    """Executes a request as the daemon would launch it: its assets, its range tags."""
    result = p.defs.resolve_job_def(ingestion_job_name(p.spec)).execute_in_process(
        instance=p.instance,
        asset_selection=request.asset_selection,
        tags=request.tags,
        run_config=QUIET,
    )
    assert result.success


def _materialized(p, name: str) -> dict[str, int]:
    """Materializations recorded per partition of the asset."""
    records = p.instance.fetch_materializations(asset_key(p.spec, name), limit=10_000).records
    counts: dict[str, int] = {}
    for record in records:
        partition = record.asset_materialization.partition
        counts[partition] = counts.get(partition, 0) + 1
    return counts


def test_a_backlog_is_one_ranged_run_and_each_day_is_ingested_once(small_platform) -> None:
    p = small_platform
    p.land(3)
    p.store.put_bytes(f"{p.spec.name}/landing/applications/notes.txt", b"not a delivery")
    first = _tick(p)
    [request] = first.run_requests
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (
        p.day(0).isoformat(),
        p.day(2).isoformat(),
    )
    assert [k.path[-1] for k in request.asset_selection] == [
        "raw_applications",
        "features",
        "loan_outcomes",
    ]
    _run(p, request)
    days = {p.day(i).isoformat(): 1 for i in range(3)}
    assert _materialized(p, "features") == days == _materialized(p, "loan_outcomes")

    again = _tick(p, first.cursor)
    assert not again.run_requests
    assert again.skip_message == (
        f"Nothing new to ingest in {p.spec.name}'s landing zone: 3 day(s) ingested from the "
        "files there now."
    )
    p.land(4)  # delivers day 3; days 0-2 are kept as delivered
    later = _tick(p, again.cursor)
    [request] = later.run_requests
    assert request.tags[RANGE_START] == request.tags[RANGE_END] == p.day(3).isoformat()


def test_over_an_ingested_history_it_requests_nothing(small_platform) -> None:
    p = small_platform
    p.land(4)
    p.ingest(0, 3)  # as `ml-platform run` does, on the same instance
    tick = _tick(p)
    assert not tick.run_requests
    assert "4 day(s) ingested from the files there now" in tick.skip_message


def test_a_day_in_flight_is_not_requested_twice(small_platform) -> None:
    p = small_platform
    p.land(2)
    first = _tick(p)
    assert len(first.run_requests) == 1
    again = _tick(p, first.cursor)  # the run has not finished yet
    assert not again.run_requests
    assert "2 requested and not yet ingested" in again.skip_message


def test_a_corrected_file_asks_for_its_day_and_assets_again(small_platform) -> None:
    p = small_platform
    p.land(3)
    p.ingest(0, 2)
    cursor = _tick(p).cursor
    rows = split_outcomes(simulate_day(p.spec, p.day(1), 40, seed=99), p.spec)[0]
    key = next(
        k for k in layout.landing_keys(p.spec.name, "applications", p.day(1)) if p.store.exists(k)
    )
    p.store.put_parquet(key, rows)
    [request] = _tick(p, cursor).run_requests
    assert request.tags[RANGE_START] == request.tags[RANGE_END] == p.day(1).isoformat()
    assert [k.path[-1] for k in request.asset_selection] == ["raw_applications", "features"]
    _run(p, request)
    assert _materialized(p, "raw_applications")[p.day(1).isoformat()] == 2
    assert _materialized(p, "loan_outcomes")[p.day(1).isoformat()] == 1


def test_the_sensor_never_downloads_a_delivery(small_platform, monkeypatch) -> None:
    p = small_platform
    p.land(2)
    p.ingest(0, 0)
    store_class = type(p.store)

    def refuse(self, key):
        raise AssertionError(f"the sensor read {key}")

    monkeypatch.setattr(store_class, "get_bytes", refuse)
    [request] = _tick(p).run_requests
    assert request.tags[RANGE_START] == request.tags[RANGE_END] == p.day(1).isoformat()


def _day(n: int) -> dt.date:
    return small_spec().start_date + dt.timedelta(days=n)


@pytest.mark.parametrize("days", [1, 31, 65])
def test_consecutive_days_go_in_runs_of_at_most_a_month(days) -> None:
    spec = small_spec()
    landed = {_day(i): {"applications": f"a{i}", "outcomes": f"o{i}"} for i in range(days)}
    landed.pop(_day(10), None)  # a gap splits a range

    def every_asset(asked):
        return {d: frozenset({"raw_applications", "features", "loan_outcomes"}) for d in asked}

    tick = decide(spec, landed, {}, every_asset)
    spans = [(last - first).days + 1 for _, first, last, _ in tick.runs]
    assert sum(spans) == len(landed) and max(spans) <= MAX_RANGE_DAYS
    assert len(tick.runs) == {1: 1, 31: 2, 65: 3}[days]


def test_a_simulated_day_waits_for_its_outcomes_file() -> None:
    spec = small_spec()
    key = f"{spec.name}/landing/applications/{_day(0)}.parquet"
    landed = landed_days(spec, {key: "etag-1"})
    tick = decide(spec, landed, {}, lambda asked: {d: frozenset({"loan_outcomes"}) for d in asked})
    assert not tick.runs and tick.waiting == 1
