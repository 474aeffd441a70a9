"""Running a model's lifecycle through Dagster: ingestion over a range of days, then training.

The command line's orchestration: the CLI and the benchmark call this, and both go through the
same jobs a person sees in the UI.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

from ml_platform_assets.assets.common import (  # noqa: F401 - re-exported for its importers
    partition_range_tags,
    registry,
)
from ml_platform_assets.assets.factory import ingestion_job_name, training_job_name
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.registry import ModelRegistry

CHUNK_DAYS = 30
# A run over a range of days records one "materialization planned" event per asset with the
# range, instead of one per asset and day: half of ingestion's events, about 3 s of Dagster's
# SQLite bookkeeping per 120 days (bench/pipeline.py). Dagster's own switch, read when a run
# is created; the Makefile and deployments set it for the runs the UI and the daemon create.
# What it gives up: a failed range run's days show as missing in the UI's partition view, not
# as failed (the run itself shows failed, and ml-platform names the failed step and days).
os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")
# Run logs belong in the instance's event log (the UI); the terminal gets a summary instead.
# Even a failed step stays off the terminal: its error reaches the user as one sentence.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class LifecycleError(RuntimeError):
    """A run that failed for a reason other than a challenger failing its gates."""


@dataclass
class StageSummary:
    """One ingestion asset's rows over a range of days, added up from its partitions."""

    asset: str
    days: int = 0
    delivered: int = 0
    kept: int = 0
    quarantined: int = 0
    reasons: Counter = field(default_factory=Counter)
    notes: Counter = field(default_factory=Counter)
    quarantine_shares: dict[str, float] = field(default_factory=dict)  # by day
    unchanged: int = 0  # days left as they were ingested before (counted from their records)

    def add(self, day: str, metadata: dict, unchanged: bool = False) -> None:
        value = {k: getattr(v, "value", v) for k, v in metadata.items()}
        self.quarantine_shares[day] = float(value.get("quarantine_share", 0.0))
        self.days += 1
        self.unchanged += unchanged
        self.kept += int(value.get("dagster/row_count", 0))
        self.delivered += int(value.get("rows_delivered", value.get("dagster/row_count", 0)))
        self.quarantined += int(value.get("rows_quarantined", 0))
        self.reasons.update(value.get("quarantine_reasons") or {})
        self.notes.update(value.get("notes") or {})

    def over(self, limit: float) -> dict[str, float]:
        """Days whose quarantined share exceeds ``limit``, worst first."""
        days = [(d, s) for d, s in self.quarantine_shares.items() if s > limit]
        return dict(sorted(days, key=lambda kv: -kv[1]))


def _summaries(result: dg.ExecuteInProcessResult, into: dict[str, StageSummary]) -> None:
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        name = materialization.asset_key.path[-1]
        summary = into.setdefault(name, StageSummary(name))
        summary.add(materialization.partition, materialization.metadata)


@dataclass(frozen=True)
class TrainingOutcome:
    """What a training run decided. ``promoted`` is the registry's word, not the run's status:
    true only when this run moved the champion alias to the version it evaluated.
    ``already_trained`` is set when the registry already held this run's version, decided, so
    nothing was trained: the metadata challenger_model observed (``version``, ``status``,
    ``summary``, ...), and ``evaluation`` is None."""

    run_id: str
    promoted: bool
    evaluation: dict | None
    failed_checks: list[str]
    already_trained: dict | None = None


def ingest(
    defs: dg.Definitions,
    spec: ModelSpec,
    instance: dg.DagsterInstance,
    first: dt.date,
    last: dt.date,
    progress: Callable[[dt.date, dt.date], None] | None = None,
    rebuild: bool = False,
) -> dict[str, StageSummary]:
    """Materialize raw_applications, loan_outcomes and features for ``first``..``last``.

    A day already ingested from the same landing files by the same code is left as it is (see
    ``ingestion_plan``) unless ``rebuild``; its recorded counts still go into the summaries,
    marked unchanged. The other days run in chunks of consecutive days (one run each) so
    progress shows and a failure costs one chunk. Returns each asset's rows kept and
    quarantined, with reasons and warnings.
    """
    from ml_platform_assets.assets.ingestion_plan import LANDING_ETAG, plan_ingestion

    store = defs.resources["object_store"].get_store()
    # The store's etag of each landing file, as the landing sensor compares: no file is read
    # just to learn that it is the one already ingested.
    plan = plan_ingestion(defs, spec, instance, store, first, last, rebuild, by=LANDING_ETAG)
    job = defs.resolve_job_def(ingestion_job_name(spec))
    summaries: dict[str, StageSummary] = {}
    for day, recorded in plan.unchanged.items():
        for name, metadata in recorded.items():
            summaries.setdefault(name, StageSummary(name)).add(day.isoformat(), metadata, True)
    if progress and not plan.todo:
        progress(first, last)
    for start, end in plan.ranges(CHUNK_DAYS):
        tags = partition_range_tags(start, end)
        result = job.execute_in_process(
            instance=instance, run_config=QUIET, tags=tags, raise_on_error=False
        )
        if not result.success:
            raise LifecycleError(failure_message(result, f"ingestion of {start}..{end}"))
        _summaries(result, summaries)
        if progress:
            progress(start, end)
    return summaries


def train(
    defs: dg.Definitions,
    spec: ModelSpec,
    instance: dg.DagsterInstance,
    as_of: dt.date | None = None,
    tags: dict[str, str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> TrainingOutcome:
    """Run training_set → challenger_model → model_evaluation → deployed_model.

    ``progress(stage, done, total)`` is called as each stage starts (``done`` stages finished
    before it) and once more when the last one has finished (``stage`` empty).

    A challenger that fails a gate is an expected outcome, not an error: the blocking checks
    stop the run before deployment, and the result says which gates failed. A run that
    succeeds has not necessarily promoted anything: the registry says whether it moved the
    champion (see ``promoted_in_run``). Nor has it necessarily trained anything: a version
    identical to this run's, already decided, is reported in ``already_trained``.
    """
    key = f"{spec.name}__training_set"
    config = {**QUIET, "ops": {key: {"config": {"as_of": as_of.isoformat() if as_of else None}}}}
    job = defs.resolve_job_def(training_job_name(spec))
    run_id = str(uuid.uuid4())
    if progress:
        _follow_steps(instance, run_id, spec, len(job.nodes_in_topological_order), progress)
    # A version already trained skips model_evaluation, and Dagster then warns on the terminal
    # that its gates "emitted no result": there was nothing to gate, and the outcome says why.
    gates_log = logging.getLogger("dagster._core.execution.plan.active")

    def not_about_skipped_gates(record: logging.LogRecord) -> bool:
        return "emitted no result" not in record.getMessage()

    gates_log.addFilter(not_about_skipped_gates)
    try:
        result = job.execute_in_process(
            instance=instance,
            run_config=config,
            tags=tags or {},
            raise_on_error=False,
            run_id=run_id,
        )
    finally:
        gates_log.removeFilter(not_about_skipped_gates)
    already = [
        {name: getattr(value, "value", value) for name, value in observed.metadata.items()}
        for observed in result.asset_observations_for_node(f"{spec.name}__challenger_model")
        if "already_trained_as" in observed.metadata
    ]
    if already and result.success:
        return TrainingOutcome(result.run_id, False, None, [], already[0])
    failed_checks = [
        e.asset_check_evaluation_data.check_name
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and not e.asset_check_evaluation_data.passed
    ]
    evaluation = _output(result, spec, "model_evaluation")
    if not result.success and not (failed_checks and evaluation is not None):
        raise LifecycleError(failure_message(result, f"training of {spec.name}"))
    promoted = evaluation is not None and promoted_in_run(
        registry(defs.resources["database"]), spec.name, evaluation["version"], result.run_id
    )
    return TrainingOutcome(result.run_id, promoted, evaluation, failed_checks)


def _follow_steps(
    instance: dg.DagsterInstance,
    run_id: str,
    spec: ModelSpec,
    total: int,
    progress: Callable[[str, int, int], None],
) -> None:
    """Reports run ``run_id``'s steps to ``progress`` as the instance records them."""
    done = 0

    def on_event(record) -> None:
        nonlocal done
        event = record.dagster_event
        if event is None or event.step_key is None:
            return
        if event.event_type_value == "STEP_START":
            progress(event.step_key.removeprefix(f"{spec.name}__"), done, total)
        elif event.event_type_value == "STEP_SUCCESS":
            done += 1
            if done == total:
                progress("", done, total)

    instance.add_event_listener(run_id, on_event)


def promoted_in_run(reg: ModelRegistry, model: str, version: int, run_id: str) -> bool:
    """Whether run ``run_id`` made ``version`` the champion.

    Both must hold: ``version`` is the champion now, and the alias move that made it so was
    recorded by that run (``deployed_model`` records its run as the move's actor). A version
    that was already champion, or that someone else promoted meanwhile, was not promoted by
    the run; neither was one that a later move replaced.
    """
    champion = reg.champion(model)
    if champion is None or champion.version != version:
        return False
    history = reg.alias_history(model)
    last = history[-1] if history else None
    return (
        last is not None
        and last.action == "promote"
        and last.to_version == version
        and run_id in last.actor
    )


def _output(result: dg.ExecuteInProcessResult, spec: ModelSpec, name: str) -> dict | None:
    try:
        return result.output_for_node(f"{spec.name}__{name}")
    except Exception:  # noqa: BLE001 - the step did not produce it
        return None


def _root_cause(error) -> str:
    """The user's error sentence: Dagster wraps the exception an asset raised in its own."""
    while error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    message = error.message.strip().splitlines()[0]
    # "resources.database.DatabaseError: Cannot connect ..." -> "Cannot connect ..."
    return re.sub(r"^[\w.]+(Error|Exception|Failure): ", "", message)


def failure_message(result: dg.ExecuteInProcessResult, what: str) -> str:
    """Each failed step's own error sentence, not a traceback."""
    failures = []
    for event in result.all_events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        data = event.step_failure_data
        detail = _root_cause(data.error) if data.error else "unknown error"
        if data.user_failure_data and data.user_failure_data.description:
            detail = data.user_failure_data.description
        failures.append(f"{event.step_key}: {detail}")
    if not failures:
        return f"{what} failed (run {result.run_id})"
    return f"{what} failed at " + "; ".join(failures)
