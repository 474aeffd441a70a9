"""Ingesting days again costs little (assets/ingestion_plan.py): a day already ingested from the
same landing files by the same code is not redone, unless the file changed, the code changed, or
a rebuild is asked for. Runs on the embedded and the real backends."""

import datetime as dt

from ml_platform_assets.assets.common import asset_key
from ml_platform_assets.assets.ingestion_plan import IngestionPlan, plan_ingestion
from ml_platform_assets.core import layout
from ml_platform_assets.core.simulate import simulate_day, split_outcomes
from ml_platform_assets.orchestration.lifecycle import ingest


def _runs(p) -> int:
    return len(p.instance.get_runs())


def _materializations(p, name: str) -> int:
    records = p.instance.fetch_materializations(asset_key(p.spec, name), limit=10_000).records
    return len(records)


def test_a_second_ingestion_of_the_same_files_redoes_nothing(small_platform) -> None:
    p = small_platform
    p.land(4)
    first = ingest(p.runner, p.defs, p.spec, p.store, p.day(0), p.day(3))
    runs, written = _runs(p), _materializations(p, "raw_applications")
    again = ingest(p.runner, p.defs, p.spec, p.store, p.day(0), p.day(3))
    assert _runs(p) == runs and _materializations(p, "raw_applications") == written
    # The summary still counts every day, from what was recorded, marked unchanged.
    for name in ("raw_applications", "features", "loan_outcomes"):
        assert (again[name].days, again[name].unchanged) == (4, 4)
        assert again[name].kept == first[name].kept and again[name].kept > 0
        assert again[name].delivered == first[name].delivered


def test_only_the_redelivered_day_is_redone(small_platform) -> None:
    p = small_platform
    p.land(4)
    ingest(p.runner, p.defs, p.spec, p.store, p.day(0), p.day(3))
    applications = split_outcomes(simulate_day(p.spec, p.day(2), 40, seed=99), p.spec)[0]
    # A corrected file of 40 rows dropped into the landing zone over the delivered one.
    key = next(
        k for k in layout.landing_keys(p.spec.name, "applications", p.day(2)) if p.store.exists(k)
    )
    p.store.put_parquet(key, applications)
    plan = plan_ingestion(p.defs, p.spec, p.instance, p.store, p.day(0), p.day(3))
    assert plan.todo == [p.day(2)] and sorted(plan.unchanged) == [p.day(0), p.day(1), p.day(3)]
    summaries = ingest(p.runner, p.defs, p.spec, p.store, p.day(0), p.day(3))
    assert summaries["raw_applications"].unchanged == 3
    event = p.instance.get_latest_materialization_event(asset_key(p.spec, "raw_applications"))
    assert event.asset_materialization.partition == p.day(2).isoformat()
    assert event.asset_materialization.metadata["dagster/row_count"].value == 40


def test_a_rebuild_or_a_changed_asset_redoes_every_day(small_platform) -> None:
    p = small_platform
    p.land(3)
    ingest(p.runner, p.defs, p.spec, p.store, p.day(0), p.day(2))
    plan = plan_ingestion(p.defs, p.spec, p.instance, p.store, p.day(0), p.day(2), rebuild=True)
    assert plan.todo == [p.day(0), p.day(1), p.day(2)]
    written = _materializations(p, "features")
    summaries = ingest(p.runner, p.defs, p.spec, p.store, p.day(0), p.day(2), rebuild=True)
    assert summaries["features"].unchanged == 0
    assert _materializations(p, "features") == written + 3
    # Another feature definition is another code version of features: every day is redone.
    derived = dict(p.spec.features.derived)
    name, ratio = next(iter(derived.items()))
    changed = p.spec.model_copy(
        update={
            "features": p.spec.features.model_copy(
                update={
                    "derived": {
                        **derived,
                        name: ratio.model_copy(update={"ratio": ratio.ratio[::-1]}),
                    }
                }
            )
        }
    )
    other = p.with_spec(changed)
    key = asset_key(changed, "features")
    assert (
        other.defs.get_assets_def(key).code_versions_by_key[key]
        != (p.defs.get_assets_def(key).code_versions_by_key[key])
    )
    plan = plan_ingestion(other.defs, changed, p.instance, p.store, p.day(0), p.day(2))
    assert plan.todo == [p.day(0), p.day(1), p.day(2)]


def test_a_day_never_ingested_is_done(small_platform) -> None:
    p = small_platform
    p.land(3)
    ingest(p.runner, p.defs, p.spec, p.store, p.day(0), p.day(1))
    plan = plan_ingestion(p.defs, p.spec, p.instance, p.store, p.day(0), p.day(2))
    assert plan.todo == [p.day(2)] and sorted(plan.unchanged) == [p.day(0), p.day(1)]


def test_days_to_do_run_in_chunks_of_consecutive_days() -> None:
    d = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(8)]
    plan = IngestionPlan(todo=[d[0], d[2], d[3], d[4], d[5], d[7]])
    assert plan.ranges(30) == [(d[0], d[0]), (d[2], d[5]), (d[7], d[7])]
    assert plan.ranges(3) == [(d[0], d[0]), (d[2], d[4]), (d[5], d[5]), (d[7], d[7])]
