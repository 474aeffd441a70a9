"""The drift retrain sensor: asks for a retraining run when drift has persisted, with guardrails.

A thin tick: it reads the drift results that the ``drift_report`` asset recorded, counts (when
the rules ask) the matured outcomes of applications made since the drift began, and leaves the
rules to ``core.retrain.decide_retrain``. It evaluates only when there is something new (a
drift result or another champion), and records every decision, triggered or not, with its
reason.
"""

import datetime as dt
import json

import dagster as dg
import pyarrow as pa

from ml_platform_assets.assets.common import ACTOR_TAG, registry
from ml_platform_assets.assets.factory import training_job_name
from ml_platform_assets.core import layout
from ml_platform_assets.core.retrain import LabelCounter, RetrainDecision, decide_retrain
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.training_set import labelled_applications
from ml_platform_assets.registry import ModelVersion
from ml_platform_assets.registry.drift import DriftRecord, DriftStore
from resources.database import DatabaseResource
from resources.object_store import ObjectStore
from resources.object_store_resource import ObjectStoreResource
from sensors.cursor import decode_cursor

TICK_SECONDS = 30  # a tick with nothing new is one query: the loop need not wait
RUN_KEY_TAG = "dagster/run_key"
HISTORY_DAYS = 90


def drift_sensor_name(spec: ModelSpec) -> str:
    return f"{spec.name}__drift_retrain_sensor"


def retrain_run_key(spec: ModelSpec, champion: int, window: tuple[dt.date, dt.date]) -> str:
    """One key per model, champion and drift window: the same window never runs twice."""
    return f"{spec.name}:drift-retrain:v{champion}:{window[0]}..{window[1]}"


def label_counter(store: ObjectStore, spec: ModelSpec) -> LabelCounter:
    """``labelled(first, last, as_of)`` over the stored days: applications dated
    ``first``..``last`` (features partitions) whose last outcome known by the end of ``as_of``
    (loan_outcomes partitions ``first``..``as_of``; an outcome is never dated before its
    application) is bad or good. Reads the id and timestamp columns and the outcomes only;
    a day not ingested yet counts nothing."""

    def stored(key_of, first: dt.date, last: dt.date, columns=None) -> list[pa.Table]:
        days = (first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        keys = [key_of(spec.name, d) for d in days]
        return [store.get_table(k, columns) for k in keys if store.exists(k)]

    def labelled(first: dt.date, last: dt.date, as_of: dt.date) -> int:
        columns = [spec.entity_id_column, spec.event_timestamp_column]
        features = stored(layout.features_key, first, last, columns)
        outcomes = stored(layout.outcomes_key, first, as_of)
        if not features or not outcomes:
            return 0
        return labelled_applications(
            pa.concat_tables(features), pa.concat_tables(outcomes), spec, as_of
        )

    return labelled


def _tags(spec: ModelSpec, champion: int, decision: RetrainDecision, latest: DriftRecord) -> dict:
    start, end = decision.window
    windows = decision.training_windows
    return {
        "ml_platform/trigger": "drift",
        # The retrained version's trainer on record: the sensor, not whoever runs the daemon.
        ACTOR_TAG: f"sensor {drift_sensor_name(spec)}",
        "ml_platform/drift_start": str(decision.drift_start),
        "ml_platform/training_windows": (
            f"train {windows.train_start}..{windows.valid_start - dt.timedelta(days=1)}, "
            f"valid {windows.valid_start}..{windows.train_end}, "
            f"oot {windows.oot_start}..{windows.oot_end}"
        ),
        "ml_platform/model": spec.name,
        "ml_platform/champion_version": str(champion),
        "ml_platform/drift_window": f"{start}..{end}",
        "ml_platform/drift_share": f"{latest.share:.3f}",
        "ml_platform/drifted_columns": ",".join(latest.drifted_columns)[:250],
        "ml_platform/reason": decision.reason[:500],
    }


def _request(
    context: dg.SensorEvaluationContext,
    spec: ModelSpec,
    champion: ModelVersion,
    decision: RetrainDecision,
    latest: DriftRecord,
) -> tuple[dg.RunRequest | None, str, dict]:
    """The run request for a trigger, or None with a sentence when its run already exists."""
    key = retrain_run_key(spec, champion.version, decision.window)
    tags = _tags(spec, champion.version, decision, latest)
    existing = context.instance.get_runs(filters=dg.RunsFilter(tags={RUN_KEY_TAG: key}), limit=1)
    if existing:
        run = existing[0]
        return (
            None,
            (
                f"Retraining for the drift window {tags['ml_platform/drift_window']} was already "
                f"requested as run {run.run_id[:8]} ({run.status.value.lower()}); no second run."
            ),
            tags,
        )
    as_of = {"config": {"as_of": decision.window[1].isoformat()}}
    config = {"ops": {f"{spec.name}__training_set": as_of}}
    return dg.RunRequest(run_key=key, run_config=config, tags=tags), decision.reason, tags


def _evaluate(
    context: dg.SensorEvaluationContext,
    spec: ModelSpec,
    drift: DriftStore,
    store: ObjectStore,
    champion: ModelVersion | None,
) -> dg.RunRequest | str:
    """Decides, records the decision and returns the run request or the skip reason."""
    if champion is None:
        reason = f"{spec.name} has no champion yet, so there is no model to retrain for drift."
        drift.record_decision(spec.name, triggered=False, reason=reason)
        return reason
    results = drift.results(spec.name, champion.version, limit=HISTORY_DAYS)
    if not results:
        reason = f"No drift has been measured against champion v{champion.version} yet."
        drift.record_decision(
            spec.name, triggered=False, reason=reason, champion_version=champion.version
        )
        return reason
    latest = results[0]
    last = drift.last_trigger(spec.name)
    decision = decide_retrain(
        {r.day: r.share for r in results},
        spec,
        label_counter(store, spec),
        last.window_end if last else None,
        latest.day,
    )
    request, reason, tags = None, decision.reason, {}
    if decision.trigger:
        request, reason, tags = _request(context, spec, champion, decision, latest)
    drift.record_decision(
        spec.name,
        triggered=request is not None,
        reason=reason,
        window=decision.window,
        run_key=request.run_key if request else None,
        drift_share=latest.share,
        champion_version=champion.version,
        tags=tags,
        actor=f"sensor {drift_sensor_name(spec)}",
    )
    return reason if request is None else request


def build_drift_retrain_sensor(spec: ModelSpec) -> dg.SensorDefinition:
    """The sensor that retrains ``spec``'s model when its drift persists.

    Default status STOPPED: it starts training runs, so each deployment turns it on
    deliberately (in the UI, or ``dagster sensor start``); once on, it stays on across restarts.
    """

    @dg.sensor(
        name=drift_sensor_name(spec),
        job_name=training_job_name(spec),
        minimum_interval_seconds=TICK_SECONDS,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=f"Requests {spec.name}'s retraining run when the drift share has been at or "
        f"above {spec.drift.share_threshold:.0%} for {spec.drift.consecutive_days} days, the "
        f"{spec.drift.cooldown_days}-day cooldown has passed, and a training set cut on the "
        "last drifted day would judge the challenger on applications made since the drift "
        f"began and learn from at least {spec.drift.min_matured_labels:,} of them with matured "
        "outcomes.",
    )
    def drift_retrain_sensor(
        context: dg.SensorEvaluationContext,
        database: DatabaseResource,
        object_store: ObjectStoreResource,
    ) -> dg.SensorResult:
        seen = decode_cursor(context.cursor)
        reg = registry(database)
        drift = DriftStore(reg.engine)
        champion = reg.champion(spec.name)
        state = {
            "result_id": drift.latest_result_id(spec.name),
            "champion": champion.version if champion else None,
        }
        cursor = json.dumps(state, sort_keys=True)
        if state == seen:
            return dg.SensorResult(
                skip_reason=f"No new drift result or champion for {spec.name} since the last "
                "evaluation; its decision stands (see `ml-platform drift status`).",
                cursor=cursor,
            )
        outcome = _evaluate(context, spec, drift, object_store.get_store(), champion)
        if isinstance(outcome, str):
            return dg.SensorResult(skip_reason=outcome, cursor=cursor)
        return dg.SensorResult(run_requests=[outcome], cursor=cursor)

    return drift_retrain_sensor
