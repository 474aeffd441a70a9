"""Kubernetes compute for production: per-stage pod sizes and placement.

In production (``ML_PLATFORM_EXECUTOR=kubernetes``, read by ``resources.environment``) every run
is a Kubernetes Job created by dagster-k8s's ``K8sRunLauncher`` (configured in the instance's
``dagster.yaml``, see ``deploy/kubernetes``) and every asset step of it another Job created by
``k8s_job_executor``. Each asset belongs to a stage whose ``ComputeProfile`` becomes the
``dagster-k8s/config`` tag of its step: CPU and memory requests and limits, node selector and
tolerations. Image, namespace and the environment (Secrets, ConfigMaps) are not here: run and
step Jobs inherit them from the run launcher's configuration. Step pods run as
``STEP_SERVICE_ACCOUNT`` without an API token: a step never calls the Kubernetes API (the run's
pod launches and follows the step Jobs).

A profile is checked as the Kubernetes API server would check the pod it becomes (quantities,
label keys and values, tolerations), and stricter where Kubernetes accepts nonsense: CPU in
cores or millicores only, memory in bytes with a decimal or binary suffix (never ``m``), nothing
zero or negative.

Nothing here imports Dagster or loads a kube config: ``resources.wiring`` turns these settings
into the step executor, which loads the config when a run starts, in the cluster.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Stage = Literal["ingestion", "training", "evaluation", "deployment", "drift"]
STAGES: tuple[Stage, ...] = ("ingestion", "training", "evaluation", "deployment", "drift")
K8S_CONFIG_TAG = "dagster-k8s/config"
EXECUTORS = ("in_process", "kubernetes")

# A Kubernetes quantity: a decimal number with an optional SI or binary suffix.
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_SUFFIX = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_SUFFIX |= {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
# CPU in cores ("2", "0.5") or millicores ("500m"); memory in bytes, with a decimal or binary
# suffix ("512Mi", "4Gi", "1G"). Kubernetes parses "2Gi" cores and "900m" bytes; nobody means them.
_CPU = re.compile(r"^[0-9]+(\.[0-9]+)?m?$")
_MEMORY = re.compile(r"^[0-9]+(\.[0-9]+)?(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
# Label keys and values (Kubernetes' IsQualifiedName and IsValidLabelValue).
_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Step pods run as this service account, which has no role and mounts no API token.
STEP_SERVICE_ACCOUNT = "ml-platform-step"


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


def cpu_quantity(text: str) -> float:
    """Cores of a CPU quantity (``"500m"`` -> 0.5); at least 1m.

    Raises:
        ValueError: not cores or millicores, or below 1m.
    """
    if not _CPU.match(text):
        raise ValueError(
            f"{text!r} is not a CPU quantity: cores (2, 0.5) or millicores (500m), no other unit."
        )
    cores = quantity(text)
    if cores < 1e-3:
        raise ValueError(f"{text!r} is zero or below 1m, the smallest CPU quantity.")
    return cores


def memory_quantity(text: str) -> float:
    """Bytes of a memory quantity (``"512Mi"`` -> 536870912.0); more than zero.

    Raises:
        ValueError: not bytes with an optional k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi or Ei suffix
            (``m`` would be thousandths of a byte), or zero.
    """
    if not _MEMORY.match(text):
        raise ValueError(
            f"{text!r} is not a memory quantity: bytes with a suffix such as 512Mi, 4Gi or 1G "
            "(m means thousandths of a byte)."
        )
    size = quantity(text)
    if size < 1:
        raise ValueError(f"{text!r} is zero: a step needs memory.")
    return size


def check_label_key(key: str) -> str:
    """``key`` if it is a valid label key (``[prefix/]name``, as Kubernetes checks it)."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        raise ValueError(
            f"label key {key!r}: the prefix before '/' must be a lowercase DNS subdomain "
            "such as example.com."
        )
    if len(name) > 63 or not _NAME.match(name):
        raise ValueError(
            f"label key {key!r}: the name must be 1 to 63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit."
        )
    return key


def check_label_value(value: str, what: str) -> str:
    """``value`` if it is a valid label value (empty, or a name of at most 63 characters)."""
    if value and (len(value) > 63 or not _NAME.match(value)):
        raise ValueError(
            f"{what} {value!r}: at most 63 letters, digits, '-', '_' or '.', starting and ending "
            "with a letter or digit."
        )
    return value


def _number_as_text(value: Any) -> Any:
    """YAML reads ``cpu_request: 2`` as a number; Kubernetes quantities are strings."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (
            format(value, "f").rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
        )
    return value


class Toleration(BaseModel):
    """A pod toleration (Kubernetes ``core/v1 Toleration``): lets a stage run on tainted nodes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str | None = Field(None, description="The taint key; empty with Exists matches all.")
    operator: Literal["Equal", "Exists"] = Field("Equal", description="How value is matched.")
    value: str | None = Field(None, description="The taint value, with operator Equal.")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        None, description="The taint effect tolerated; empty tolerates every effect."
    )

    @model_validator(mode="after")
    def _as_kubernetes_checks_it(self) -> Toleration:
        if self.key:
            check_label_key(self.key)
        elif self.operator != "Exists":
            raise ValueError("a toleration without a key must have operator Exists.")
        if self.operator == "Exists" and self.value:
            raise ValueError(
                f"operator Exists matches any value: remove value {self.value!r} (or use Equal)."
            )
        if self.value:
            check_label_value(self.value, "toleration value")
        return self


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

    @field_validator("cpu_request", "cpu_limit", "memory_request", "memory_limit", mode="before")
    @classmethod
    def _numbers_as_text(cls, value: Any) -> Any:
        return _number_as_text(value)

    @field_validator("cpu_request", "cpu_limit")
    @classmethod
    def _is_cpu(cls, value: str) -> str:
        cpu_quantity(value)
        return value

    @field_validator("memory_request", "memory_limit")
    @classmethod
    def _is_memory(cls, value: str) -> str:
        memory_quantity(value)
        return value

    @field_validator("node_selector")
    @classmethod
    def _are_labels(cls, value: dict[str, str]) -> dict[str, str]:
        for key, label in value.items():
            check_label_key(key)
            check_label_value(label, f"node selector {key!r}: value")
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
        False,
        description="Runs execute their steps as Kubernetes Jobs (production); set by "
        "ML_PLATFORM_EXECUTOR, never by the profiles file.",
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
        if "enabled" in overrides:
            raise ValueError(
                "enabled is not set here: ML_PLATFORM_EXECUTOR=kubernetes turns the step "
                "executor on, and in_process (the default) off."
            )
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


@functools.cache
def load_kubernetes_settings(executor: str, profiles_file: str | None) -> KubernetesSettings:
    """The settings for ``ML_PLATFORM_EXECUTOR`` and the ``ML_PLATFORM_COMPUTE_PROFILES`` file
    (a YAML of overrides, optional), read once per distinct pair.

    Raises:
        ValueError: an unknown executor, or a profiles file that is missing or invalid (the
            message names the file and the field).
    """
    if executor not in EXECUTORS:
        raise ValueError(f"ML_PLATFORM_EXECUTOR={executor!r} is not one of {', '.join(EXECUTORS)}.")
    enabled = executor == "kubernetes"
    if not profiles_file:
        return KubernetesSettings(enabled=enabled)
    try:
        overrides = yaml.safe_load(Path(profiles_file).read_text()) or {}
        if not isinstance(overrides, dict):
            raise ValueError("it must be a mapping with profiles and max_concurrent_steps")
        return KubernetesSettings.with_overrides(overrides, enabled=enabled)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        reason = f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"
    except (OSError, yaml.YAMLError, ValueError) as exc:
        reason = str(exc)
    raise ValueError(
        f"The compute profiles file {profiles_file} (ML_PLATFORM_COMPUTE_PROFILES) is not "
        f"usable: {reason}"
    )
