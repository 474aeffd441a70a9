"""Kubernetes compute for production: per-stage pod sizes and the step executor.

In production (``ML_PLATFORM_EXECUTOR=kubernetes``, read by ``resources.environment``) every run
is a Kubernetes Job created by dagster-k8s's ``K8sRunLauncher`` (configured in the instance's
``dagster.yaml``, see ``deploy/kubernetes``) and every asset step of it another Job created by
``k8s_job_executor``. Each asset belongs to a stage whose ``ComputeProfile`` becomes the
``dagster-k8s/config`` tag of its step: CPU and memory requests and limits, node selector and
tolerations. Image, namespace, service account and the environment (Secrets, ConfigMaps) are not
here: run and step Jobs inherit them from the run launcher's configuration.

Nothing here loads a kube config: the executor does that when a run starts, in the cluster.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

if TYPE_CHECKING:
    import dagster as dg

Stage = Literal["ingestion", "training", "evaluation", "deployment", "drift"]
STAGES: tuple[Stage, ...] = ("ingestion", "training", "evaluation", "deployment", "drift")
K8S_CONFIG_TAG = "dagster-k8s/config"
# The concurrency pool of ingestion steps: in production a backfill runs one step per day and
# the instance's `concurrency.pools.default_limit` caps how many run at once.
INGESTION_POOL = "ml_platform_ingestion"

# A Kubernetes quantity: a decimal number with an optional SI or binary suffix.
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
_SUFFIX = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
_SUFFIX |= {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity(text: str) -> float:
    """The value of a Kubernetes quantity (``"500m"`` -> 0.5, ``"2Gi"`` -> 2147483648.0).

    Raises:
        ValueError: ``text`` is not a plain quantity (exponent forms are not accepted).
    """
    match = _QUANTITY.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a Kubernetes quantity such as 500m, 2, 512Mi or 4Gi.")
    number = text[: len(text) - len(match[2] or "")]
    return float(number) * _SUFFIX.get(match[2] or "", 1.0)


class Toleration(BaseModel):
    """A pod toleration (Kubernetes ``core/v1 Toleration``): lets a stage run on tainted nodes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str | None = Field(None, description="The taint key; empty with Exists matches all.")
    operator: Literal["Equal", "Exists"] = Field("Equal", description="How value is matched.")
    value: str | None = Field(None, description="The taint value, with operator Equal.")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        None, description="The taint effect tolerated; empty tolerates every effect."
    )


class ComputeProfile(BaseModel):
    """The pod of one stage's steps: resources in Kubernetes quantities and node placement."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cpu_request: str = Field(description="Cores reserved for the step (`500m` is half a core).")
    cpu_limit: str = Field(description="Cores the step may use at most (throttled above).")
    memory_request: str = Field(description="Memory reserved for the step (`2Gi`).")
    memory_limit: str = Field(description="Memory the step may use at most (killed above).")
    node_selector: dict[str, str] = Field(
        default_factory=dict, description="Node labels the step's pod must run on."
    )
    tolerations: tuple[Toleration, ...] = Field(
        default=(), description="Taints of the nodes the step's pod may run on."
    )

    @field_validator("cpu_request", "cpu_limit", "memory_request", "memory_limit")
    @classmethod
    def _is_quantity(cls, value: str) -> str:
        quantity(value)
        return value

    @model_validator(mode="after")
    def _request_within_limit(self) -> ComputeProfile:
        for kind in ("cpu", "memory"):
            request, limit = getattr(self, f"{kind}_request"), getattr(self, f"{kind}_limit")
            if quantity(request) > quantity(limit):
                raise ValueError(f"{kind}_request {request} is above {kind}_limit {limit}.")
        return self

    def k8s_config(self) -> dict[str, Any]:
        """The ``dagster-k8s/config`` tag value: container resources and pod placement."""
        resources = {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }
        pod_spec: dict[str, Any] = {}
        if self.node_selector:
            pod_spec["node_selector"] = dict(self.node_selector)
        if self.tolerations:
            pod_spec["tolerations"] = [t.model_dump(exclude_none=True) for t in self.tolerations]
        config: dict[str, Any] = {"container_config": {"resources": resources}}
        if pod_spec:
            config["pod_spec_config"] = pod_spec
        return config


# Sized on measurements (STACK.md): LightGBM on 1M rows x 36 features peaks at 1.2 GiB and uses
# both cores; Evidently on 1M vs 1M rows adds 1.5 GiB; a day of ingestion is small.
DEFAULT_PROFILES: dict[Stage, ComputeProfile] = {
    "ingestion": ComputeProfile(
        cpu_request="500m", cpu_limit="1", memory_request="1Gi", memory_limit="2Gi"
    ),
    "training": ComputeProfile(
        cpu_request="2", cpu_limit="2", memory_request="4Gi", memory_limit="8Gi"
    ),
    "evaluation": ComputeProfile(
        cpu_request="1", cpu_limit="2", memory_request="2Gi", memory_limit="4Gi"
    ),
    "deployment": ComputeProfile(
        cpu_request="250m", cpu_limit="500m", memory_request="512Mi", memory_limit="1Gi"
    ),
    "drift": ComputeProfile(
        cpu_request="1", cpu_limit="2", memory_request="2Gi", memory_limit="4Gi"
    ),
}


class KubernetesSettings(BaseModel):
    """Compute for every stage and the executor's limits; the defaults fit one credit model.

    A YAML file named by ``ML_PLATFORM_COMPUTE_PROFILES`` overrides any part, stage by stage
    and field by field (see ``.env.example``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        False, description="Runs execute their steps as Kubernetes Jobs (production)."
    )
    profiles: dict[Stage, ComputeProfile] = Field(
        default_factory=lambda: dict(DEFAULT_PROFILES),
        description="The pod of each stage's steps.",
    )
    max_concurrent_steps: int = Field(
        4, ge=1, description="Step Jobs one run may have at once (k8s_job_executor's limit)."
    )

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, Any], *, enabled: bool) -> KubernetesSettings:
        """The defaults with ``overrides`` (``profiles: {stage: {field: value}}``,
        ``max_concurrent_steps``) merged in; raises ``pydantic.ValidationError`` naming the
        field that is wrong."""
        overrides = dict(overrides)
        profiles = {s: p.model_dump() for s, p in DEFAULT_PROFILES.items()}
        extra = overrides.pop("profiles", None) or {}
        if not isinstance(extra, Mapping):
            raise ValueError("profiles must map a stage name to the fields it changes.")
        for stage, fields in extra.items():
            if not isinstance(fields, Mapping):
                raise ValueError(f"profiles.{stage} must map profile fields to values.")
            profiles[stage] = {**profiles.get(stage, {}), **fields}
        return cls.model_validate({**overrides, "profiles": profiles, "enabled": enabled})

    def op_tags(self, stage: Stage) -> dict[str, Any]:
        """The ``op_tags`` of a ``stage`` asset: its ``dagster-k8s/config`` pod settings."""
        return {K8S_CONFIG_TAG: self.profiles[stage].k8s_config()}

    def executor(self) -> dg.ExecutorDefinition:
        """``k8s_job_executor`` in production, else Dagster's in-process executor.

        The step Jobs inherit image, namespace, service account, Secrets and ConfigMaps from
        the instance's ``K8sRunLauncher``; the executor adds only the per-run step limit.
        """
        import dagster as dg

        if not self.enabled:
            return dg.in_process_executor
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor.configured(
            {"max_concurrent": self.max_concurrent_steps}, name="k8s_job_executor"
        )

    def ingestion_backfill_policy(self) -> dg.BackfillPolicy:
        """One run per day in production (each its own step Job, capped by the ingestion pool);
        one run over the whole range elsewhere, where per-run overhead dominates."""
        import dagster as dg

        if self.enabled:
            return dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
        return dg.BackfillPolicy.single_run()

    def ingestion_pool(self) -> str | None:
        """The ingestion steps' concurrency pool in production; none elsewhere."""
        return INGESTION_POOL if self.enabled else None
