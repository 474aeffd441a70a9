"""Pod Security Admission: the namespace enforces the `restricted` profile, every pod of deploy/
meets it, and the checker (tests/k8s/pod_security.py) refuses what the profile refuses.

The test API server (1.20) has no Pod Security Admission (1.23+), so nothing here is refused by
a server: the labels are checked as written and the pod specs against the profile's rules
offline. The run and step Jobs dagster-k8s builds are checked in test_wiring.py (built from the
instance config) and test_daemon_on_kubernetes.py (as the daemon and the run worker send them).
"""

import copy

import pytest

from tests.k8s import pod_security
from tests.k8s.kustomize import KUSTOMIZATIONS, find

PSA = "pod-security.kubernetes.io"


def test_the_namespace_enforces_the_restricted_profile(rendered) -> None:
    labels = find(rendered["example"], "Namespace", "ml-platform")["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"{PSA}/{mode}"] == "restricted", mode
        assert labels[f"{PSA}/{mode}-version"] == "latest", mode


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_every_deployment_meets_the_restricted_profile(rendered, name) -> None:
    deployments = [o for o in rendered[name] if o["kind"] == "Deployment"]
    assert len(deployments) == 3
    for deployment in deployments:
        pod, annotations = pod_security.pod_of(deployment)
        assert pod_security.violations(pod, annotations) == [], deployment["metadata"]["name"]


# A pod that meets the profile, as the run launcher builds one.
COMPLIANT = {
    "serviceAccountName": "ml-platform-run",
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "containers": [
        {
            "name": "dagster",
            "image": "ml-platform",
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            },
            "volumeMounts": [{"name": "profiles", "mountPath": "/p"}],
        }
    ],
    "volumes": [{"name": "profiles", "configMap": {"name": "ml-platform-compute-profiles"}}],
}


def test_a_compliant_pod_passes() -> None:
    assert pod_security.violations(COMPLIANT) == []


def test_the_reviewers_job_is_refused() -> None:
    """Root, the host's network, the host's / and the Secret: what the run account could ask."""
    pod = {
        "serviceAccountName": "ml-platform-daemon",
        "hostNetwork": True,
        "containers": [
            {
                "name": "x",
                "image": "busybox",
                "securityContext": {"runAsUser": 0},
                "volumeMounts": [{"name": "host", "mountPath": "/host"}],
                "envFrom": [{"secretRef": {"name": "ml-platform-secrets"}}],
            }
        ],
        "volumes": [{"name": "host", "hostPath": {"path": "/"}}],
    }
    found = " | ".join(pod_security.violations(pod))
    for control in (
        "host namespaces: spec.hostNetwork",
        "hostPath volumes: volume host",
        "running as non-root user: containers[x].securityContext.runAsUser 0",
        "running as non-root: containers[x]",
        "privilege escalation: containers[x]",
        "seccomp: containers[x]",
        "capabilities: containers[x] does not drop ALL",
    ):
        assert control in found


def _set(path: str, value):
    def change(pod: dict) -> None:
        *parents, last = path.split(".")
        node = pod
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        node[int(last) if isinstance(node, list) else last] = value

    return change


def _drop(path: str):
    def change(pod: dict) -> None:
        *parents, last = path.split(".")
        node = pod
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]

    return change


C = "containers.0.securityContext"


@pytest.mark.parametrize(
    ("change", "control"),
    [
        (_set("hostPID", True), "host namespaces: spec.hostPID"),
        (_set("hostIPC", True), "host namespaces: spec.hostIPC"),
        (_set(f"{C}.privileged", True), "privileged containers"),
        (_set(f"{C}.capabilities.add", ["SYS_ADMIN"]), "adds ['SYS_ADMIN']"),
        (_set(f"{C}.capabilities.add", ["CHOWN"]), "adds more than NET_BIND_SERVICE"),
        (_set(f"{C}.capabilities.drop", ["NET_RAW"]), "does not drop ALL"),
        (_set(f"{C}.allowPrivilegeEscalation", True), "privilege escalation"),
        (_drop(f"{C}.allowPrivilegeEscalation"), "privilege escalation"),
        (_set(f"{C}.runAsNonRoot", False), "running as non-root: containers[dagster]"),
        (_drop("securityContext.runAsNonRoot"), "running as non-root: containers[dagster]"),
        (_set("securityContext.runAsUser", 0), "runAsUser 0"),
        (_drop("securityContext.seccompProfile"), "seccomp: containers[dagster]"),
        (_set("securityContext.seccompProfile", {"type": "Unconfined"}), "Unconfined"),
        (_set(f"{C}.seccompProfile", {"type": "Unconfined"}), "Unconfined"),
        (_set(f"{C}.procMount", "Unmasked"), "/proc mount type"),
        (_set(f"{C}.seLinuxOptions", {"type": "spc_t"}), "SELinux"),
        (_set(f"{C}.appArmorProfile", {"type": "Unconfined"}), "AppArmor"),
        (_set(f"{C}.windowsOptions", {"hostProcess": True}), "hostProcess"),
        (_set("containers.0.ports", [{"containerPort": 80, "hostPort": 80}]), "host ports"),
        (_set("securityContext.sysctls", [{"name": "kernel.msgmax", "value": "1"}]), "sysctls"),
        (_set("volumes.0", {"name": "profiles", "nfs": {"server": "s", "path": "/"}}), "volume"),
        (
            _set("initContainers", [{"name": "init", "image": "i"}]),
            "privilege escalation: initContainers[init]",
        ),
    ],
)
def test_each_control_of_the_profile_is_checked(change, control) -> None:
    pod = copy.deepcopy(COMPLIANT)
    change(pod)
    found = pod_security.violations(pod)
    assert any(control in line for line in found), found


def test_container_settings_can_satisfy_the_profile_without_the_pods() -> None:
    pod = copy.deepcopy(COMPLIANT)
    del pod["securityContext"]
    pod["containers"][0]["securityContext"] |= {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert pod_security.violations(pod) == []
