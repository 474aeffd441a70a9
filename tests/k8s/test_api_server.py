"""deploy/ against a real kube-apiserver (tests/k8s/cluster.py): the manifests pass a server-side
dry run, and the RBAC they grant is what a run needs and no more, as the server decides it."""

import pytest

from tests.k8s.cluster import NAMESPACE, Cluster
from tests.k8s.kustomize import KUSTOMIZATIONS, apply_rbac


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_deploy_passes_a_server_side_dry_run(cluster, rendered, name) -> None:
    apply_rbac(cluster, rendered)
    done = cluster.kubectl(
        "apply", "--server-side", "--dry-run=server", "-n", NAMESPACE, "-k", KUSTOMIZATIONS[name]
    )
    assert done.returncode == 0, done.stderr
    applied = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(applied) == len(rendered[name])
    assert all(line.endswith("(server dry run)") for line in applied), applied
    # A dry run stores nothing.
    listed = cluster.kubectl(
        "get", "deployments,configmaps,services", "-n", NAMESPACE, "-o", "name"
    )
    assert listed.returncode == 0, listed.stderr
    assert "ml-platform" not in listed.stdout


def _can(cluster: Cluster, account: str, verb: str, resource: str) -> bool:
    done = cluster.kubectl(
        "auth", "can-i", verb, resource, "-n", NAMESPACE,
        f"--as=system:serviceaccount:{NAMESPACE}:{account}",
    )  # fmt: skip
    assert done.stdout.strip() in ("yes", "no"), done.stderr
    return done.stdout.strip() == "yes"


def test_runs_may_create_step_jobs_and_nothing_more(cluster, rendered) -> None:
    """What each account may do, as the server decides it. Creating a Job still amounts to
    running a pod (any image, any account of the namespace); the namespace's Pod Security
    label bounds that pod (tests/k8s/test_pod_security.py)."""
    apply_rbac(cluster, rendered)
    for account in ("ml-platform-daemon", "ml-platform-run", "ml-platform-webserver"):
        for verb in ("get", "list", "watch", "delete"):
            assert _can(cluster, account, verb, "jobs.batch"), (account, verb)
        # dagster-k8s deletes the pods of a Job it terminates.
        for verb in ("get", "list", "delete"):
            assert _can(cluster, account, verb, "pods"), (account, verb)
        assert _can(cluster, account, "get", "pods/log")
        for verb, resource in [
            ("get", "secrets"),
            ("create", "pods"),
            ("create", "pods/exec"),
            ("update", "jobs.batch"),
            ("patch", "jobs.batch"),
            ("create", "deployments.apps"),
            ("get", "configmaps"),
            ("create", "serviceaccounts/token"),
            ("create", "roles.rbac.authorization.k8s.io"),
        ]:
            assert not _can(cluster, account, verb, resource), (account, verb, resource)
    # Only the daemon (the run queue) and run pods (their steps) launch Jobs.
    assert _can(cluster, "ml-platform-daemon", "create", "jobs.batch")
    assert _can(cluster, "ml-platform-run", "create", "jobs.batch")
    assert not _can(cluster, "ml-platform-webserver", "create", "jobs.batch")
    # Step pods and the code server may do nothing at all.
    for account in ("ml-platform-step", "ml-platform-user-code"):
        for verb, resource in [("create", "jobs.batch"), ("get", "jobs.batch"), ("list", "pods")]:
            assert not _can(cluster, account, verb, resource), (account, verb, resource)
    # Nothing outside the namespace either.
    elsewhere = cluster.kubectl(
        "auth", "can-i", "create", "jobs.batch", "-n", "default",
        f"--as=system:serviceaccount:{NAMESPACE}:ml-platform-run",
    )  # fmt: skip
    assert elsewhere.stdout.strip() == "no"
