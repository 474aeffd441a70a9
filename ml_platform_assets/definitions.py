"""The code location: every spec's asset chain, wired to the resources and executor of this
environment (in-process; on Kubernetes, ``k8s_job_executor``: see ``resources.kubernetes``)."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from ml_platform_assets.assets.common import MANIFEST_IO
from ml_platform_assets.assets.factory import build_model_assets, build_model_jobs
from ml_platform_assets.assets.manifests import ManifestIOManager
from ml_platform_assets.core.spec import ModelSpec, load_specs
from resources.environment import kubernetes_settings, resources_from_env, specs_dir_from_env
from sensors import build_sensors


def build_definitions(
    specs: Mapping[str, ModelSpec] | None = None,
    resources: Mapping[str, dg.ConfigurableResource] | None = None,
) -> dg.Definitions:
    """Definitions for ``specs`` (default: built-in plus ``ML_PLATFORM_SPECS_DIR``).

    ``resources`` defaults to the environment's object store and database. Every job runs on
    the environment's executor (``ML_PLATFORM_EXECUTOR``): the sensors' runs included.
    """
    specs = specs if specs is not None else load_specs(specs_dir_from_env())
    resources = dict(resources if resources is not None else resources_from_env())
    resources[MANIFEST_IO] = ManifestIOManager(object_store=resources["object_store"])
    assets, jobs = [], []
    for spec in specs.values():
        assets += build_model_assets(spec)
        jobs += build_model_jobs(spec)
    return dg.Definitions(
        assets=assets,
        jobs=jobs,
        sensors=build_sensors(specs.values()),
        resources=resources,
        executor=kubernetes_settings().executor(),
    )


defs = build_definitions()
