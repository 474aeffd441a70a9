"""A model's lifecycle through its jobs: ingestion over a range of days, then training.

The command line and the benchmark call this; both go through the same jobs a person sees in
the UI, executed where the deployment executes them (``orchestration.runs``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

from ml_platform_assets.assets.common import partition_range_tags
from ml_platform_assets.assets.factory import ingestion_job_name, training_job_name
from ml_platform_assets.assets.ingestion_plan import LANDING_ETAG, plan_ingestion
from ml_platform_assets.core import layout
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.orchestration.runs import LifecycleError, Runner
from ml_platform_assets.services.documents import read_evaluation_record
from ml_platform_assets.services.evaluations import evaluation_manifest
from ml_platform_assets.services.manifests import EvaluationManifest
from ml_platform_assets.services.promotion import promoted_in_run
from ml_platform_assets.services.registry_access import open_registry
from resources.object_store import ObjectStore

CHUNK_DAYS = 30
# A run over a range of days records one "materialization planned" event per asset with the
# range, instead of one per asset and day: half of ingestion's events, about 3 s of Dagster's
# SQLite bookkeeping per 120 days (bench/pipeline.py). Dagster's own switch, read when a run
# is created; the Makefile and deployments set it for the runs the UI and the daemon create.
# What it gives up: a failed range run's days show as missing in the UI's partition view, not
# as failed (the run itself shows failed, and ml-platform names the failed step and days).
os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")


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
        """Counts one partition's recorded metadata."""
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


@dataclass(frozen=True)
class TrainingOutcome:
    """What a training run decided. ``promoted`` is the registry's word, not the run's status:
    true only when this run moved the champion alias to the version it evaluated.
    ``already_trained`` is set when the registry already held this run's version, decided, so
    nothing was trained: the metadata challenger_model observed (``version``, ``status``,
    ``summary``, ...), and ``evaluation`` is None."""

    run_id: str
    promoted: bool
    evaluation: EvaluationManifest | None
    failed_checks: list[str]
    already_trained: dict | None = None


def ingest(
    runner: Runner,
    defs: dg.Definitions,
    spec: ModelSpec,
    store: ObjectStore,
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

    Raises:
        LifecycleError: a run failed; the message names the step, the days and the error.
    """
    # The store's etag of each landing file, as the landing sensor compares: no file is read
    # just to learn that it is the one already ingested.
    plan = plan_ingestion(defs, spec, runner.instance, store, first, last, rebuild, by=LANDING_ETAG)
    summaries: dict[str, StageSummary] = {}
    for day, recorded in plan.unchanged.items():
        for name, metadata in recorded.items():
            summaries.setdefault(name, StageSummary(name)).add(day.isoformat(), metadata, True)
    if progress and not plan.todo:
        progress(first, last)
    for start, end in plan.ranges(CHUNK_DAYS):
        run = runner.launch(ingestion_job_name(spec), tags=partition_range_tags(start, end))
        if not run.success:
            raise LifecycleError(run.failure_message(f"ingestion of {start}..{end}"))
        for materialization in run.materializations():
            name = materialization.asset_key.path[-1]
            summary = summaries.setdefault(name, StageSummary(name))
            summary.add(materialization.partition, materialization.metadata)
        if progress:
            progress(start, end)
    return summaries


def _step_progress(
    spec: ModelSpec, total: int, progress: Callable[[str, int, int], None]
) -> Callable[[dg.EventLogEntry], None]:
    """An event listener reporting the run's steps to ``progress(stage, done, total)``."""
    done = 0

    def on_event(entry: dg.EventLogEntry) -> None:
        nonlocal done
        event = entry.dagster_event
        if event is None or event.step_key is None:
            return
        if event.event_type_value == "STEP_START":
            progress(event.step_key.removeprefix(f"{spec.name}__"), done, total)
        elif event.event_type_value == "STEP_SUCCESS":
            done += 1
            if done == total:
                progress("", done, total)

    return on_event


def train(
    runner: Runner,
    spec: ModelSpec,
    store: ObjectStore,
    registry_url: str,
    as_of: dt.date | None = None,
    tags: dict[str, str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> TrainingOutcome:
    """Run training_set → challenger_model → model_evaluation → deployed_model.

    ``registry_url`` names the registry the run's steps use; it is read once the run has
    ended. ``progress(stage, done, total)`` is called as each stage starts (``done`` stages finished
    before it) and once more when the last one has finished (``stage`` empty).

    A challenger that fails a gate is an expected outcome, not an error: the blocking checks
    stop the run before deployment, and the result says which gates failed. A run that
    succeeds has not necessarily promoted anything: the registry says whether it moved the
    champion (see ``promoted_in_run``). Nor has it necessarily trained anything: a version
    identical to this run's, already decided, is reported in ``already_trained``.

    Raises:
        LifecycleError: the run failed other than by a gate.
    """
    key = f"{spec.name}__training_set"
    config = {"ops": {key: {"config": {"as_of": as_of.isoformat() if as_of else None}}}}
    listener = _step_progress(spec, 4, progress) if progress else None
    # A version already trained skips model_evaluation, and Dagster then warns on the terminal
    # that its gates "emitted no result": there was nothing to gate, and the outcome says why.
    gates_log = logging.getLogger("dagster._core.execution.plan.active")

    def not_about_skipped_gates(record: logging.LogRecord) -> bool:
        return "emitted no result" not in record.getMessage()

    gates_log.addFilter(not_about_skipped_gates)
    try:
        run = runner.launch(training_job_name(spec), config, tags, listener)
    finally:
        gates_log.removeFilter(not_about_skipped_gates)
    already = [
        {name: getattr(value, "value", value) for name, value in observed.metadata.items()}
        for observed in run.observations()
        if "already_trained_as" in observed.metadata
    ]
    if already and run.success:
        return TrainingOutcome(run.run_id, False, None, [], already[0])
    evaluation = _evaluated(store, spec, run.materializations())
    failed_checks = run.failed_checks()
    if not run.success and not (failed_checks and evaluation is not None):
        raise LifecycleError(run.failure_message(f"training of {spec.name}"))
    promoted = evaluation is not None and promoted_in_run(
        open_registry(registry_url), spec.name, evaluation["version"], run.run_id
    )
    return TrainingOutcome(run.run_id, promoted, evaluation, failed_checks)


def _evaluated(
    store: ObjectStore, spec: ModelSpec, materializations: list[dg.AssetMaterialization]
) -> EvaluationManifest | None:
    """The evaluation a run recorded, read from its durable record (by version), or None."""
    for materialization in materializations:
        if materialization.asset_key.path[-1] != "model_evaluation":
            continue
        version = int(materialization.metadata["version"].value)
        record, _ = read_evaluation_record(store, spec.name, version)
        if record is not None:
            page = store.uri(layout.report_key(spec.name, version, "evaluation.html"))
            return evaluation_manifest(record, page)
    return None
