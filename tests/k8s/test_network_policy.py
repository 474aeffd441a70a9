"""The network policies of deploy/, evaluated offline as Kubernetes defines them: a pod that any
policy selects for Ingress accepts only what one of those policies allows. The test API server
has no network plugin, so who may connect is decided here from the rendered policies and the
labels the pods carry (the Deployments', and those dagster-k8s gives run and step pods)."""

import pytest
from dagster_k8s.job import DagsterK8sJobConfig, construct_dagster_k8s_job

from tests.k8s.kustomize import find

NAMESPACE = "ml-platform"


def _matches(selector: dict | None, labels: dict) -> bool:
    """A LabelSelector; an empty one selects everything."""
    selector = selector or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _peer_allows(peer: dict, source: dict) -> bool:
    """A NetworkPolicyPeer, for a source pod ``{"namespace", "namespace_labels", "labels"}``."""
    if "ipBlock" in peer:
        return False  # pods are matched by selectors here
    if "namespaceSelector" in peer:
        if not _matches(peer["namespaceSelector"], source["namespace_labels"]):
            return False
    elif source["namespace"] != NAMESPACE:
        return False
    return _matches(peer.get("podSelector"), source["labels"])


def allowed(policies: list[dict], target: dict, port: int, source: dict) -> bool:
    """Whether ``source`` may open TCP ``port`` on ``target`` (a pod's labels) in NAMESPACE."""
    selecting = [
        p
        for p in policies
        if "Ingress" in p["spec"].get("policyTypes", ["Ingress"])
        and _matches(p["spec"]["podSelector"], target)
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get("ingress") or []:
            ports = rule.get("ports")
            if ports and not any(
                p.get("protocol", "TCP") == "TCP" and p.get("port") in (None, port) for p in ports
            ):
                continue
            peers = rule.get("from")
            if not peers or any(_peer_allows(peer, source) for peer in peers):
                return True
    return False


def _pod_labels(objects: list[dict], name: str) -> dict:
    return find(objects, "Deployment", name)["spec"]["template"]["metadata"]["labels"]


def _dagster_pod_labels(component: str) -> dict:
    """The labels dagster-k8s gives a run's (run_worker) or a step's (step_worker) pod."""
    job = construct_dagster_k8s_job(
        job_config=DagsterK8sJobConfig(job_image="i", dagster_home="/h"),
        args=["dagster"],
        job_name="dagster-x",
        component=component,
        labels={"dagster/run-id": "0123"},
    )
    return job.spec.template.metadata.labels


def _source(labels: dict, namespace: str = NAMESPACE, namespace_labels: dict | None = None):
    return {
        "namespace": namespace,
        "labels": labels,
        "namespace_labels": namespace_labels or {"kubernetes.io/metadata.name": namespace},
    }


@pytest.fixture
def example(rendered) -> tuple[list[dict], list[dict]]:
    objects = rendered["example"]
    return objects, [o for o in objects if o["kind"] == "NetworkPolicy"]


def test_the_code_server_accepts_only_the_webserver_daemon_and_runs(example) -> None:
    objects, policies = example
    user_code = _pod_labels(objects, "ml-platform-user-code")
    for name in ("ml-platform-webserver", "ml-platform-daemon"):
        assert allowed(policies, user_code, 4000, _source(_pod_labels(objects, name))), name
    assert allowed(policies, user_code, 4000, _source(_dagster_pod_labels("run_worker")))
    refused = [
        _source(_dagster_pod_labels("step_worker")),
        _source({"app": "anything"}),
        _source({}),
        # The webserver's labels from another namespace are someone else's webserver.
        _source(_pod_labels(objects, "ml-platform-webserver"), namespace="other"),
        _source(_dagster_pod_labels("run_worker"), namespace="other"),
    ]
    for source in refused:
        assert not allowed(policies, user_code, 4000, source), source
    webserver = _pod_labels(objects, "ml-platform-webserver")
    assert not allowed(policies, user_code, 3000, _source(webserver))


def test_the_ui_accepts_only_the_ingress_controller(example) -> None:
    objects, policies = example
    webserver = _pod_labels(objects, "ml-platform-webserver")
    controller = _source(
        {"app.kubernetes.io/name": "ingress-nginx"},
        namespace="ingress-nginx",
    )
    assert allowed(policies, webserver, 3000, controller)
    for source in (
        _source({"app.kubernetes.io/name": "ingress-nginx"}, namespace="tenant"),
        _source({"app": "x"}, namespace="ingress-nginx"),
        _source(_dagster_pod_labels("run_worker")),
        _source(_pod_labels(objects, "ml-platform-daemon")),
    ):
        assert not allowed(policies, webserver, 3000, source), source
    assert not allowed(policies, webserver, 4000, controller)


def test_nothing_else_in_the_namespace_accepts_connections(rendered) -> None:
    for name, objects in rendered.items():
        policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
        deny = find(objects, "NetworkPolicy", "ml-platform-default-deny-ingress")["spec"]
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}, name
        anyone = _source({"app.kubernetes.io/name": "ml-platform-webserver"})
        for target in (
            _pod_labels(objects, "ml-platform-daemon"),
            _dagster_pod_labels("run_worker"),
            _dagster_pod_labels("step_worker"),
        ):
            assert not allowed(policies, target, 3000, anyone), (name, target)
        # Egress stays open: runs reach MySQL, S3, DNS and the API server.
        assert all("Egress" not in p["spec"]["policyTypes"] for p in policies), name
