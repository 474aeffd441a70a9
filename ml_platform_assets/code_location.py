"""Assembling every spec's asset chain, jobs and sensors with resources and an executor: a pure
function of its arguments, called by the code location (``definitions.py``), the command line
and the tests."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from ml_platform_assets.assets.common import MANIFEST_IO
from ml_platform_assets.assets.factory import build_model_assets, build_model_jobs
from ml_platform_assets.assets.manifests import ManifestIOManager
from ml_platform_assets.assets.policy import AssetPolicy
from ml_platform_assets.core.spec import ModelSpec
from resources.kubernetes import KubernetesSettings
from resources.wiring import step_executor
from sensors import build_sensors


def build_definitions(
    specs: Mapping[str, ModelSpec],
    resources: Mapping[str, dg.ConfigurableResource],
    compute: KubernetesSettings | None = None,
) -> dg.Definitions:
    """Definitions for ``specs`` on ``resources`` (``object_store`` and ``database``).

    ``compute`` decides where steps run: every job, the sensors' runs included, gets its
    executor, and each stage its pod (default: in process).
    """
    compute = compute or KubernetesSettings()
    policy = AssetPolicy(compute)
    resources = dict(resources)
    resources[MANIFEST_IO] = ManifestIOManager(object_store=resources["object_store"])
    assets, jobs = [], []
    for spec in specs.values():
        assets += build_model_assets(spec, policy)
        jobs += build_model_jobs(spec)
    return dg.Definitions(
        assets=assets,
        jobs=jobs,
        sensors=build_sensors(specs.values()),
        resources=resources,
        executor=step_executor(compute),
    )
