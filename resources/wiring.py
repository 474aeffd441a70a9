"""The environment as Dagster sees it: the resources, the instance and the step executor.

``resources.environment`` reads the variables; this module builds Dagster's objects from them.
Secrets read from the process become ``dg.EnvVar`` references, so a run's stored config never
holds their values.
"""

from __future__ import annotations

import logging

import dagster as dg

from resources.database_resource import DatabaseResource
from resources.environment import DATABASE_SETTING, S3_SECRETS, Environment
from resources.kubernetes import STEP_SERVICE_ACCOUNT, KubernetesSettings
from resources.object_store_resource import ObjectStoreResource
from resources.store_uri import is_s3

logger = logging.getLogger(__name__)


def _setting(environment: Environment, name: str) -> str | dg.EnvVar | None:
    """A variable's value, or a ``dg.EnvVar`` naming it when it comes from the process."""
    value = environment.settings.get(name)
    if value is None or not environment.from_process:
        return value
    return dg.EnvVar(name)


def platform_resources(environment: Environment) -> dict[str, dg.ConfigurableResource]:
    """The ``object_store`` and ``database`` resources of ``environment``."""
    settings = environment.settings
    object_store = ObjectStoreResource(
        uri=environment.object_store,
        endpoint_url=settings.get("AWS_ENDPOINT_URL"),
        region_name=settings.get("AWS_REGION") or settings.get("AWS_DEFAULT_REGION"),
        **{name.lower(): _setting(environment, name) for name in S3_SECRETS},
    )
    if environment.database_is_set:
        url = _setting(environment, DATABASE_SETTING)
    else:
        url = environment.database_url
        if is_s3(environment.object_store):
            logger.warning(
                "The object store is S3 but %s is unset: the registry is the SQLite file %s.",
                DATABASE_SETTING,
                environment.local_database,
            )
    return {"object_store": object_store, "database": DatabaseResource(url=url)}


def dagster_instance(environment: Environment) -> dg.DagsterInstance:
    """The Dagster instance of ``environment``: ``DAGSTER_HOME``'s, else the home's own."""
    return dg.DagsterInstance.from_config(str(environment.dagster_home))


def step_executor(settings: KubernetesSettings) -> dg.ExecutorDefinition:
    """``k8s_job_executor`` when Kubernetes is on, else Dagster's in-process executor.

    The step Jobs inherit image, namespace, Secrets, ConfigMaps and the pod security context
    from the instance's ``K8sRunLauncher``; the executor adds the per-run step limit and runs
    each step as ``STEP_SERVICE_ACCOUNT`` with no API token mounted.
    """
    if not settings.enabled:
        return dg.in_process_executor
    # The Kubernetes client takes seconds to import: only deployments that use it pay for it.
    from dagster_k8s import k8s_job_executor

    return k8s_job_executor.configured(
        {
            "max_concurrent": settings.max_concurrent_steps,
            "service_account_name": STEP_SERVICE_ACCOUNT,
            "step_k8s_config": {"pod_spec_config": {"automount_service_account_token": False}},
        },
        name="k8s_job_executor",
    )
