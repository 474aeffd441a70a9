"""The drift retrain sensor: asks for a retraining run when drift has persisted, with guardrails.

A thin tick over ``services.retraining``: it evaluates only when there is something new (a drift
result or another champion) and turns a decision to retrain into a run request whose key comes
from the model, the champion and the drift window.
"""

import json

import dagster as dg

from ml_platform_assets.assets.common import registry
from ml_platform_assets.assets.factory import training_job_name
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.registry.drift import DriftStore
from ml_platform_assets.services.retraining import decide_retraining
from resources.database_resource import DatabaseResource
from resources.object_store_resource import ObjectStoreResource
from sensors.cursor import decode_cursor

TICK_SECONDS = 30  # a tick with nothing new is one query: the loop need not wait
RUN_KEY_TAG = "dagster/run_key"


def drift_sensor_name(spec: ModelSpec) -> str:
    """``<model>__drift_retrain_sensor``."""
    return f"{spec.name}__drift_retrain_sensor"


def _requested(instance: dg.DagsterInstance):
    """``requested(run_key)``: the run already made for a key, described, or None."""

    def requested(run_key: str) -> str | None:
        runs = instance.get_runs(filters=dg.RunsFilter(tags={RUN_KEY_TAG: run_key}), limit=1)
        if not runs:
            return None
        return f"run {runs[0].run_id[:8]} ({runs[0].status.value.lower()})"

    return requested


def build_drift_retrain_sensor(spec: ModelSpec) -> dg.SensorDefinition:
    """The sensor that retrains ``spec``'s model when its drift persists.

    Default status STOPPED: it starts training runs, so each deployment turns it on
    deliberately (in the UI, or ``dagster sensor start``); once on, it stays on across restarts.
    """
    name = drift_sensor_name(spec)

    @dg.sensor(
        name=name,
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
        reg = registry(database)
        champion = reg.champion(spec.name)
        state = {
            "result_id": DriftStore(reg.engine).latest_result_id(spec.name),
            "champion": champion.version if champion else None,
        }
        cursor = json.dumps(state, sort_keys=True)
        if state == decode_cursor(context.cursor):
            return dg.SensorResult(
                skip_reason=f"No new drift result or champion for {spec.name} since the last "
                "evaluation; its decision stands (see `ml-platform drift status`).",
                cursor=cursor,
            )
        decided = decide_retraining(
            object_store.get_store(),
            reg,
            spec,
            _requested(context.instance),
            actor=f"sensor {name}",
        )
        if decided.run_key is None:
            return dg.SensorResult(skip_reason=decided.reason, cursor=cursor)
        config = {"ops": {f"{spec.name}__training_set": {"config": {"as_of": str(decided.as_of)}}}}
        request = dg.RunRequest(run_key=decided.run_key, run_config=config, tags=decided.tags)
        return dg.SensorResult(run_requests=[request], cursor=cursor)

    return drift_retrain_sensor
