"""A drift retraining that the daemon launches as a Kubernetes Job, then executes step by step as
Kubernetes Jobs, against the real API server of tests/k8s/cluster.py.

The instance is the deployment's own (the overlay's instance ConfigMap: MySQL storage on the
test MariaDB, K8sRunLauncher, queued runs, compute logs on S3), except that the launcher reaches
the test server through a kubeconfig instead of in-cluster credentials. The environment is the
overlay's: ML_PLATFORM_EXECUTOR=kubernetes, its compute profiles, its image.

1. Drift is prepared in process (a champion, then an income shock measured day by day).
2. ``dagster-daemon`` runs with only the drift retrain sensor on: its tick asks for the
   retraining, the run queue launches it, and K8sRunLauncher creates ``dagster-run-<id>``.
3. The run worker is started here with exactly that Job's command and the pod's environment, as
   a kubelet would; its ``k8s_job_executor`` creates ``dagster-step-*`` for the first step. No
   pod ever runs (no kubelet), so the worker then waits; it is stopped once the Job exists.

Every Job body the clients sent (recorded by the test proxy) must pass
``kubernetes-validate --strict`` for a current Kubernetes; the 1.20 server would drop what it
does not know. About a minute once the API server runs.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml

from resources.database import dispose_engine
from resources.database_resource import DatabaseResource
from resources.kubernetes import STEP_SERVICE_ACCOUNT
from resources.object_store_resource import ObjectStoreResource
from sensors.drift import drift_sensor_name
from tests.drift_platform import DRIFT_START, DriftPlatform, drift_spec
from tests.k8s import pod_security
from tests.k8s.cluster import NAMESPACE, Cluster, RecordedJob
from tests.k8s.kustomize import KUSTOMIZATIONS, validate_strict
from tests.k8s.processes import instance_home, workspace_file
from tests.k8s.processes import start as _start
from tests.k8s.processes import stop as _stop
from tests.k8s.processes import wait as _wait

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODEL = "k8s_credit"
SECRET = "ml-platform-secrets"
WAIT_SECONDS = 180


@pytest.fixture
def deployment(cluster: Cluster, rendered, tmp_path, make_mysql_database, s3_settings, monkeypatch):
    """DAGSTER_HOME with the overlay's instance config, and the environment of its pods."""
    home, pod_env, image = instance_home(cluster, rendered, tmp_path)

    spec = drift_spec().model_copy(update={"name": MODEL})
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / f"{MODEL}.yaml").write_text(
        yaml.safe_dump(spec.model_dump(mode="json", exclude_none=True))
    )
    workspace = workspace_file(tmp_path)
    instance_db = sa.make_url(make_mysql_database())
    registry_url = f"sqlite:///{tmp_path / 'registry.db'}"
    env = {
        # From the overlay: the executor switch and the compute profiles (its ConfigMap's file).
        "ML_PLATFORM_EXECUTOR": pod_env["ML_PLATFORM_EXECUTOR"],
        "ML_PLATFORM_COMPUTE_PROFILES": str(KUSTOMIZATIONS["example"] / "compute-profiles.yaml"),
        "DAGSTER_CURRENT_IMAGE": image,
        "DAGSTER_K8S_JOB_NAMESPACE": NAMESPACE,
        "DAGSTER_COMPUTE_LOG_PREFIX": pod_env["DAGSTER_COMPUTE_LOG_PREFIX"],
        # The test's own services in place of the lender's.
        "DAGSTER_HOME": str(home),
        "DAGSTER_MYSQL_HOST": instance_db.host,
        "DAGSTER_MYSQL_PORT": str(instance_db.port or 3306),
        "DAGSTER_MYSQL_USER": instance_db.username,
        "DAGSTER_MYSQL_PASSWORD": instance_db.password or "",
        "DAGSTER_MYSQL_DB": instance_db.database,
        "DAGSTER_COMPUTE_LOG_BUCKET": s3_settings["ML_PLATFORM_TEST_S3_BUCKET"],
        "AWS_ENDPOINT_URL": s3_settings["ML_PLATFORM_TEST_S3_ENDPOINT"],
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": s3_settings["ML_PLATFORM_TEST_S3_ACCESS_KEY"],
        "AWS_SECRET_ACCESS_KEY": s3_settings["ML_PLATFORM_TEST_S3_SECRET_KEY"],
        "ML_PLATFORM_OBJECT_STORE": str(tmp_path / "store"),
        "ML_PLATFORM_DATABASE_URL": registry_url,
        "ML_PLATFORM_SPECS_DIR": str(specs),
        "OMP_NUM_THREADS": "1",
        "OMP_WAIT_POLICY": "passive",
    }
    for name, value in env.items():  # the instance config reads its variables here too
        monkeypatch.setenv(name, value)
    # Drift prepared in process, with this process's (in-process) executor.
    monkeypatch.delenv("ML_PLATFORM_EXECUTOR")
    resources = {
        "object_store": ObjectStoreResource(uri=env["ML_PLATFORM_OBJECT_STORE"]),
        "database": DatabaseResource(url=registry_url),
    }
    with dg.DagsterInstance.ephemeral() as scratch:
        platform = DriftPlatform(spec, resources, scratch).prepare()
        platform.report(*range(DRIFT_START + 1, DRIFT_START + 11))
    monkeypatch.setenv("ML_PLATFORM_EXECUTOR", env["ML_PLATFORM_EXECUTOR"])
    # The instance's tables exist before two processes (daemon, CLI) would race to make them.
    dg.DagsterInstance.from_config(str(home)).dispose()
    yield env | {"WORKSPACE": str(workspace)}
    dispose_engine(registry_url)


def _container(body: dict) -> dict:
    [container] = body["spec"]["template"]["spec"]["containers"]
    return container


def _read_back(cluster: Cluster, name: str) -> dict:
    done = cluster.kubectl("get", "job", name, "-n", NAMESPACE, "-o", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.timeout(600)
def test_a_drift_retraining_runs_as_kubernetes_jobs(cluster, deployment, tmp_path) -> None:
    env, proxy = deployment, cluster.proxy
    sensor = drift_sensor_name(drift_spec().model_copy(update={"name": MODEL}))
    daemon_log, worker_log = tmp_path / "daemon.log", tmp_path / "run-worker.log"
    daemon = _start([BIN / "dagster-daemon", "run", "-w", env["WORKSPACE"]], env, daemon_log)
    worker = None
    try:
        started = subprocess.run(
            [BIN / "dagster", "sensor", "start", sensor, "-w", env["WORKSPACE"]],
            env={**os.environ, **env},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert started.returncode == 0, started.stderr[-2000:]

        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            [run] = _wait(
                "the drift sensor's retraining run",
                lambda: instance.get_runs(
                    filters=dg.RunsFilter(tags={"ml_platform/trigger": "drift"})
                ),
                daemon_log,
            )
            assert run.tags["dagster/sensor_name"] == sensor
            assert run.job_name == f"{MODEL}__training"
            name = f"dagster-run-{run.run_id}"
            [sent] = _wait("the run's Kubernetes Job", lambda: proxy.jobs_named(name), daemon_log)
            _check_run_job(cluster, sent, run, env)

            # What the pod's kubelet would start: the Job's command, the pod's environment.
            container = _container(sent.body)
            # This virtualenv stands for the image, whose PATH starts with its own.
            image_env = env | {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
            worker = _start(container.get("command", []) + container["args"], image_env, worker_log)
            step_prefix = "dagster-step-"
            [step] = _wait(
                "the training step's Kubernetes Job",
                lambda: [
                    j
                    for j in proxy.jobs_named(step_prefix)
                    if j.body["metadata"]["labels"].get("dagster/run-id") == run.run_id
                ],
                worker_log,
            )
            _check_training_step_job(cluster, step, run, env)
            assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
    finally:
        if worker is not None:
            _stop(worker)
        _stop(daemon)


def _check_run_job(cluster: Cluster, sent: RecordedJob, run: dg.DagsterRun, env: dict) -> None:
    """The run worker's Job: image, command, environment from Secrets, service account."""
    validate_strict(sent.body)
    assert pod_security.violations(sent.body["spec"]["template"]["spec"]) == []
    assert sent.namespace == NAMESPACE
    stored = _read_back(cluster, sent.body["metadata"]["name"])
    pod = stored["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"] == env["DAGSTER_CURRENT_IMAGE"]
    assert container["args"][:3] == ["dagster", "api", "execute_run"]
    # The run's pod creates the step Jobs: it has the account and token for it.
    assert pod["serviceAccountName"] == "ml-platform-run"
    assert pod.get("automountServiceAccountToken", True) is True
    assert {"secretRef": {"name": SECRET}} in container["envFrom"]
    assert {"configMapRef": {"name": "ml-platform-env"}} in container["envFrom"]
    namespace_env = [e for e in container["env"] if e["name"] == "DAGSTER_K8S_JOB_NAMESPACE"]
    assert namespace_env[0]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "1Gi"}
    # The instance reaches the run worker in its arguments; the compute profiles as a file.
    assert {"name": "DAGSTER_HOME", "value": "/opt/dagster/dagster_home"} in container["env"]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/opt/dagster/compute-profiles" in mounts
    assert stored["metadata"]["labels"]["dagster/run-id"] == run.run_id
    assert stored["spec"]["backoffLimit"] == 0
    assert stored["spec"]["ttlSecondsAfterFinished"] == 86400


def _check_training_step_job(cluster: Cluster, sent: RecordedJob, run: dg.DagsterRun, env) -> None:
    """The first step of the retraining, with the overlay's training profile."""
    validate_strict(sent.body)
    assert pod_security.violations(sent.body["spec"]["template"]["spec"]) == []
    stored = _read_back(cluster, sent.body["metadata"]["name"])
    assert stored["metadata"]["labels"]["dagster/op"] == f"{MODEL}__training_set"
    pod = stored["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"] == env["DAGSTER_CURRENT_IMAGE"]
    assert container["args"][:3] == ["dagster", "api", "execute_step"]
    # compute-profiles.yaml of the overlay: more memory and the high-memory pool for training.
    assert container["resources"] == {
        "requests": {"cpu": "2", "memory": "6Gi"},
        "limits": {"cpu": "2", "memory": "12Gi"},
    }
    assert pod["nodeSelector"] == {"example.com/pool": "highmem"}
    assert pod["tolerations"] == [
        {"key": "example.com/pool", "operator": "Equal", "value": "highmem", "effect": "NoSchedule"}
    ]
    # A step never calls the Kubernetes API: no role, no token.
    assert pod["serviceAccountName"] == STEP_SERVICE_ACCOUNT
    assert pod["automountServiceAccountToken"] is False
    assert {"secretRef": {"name": SECRET}} in container["envFrom"]
