"""Dagster's own bookkeeping in a lifecycle: the events each run writes and what they cost.

Used by ``bench/pipeline.py`` on the instance a lifecycle has just run on, after the clock:

- ``run_accounts``: for each run, its job, its steps' durations and its events by type;
- ``replay_ingestion``: the ingestion job rebuilt from assets that do no work (the same daily
  partitions, single-run backfill policy, asset and check specs, chunks of days and run tags),
  run as the lifecycle runs ingestion. With ``metadata=True`` each partition gets the metadata
  the real run recorded for it, replayed from the instance, so the replay writes the same
  events with the same content: its time is what Dagster alone costs for ingestion. Without
  metadata it shows what the metadata costs; with one chunk, what the runs cost; on
  ``consolidated_sqlite_instance``, what the SQLite event log's layout costs.
"""

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from ml_platform_assets.assets.common import (
    asset_key,
    daily_partitions,
    partition_range_tags,  # noqa: E402
)
from ml_platform_assets.assets.factory import INGESTION_ASSETS, ingestion_job_name
from ml_platform_assets.assets.ingestion import QUARANTINE_CHECK, build_applications
from ml_platform_assets.assets.ingestion import build_loan_outcomes as real_loan_outcomes
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.orchestration.lifecycle import CHUNK_DAYS  # noqa: E402
from ml_platform_assets.orchestration.runs import QUIET  # noqa: E402

NOOP = "bench_noop"  # the replay's model name: its assets live under bench_noop/


@dataclass
class RunAccount:
    """One run's job, steps (seconds from STEP_START to its end) and events by type."""

    job: str
    steps: dict[str, float] = field(default_factory=dict)
    events: Counter = field(default_factory=Counter)


def run_accounts(instance: dg.DagsterInstance) -> list[RunAccount]:
    """Every run on ``instance``, oldest first."""
    accounts = []
    for run in reversed(instance.get_runs()):
        account, started = RunAccount(run.job_name), {}
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            kind = event.event_type_value if event else "LOG_MESSAGE"
            account.events[kind] += 1
            if kind == "STEP_START":
                started[entry.step_key] = entry.timestamp
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and entry.step_key in started:
                account.steps[entry.step_key] = entry.timestamp - started[entry.step_key]
        accounts.append(account)
    return accounts


def _recorded(instance: dg.DagsterInstance, spec: ModelSpec) -> dict[str, dict[str, dict]]:
    """Each ingestion asset's recorded metadata by partition."""
    out = {}
    for name in INGESTION_ASSETS:
        found = instance.fetch_materializations(asset_key(spec, name), limit=10_000)
        out[name] = {
            r.asset_materialization.partition: dict(r.asset_materialization.metadata)
            for r in found.records
        }
    return out


def _noop_definitions(
    spec: ModelSpec, recorded: dict[str, dict[str, dict]] | None
) -> tuple[dg.Definitions, ModelSpec]:
    """The ingestion job's shape under ``bench_noop/``, its assets doing no work."""
    noop = spec.model_copy(update={"name": NOOP})
    raw, features, outcomes = (asset_key(noop, name) for name in INGESTION_ASSETS)
    real = {
        s.key.path[-1]: s
        for a in (build_applications(spec), real_loan_outcomes(spec))
        for s in a.specs
    }
    checks = {
        name: dg.AssetCheckSpec(QUARANTINE_CHECK, asset=key, description="replayed check")
        for name, key in (("raw_applications", raw), ("loan_outcomes", outcomes))
    }

    def spec_of(name: str, key: dg.AssetKey, deps: list[dg.AssetKey]) -> dg.AssetSpec:
        return real[name].replace_attributes(key=key, deps=deps, group_name=NOOP)

    def replay(context: dg.AssetExecutionContext, name: str, key: dg.AssetKey):
        if recorded is not None:
            for day in context.partition_keys:
                context.add_asset_metadata(recorded[name][day], asset_key=key, partition_key=day)
        return dg.MaterializeResult(asset_key=key)

    def check(name: str, key: dg.AssetKey, days: int) -> dg.AssetCheckResult:
        # A description and metadata the size of the real check's on a clean range.
        return dg.AssetCheckResult(
            asset_key=key,
            check_name=QUARANTINE_CHECK,
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"every one of {days} day(s) quarantined at most 5%",
            metadata={"days_over_limit": 0, "max_quarantine_share": 0.0, "limit": 0.05},
        )

    partitions, policy = daily_partitions(spec), dg.BackfillPolicy.single_run()

    @dg.multi_asset(
        name=f"{NOOP}__applications",
        specs=[spec_of("raw_applications", raw, []), spec_of("features", features, [raw])],
        check_specs=[checks["raw_applications"]],
        partitions_def=partitions,
        backfill_policy=policy,
        can_subset=True,
    )
    def applications(context: dg.AssetExecutionContext):
        yield replay(context, "raw_applications", raw)
        yield check("raw_applications", raw, len(context.partition_keys))
        yield replay(context, "features", features)

    @dg.multi_asset(
        name=f"{NOOP}__loan_outcomes",
        specs=[spec_of("loan_outcomes", outcomes, [])],
        check_specs=[checks["loan_outcomes"]],
        partitions_def=partitions,
        backfill_policy=policy,
    )
    def loan_outcomes(context: dg.AssetExecutionContext):
        yield replay(context, "loan_outcomes", outcomes)
        yield check("loan_outcomes", outcomes, len(context.partition_keys))

    job = dg.define_asset_job(ingestion_job_name(noop), selection=[raw, features, outcomes])
    return dg.Definitions(assets=[applications, loan_outcomes], jobs=[job]), noop


@dataclass(frozen=True)
class Replay:
    seconds: float
    runs: int
    events: int


def replay_ingestion(
    instance: dg.DagsterInstance,
    spec: ModelSpec,
    first: dt.date,
    last: dt.date,
    *,
    metadata: bool = True,
    chunk_days: int = CHUNK_DAYS,
    run_on: dg.DagsterInstance | None = None,
) -> Replay:
    """Runs the no-op ingestion over ``first``..``last`` as ``lifecycle.ingest`` runs the real
    one (chunks of days, one run each, the same tags and config), with the metadata recorded on
    ``instance``, on ``run_on`` (default: the same instance); seconds, runs and events."""
    recorded = _recorded(instance, spec) if metadata else None
    defs, noop = _noop_definitions(spec, recorded)
    job = defs.resolve_job_def(ingestion_job_name(noop))
    target = run_on or instance
    before = {r.run_id for r in target.get_runs()}
    start_clock, start = time.perf_counter(), first
    while start <= last:
        end = min(start + dt.timedelta(days=chunk_days - 1), last)
        result = job.execute_in_process(
            instance=target,
            run_config=QUIET,
            tags=partition_range_tags(start, end),
            raise_on_error=False,
        )
        if not result.success:
            raise RuntimeError(f"the no-op ingestion of {start}..{end} failed")
        start = end + dt.timedelta(days=1)
    seconds = time.perf_counter() - start_clock
    runs = [r.run_id for r in target.get_runs() if r.run_id not in before]
    events = sum(len(target.all_logs(run_id)) for run_id in runs)
    return Replay(seconds, len(runs), events)


# dagster.yaml's SQLite instance with one event log database instead of one per run plus an
# index database that every asset event is written to again.
CONSOLIDATED_SQLITE = """
run_storage:
  module: dagster._core.storage.runs
  class: SqliteRunStorage
  config: {{base_dir: {home}/storage}}
event_log_storage:
  module: dagster._core.storage.event_log
  class: ConsolidatedSqliteEventLogStorage
  config: {{base_dir: {home}/storage}}
schedule_storage:
  module: dagster._core.storage.schedules
  class: SqliteScheduleStorage
  config: {{base_dir: {home}/storage}}
telemetry:
  enabled: false
"""


def consolidated_sqlite_instance(home: Path) -> dg.DagsterInstance:
    """A SQLite instance in ``home`` whose event log is one database (a variant to compare)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(CONSOLIDATED_SQLITE.format(home=home))
    return dg.DagsterInstance.from_config(str(home))
