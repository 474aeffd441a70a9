"""What starts work: sensors that decide when a model's assets should run.

Per model spec: ``<model>__landing_sensor`` ingests newly delivered files, and
``<model>__drift_retrain_sensor`` requests a retraining run when drift persists. Both default
to STOPPED: they start runs, so each deployment turns them on deliberately.
"""

from collections.abc import Iterable

import dagster as dg

from ml_platform_assets.core.spec import ModelSpec
from sensors.drift import build_drift_retrain_sensor
from sensors.landing import build_landing_sensor


def build_sensors(specs: Iterable[ModelSpec]) -> list[dg.SensorDefinition]:
    """Every spec's landing and drift retrain sensors."""
    sensors = []
    for spec in specs:
        sensors += [build_landing_sensor(spec), build_drift_retrain_sensor(spec)]
    return sensors
