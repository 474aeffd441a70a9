"""What starts work: sensors that decide when a model's assets should run.

Per model spec, three sensors make the loop a deployment runs by itself:

- ``<model>__landing_sensor`` ingests the days of newly delivered files;
- ``<model>__automation_sensor`` evaluates the assets' automation conditions: a day's new
  features ask for that day's ``drift_report`` against the current champion;
- ``<model>__drift_retrain_sensor`` requests a retraining run when drift persists.

All default to STOPPED: they start runs, so each deployment turns them on deliberately
(``dagster sensor start --start-all``).
"""

from collections.abc import Iterable

import dagster as dg

from ml_platform_assets.assets.common import asset_key
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.services.run_tags import MODEL_TAG, TRIGGER_TAG
from sensors.drift import build_drift_retrain_sensor
from sensors.landing import build_landing_sensor

AUTOMATION_TICK_SECONDS = 30


def automation_sensor_name(spec: ModelSpec) -> str:
    """``<model>__automation_sensor``."""
    return f"{spec.name}__automation_sensor"


def build_automation_sensor(spec: ModelSpec) -> dg.AutomationConditionSensorDefinition:
    """Evaluates the automation conditions of ``spec``'s assets (today: ``drift_report``).

    A request of several days becomes a backfill that the daemon runs in ranged runs of up to
    a month (drift_report's backfill policy); a single day is a plain run.
    """
    return dg.AutomationConditionSensorDefinition(
        automation_sensor_name(spec),
        target=dg.AssetSelection.assets(asset_key(spec, "drift_report")),
        run_tags={TRIGGER_TAG: "automation", MODEL_TAG: spec.name},
        default_status=dg.DefaultSensorStatus.STOPPED,
        minimum_interval_seconds=AUTOMATION_TICK_SECONDS,
        description=f"Requests each day's {spec.name} drift report once that day's features "
        "are materialized and a champion exists.",
    )


def build_sensors(specs: Iterable[ModelSpec]) -> list[dg.SensorDefinition]:
    """Every spec's landing, automation and drift retrain sensors."""
    sensors = []
    for spec in specs:
        sensors += [
            build_landing_sensor(spec),
            build_automation_sensor(spec),
            build_drift_retrain_sensor(spec),
        ]
    return sensors
