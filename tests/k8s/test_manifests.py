"""deploy/kubernetes rendered through kustomize, checked offline: every object is valid for a
current Kubernetes with no unknown field, every container is sized and probed, Secrets are only
referenced, and the names the instance config and the workspace use exist in the manifests."""

import pytest
import yaml

from ml_platform_assets.assets.policy import INGESTION_POOL
from resources.kubernetes import STEP_SERVICE_ACCOUNT
from tests.k8s.kustomize import KUSTOMIZATIONS, SCHEMA_VERSION, find, validate_strict

SECRET = "ml-platform-secrets"
WORKLOADS = ("ml-platform-webserver", "ml-platform-daemon", "ml-platform-user-code")


@pytest.fixture(params=sorted(KUSTOMIZATIONS))
def objects(request, rendered) -> list[dict]:
    return rendered[request.param]


def _containers(objects: list[dict], *, init: bool = False) -> list[tuple[str, dict]]:
    """(Deployment name, container) of every Deployment; with ``init``, init containers too."""
    kinds = ("initContainers", "containers") if init else ("containers",)
    return [
        (d["metadata"]["name"], c)
        for d in objects
        if d["kind"] == "Deployment"
        for kind in kinds
        for c in d["spec"]["template"]["spec"].get(kind, [])
    ]


def _instance(objects: list[dict]) -> dict:
    return yaml.safe_load(
        find(objects, "ConfigMap", "ml-platform-instance")["data"]["dagster.yaml"]
    )


def test_every_object_is_valid_for_a_current_kubernetes(objects) -> None:
    assert SCHEMA_VERSION >= "1.30"
    for obj in objects:
        validate_strict(obj)


def test_the_three_dagster_processes_are_deployed(objects) -> None:
    assert sorted(name for name, _ in _containers(objects)) == sorted(WORKLOADS)
    assert find(objects, "Deployment", "ml-platform-daemon")["spec"]["replicas"] == 1


def test_every_container_has_requests_limits_and_probes(objects) -> None:
    for name, container in _containers(objects, init=True):
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            assert set(resources.get(kind, {})) == {"cpu", "memory"}, (name, kind)
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
    for name, container in _containers(objects):
        assert "livenessProbe" in container and "readinessProbe" in container, name


def test_dagster_home_is_writable_with_the_instance_file_in_it(objects) -> None:
    """Only dagster.yaml comes from the ConfigMap; the folder is an emptyDir Dagster can write."""
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        for container in pod.get("initContainers", []) + pod["containers"]:
            mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
            home = mounts["/opt/dagster/dagster_home"]
            assert "emptyDir" in volumes[home["name"]], (container["name"], home)
            instance = mounts["/opt/dagster/dagster_home/dagster.yaml"]
            assert instance["subPath"] == "dagster.yaml" and instance["readOnly"] is True
            config_map = volumes[instance["name"]]["configMap"]["name"]
            assert config_map == "ml-platform-instance"
            for mount in container["volumeMounts"]:
                if "configMap" in volumes[mount["name"]]:
                    assert mount.get("readOnly") is True, (container["name"], mount)


def test_the_user_code_pod_loads_the_definitions_before_it_starts(objects) -> None:
    """The code server serves a load error as a healthy server; its init container fails on it
    instead, with the main container's settings and files."""
    pod = find(objects, "Deployment", "ml-platform-user-code")["spec"]["template"]["spec"]
    [init] = pod["initContainers"]
    [server] = pod["containers"]
    module = server["args"][server["args"].index("--module-name") + 1]
    assert init["command"] == ["python", "-c", f"import {module}"]
    assert init["image"] == server["image"]
    assert init["envFrom"] == server["envFrom"]
    assert init["volumeMounts"] == server["volumeMounts"]
    assert init["env"] == [e for e in server["env"] if e["name"] != "DAGSTER_CURRENT_IMAGE"]


def test_pods_run_as_the_images_non_root_user(objects) -> None:
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        security = deployment["spec"]["template"]["spec"]["securityContext"]
        assert security["runAsNonRoot"] is True and security["runAsUser"] == 10001


def test_secrets_are_referenced_never_embedded(objects) -> None:
    assert not [o for o in objects if o["kind"] == "Secret"]
    for name, container in _containers(objects):
        refs = [e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e]
        assert refs == [SECRET], name
        for env in container.get("env", []):
            if any(word in env["name"] for word in ("PASSWORD", "SECRET", "TOKEN", "KEY")):
                assert "value" not in env, (name, env["name"])
    for data in (o.get("data", {}) for o in objects if o["kind"] == "ConfigMap"):
        for key in data:
            assert not any(word in key for word in ("PASSWORD", "SECRET_ACCESS", "TOKEN")), key
    assert _instance(objects)["run_launcher"]["config"]["env_secrets"] == [SECRET]


def test_the_instance_launches_runs_as_kubernetes_jobs_on_mysql(objects) -> None:
    instance = _instance(objects)
    assert set(instance["storage"]) == {"mysql"}
    launcher = instance["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    config = launcher["config"]
    assert config["load_incluster_config"] is True
    assert instance["run_coordinator"]["class"] == "QueuedRunCoordinator"
    # The cap on ingestion days at once applies to its pool, per run.
    assert instance["concurrency"]["pools"]["granularity"] == "run"
    assert instance["concurrency"]["pools"]["default_limit"] >= 1
    assert INGESTION_POOL


def test_names_the_instance_config_uses_exist(objects) -> None:
    config = _instance(objects)["run_launcher"]["config"]
    names = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert ("ConfigMap", config["instance_config_map"]) in names
    assert ("ServiceAccount", config["service_account_name"]) in names
    for name in config["env_config_maps"]:
        assert ("ConfigMap", name) in names
    for volume in config["volumes"]:
        assert ("ConfigMap", volume["config_map"]["name"]) in names
    mounts = {m["mount_path"] for m in config["volume_mounts"]}
    env = find(objects, "ConfigMap", "ml-platform-env")["data"]
    assert env["ML_PLATFORM_EXECUTOR"] == "kubernetes"
    assert env["ML_PLATFORM_COMPUTE_PROFILES"].rsplit("/", 1)[0] in mounts


def test_the_workspace_points_at_the_user_code_service(objects) -> None:
    workspace = yaml.safe_load(
        find(objects, "ConfigMap", "ml-platform-workspace")["data"]["workspace.yaml"]
    )
    [location] = workspace["load_from"]
    service = find(objects, "Service", location["grpc_server"]["host"])
    assert location["grpc_server"]["port"] in [p["port"] for p in service["spec"]["ports"]]


def _granted(role: dict) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def _accounts(objects: list[dict]) -> dict[str, str]:
    """Deployment name -> its pods' service account."""
    return {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]["serviceAccountName"]
        for d in objects
        if d["kind"] == "Deployment"
    }


def test_runs_can_create_step_jobs_and_nothing_more(objects) -> None:
    launch = _granted(find(objects, "Role", "ml-platform-launch-jobs"))
    stop = _granted(find(objects, "Role", "ml-platform-stop-jobs"))
    # What dagster-k8s needs: Jobs, their pods (it deletes a terminated Job's pods), logs, events.
    jobs_and_pods = {
        ("batch", "jobs", "create"), ("batch", "jobs", "get"), ("batch", "jobs", "list"),
        ("batch", "jobs", "watch"), ("batch", "jobs", "delete"), ("batch", "jobs/status", "get"),
        ("", "pods", "get"), ("", "pods", "list"), ("", "pods", "watch"), ("", "pods", "delete"),
        ("", "pods/log", "get"), ("", "events", "list"),
    }  # fmt: skip
    assert launch == jobs_and_pods
    # The webserver follows and terminates runs; the daemon launches them from the queue.
    assert stop == jobs_and_pods - {("batch", "jobs", "create")}
    run_account = _instance(objects)["run_launcher"]["config"]["service_account_name"]
    subjects = {
        binding["roleRef"]["name"]: {s["name"] for s in binding["subjects"]}
        for binding in (o for o in objects if o["kind"] == "RoleBinding")
    }
    accounts = _accounts(objects)
    assert subjects == {
        "ml-platform-launch-jobs": {accounts["ml-platform-daemon"], run_account},
        "ml-platform-stop-jobs": {accounts["ml-platform-webserver"]},
    }
    assert run_account not in accounts.values()


def test_pods_that_never_call_the_api_get_no_token(objects) -> None:
    """The code server and every step pod run as accounts with no role and no token mounted."""
    user_code = find(objects, "Deployment", "ml-platform-user-code")["spec"]["template"]["spec"]
    assert user_code["automountServiceAccountToken"] is False
    for name in (user_code["serviceAccountName"], STEP_SERVICE_ACCOUNT):
        assert find(objects, "ServiceAccount", name)["automountServiceAccountToken"] is False
        for binding in (o for o in objects if o["kind"] == "RoleBinding"):
            assert name not in {s["name"] for s in binding["subjects"]}, binding


def test_the_code_server_reports_the_image_it_runs(rendered) -> None:
    """Runs and steps get the image DAGSTER_CURRENT_IMAGE names: the overlay's, not a stale one."""
    deployment = find(rendered["example"], "Deployment", "ml-platform-user-code")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["DAGSTER_CURRENT_IMAGE"] == container["image"]
    assert container["image"].startswith("registry.example.com/")
    for obj in rendered["example"]:
        assert obj["kind"] == "Namespace" or obj["metadata"]["namespace"] == "ml-platform"
