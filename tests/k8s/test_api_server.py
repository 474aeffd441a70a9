"""deploy/ against a real kube-apiserver (tests/k8s/cluster.py): the manifests pass a server-side
dry run, and the RBAC they grant is what a run needs and no more, as the server decides it."""

import pytest

from tests.k8s.cluster import NAMESPACE, Cluster
from tests.k8s.conftest import KUSTOMIZATIONS, apply_rbac


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
    apply_rbac(cluster, rendered)
    for account in ("ml-platform-run", "ml-platform-dagster"):
        for verb in ("create", "get", "list", "delete"):
            assert _can(cluster, account, verb, "jobs.batch"), (account, verb)
        assert _can(cluster, account, "get", "pods/log")
        assert _can(cluster, account, "list", "pods")
        for verb, resource in [
            ("get", "secrets"),
            ("create", "pods"),
            ("update", "jobs.batch"),
            ("create", "deployments.apps"),
            ("get", "configmaps"),
            ("create", "roles.rbac.authorization.k8s.io"),
        ]:
            assert not _can(cluster, account, verb, resource), (account, verb, resource)
    assert not _can(cluster, "ml-platform-user-code", "create", "jobs.batch")
    # Nothing outside the namespace either.
    elsewhere = cluster.kubectl(
        "auth", "can-i", "create", "jobs.batch", "-n", "default",
        f"--as=system:serviceaccount:{NAMESPACE}:ml-platform-run",
    )  # fmt: skip
    assert elsewhere.stdout.strip() == "no"
