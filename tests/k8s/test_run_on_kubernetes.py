"""``ml-platform run`` on a deployment whose instance launches runs on Kubernetes: the command
submits its runs through the instance (the run queue, then ``K8sRunLauncher``) and follows
them, instead of executing them in its own process.

The instance is the overlay's (MySQL on the test MariaDB, queued runs, ``K8sRunLauncher``
reaching the test API server through a kubeconfig), the environment the overlay's pods get.
``dagster-daemon`` dequeues the submitted ingestion run and launches it as a
``dagster-run-<id>`` Job; no pod ever runs (no kubelet), so the command keeps following the
run and is stopped once the Job exists.
"""

import dagster as dg
import pytest
import sqlalchemy as sa

from tests.cli.commands import files_spec
from tests.k8s.cluster import NAMESPACE, Cluster
from tests.k8s.kustomize import KUSTOMIZATIONS, validate_strict
from tests.k8s.processes import BIN, instance_home, start, stop, wait, workspace_file

MODEL = "pay_in_four"


@pytest.mark.timeout(420)
def test_run_submits_its_runs_through_the_instance(
    cluster: Cluster, rendered, tmp_path, make_mysql_database, s3_settings, monkeypatch
) -> None:
    home, pod_env, image = instance_home(cluster, rendered, tmp_path)
    workspace = workspace_file(tmp_path)
    instance_db = sa.make_url(make_mysql_database())
    env = {
        "ML_PLATFORM_EXECUTOR": pod_env["ML_PLATFORM_EXECUTOR"],
        "ML_PLATFORM_COMPUTE_PROFILES": str(KUSTOMIZATIONS["example"] / "compute-profiles.yaml"),
        "ML_PLATFORM_WORKSPACE": str(workspace),
        "ML_PLATFORM_HOME": str(tmp_path / "platform"),
        "ML_PLATFORM_SPECS_DIR": str(files_spec(tmp_path, 4)),
        "DAGSTER_CURRENT_IMAGE": image,
        "DAGSTER_K8S_JOB_NAMESPACE": NAMESPACE,
        "DAGSTER_COMPUTE_LOG_PREFIX": pod_env["DAGSTER_COMPUTE_LOG_PREFIX"],
        "DAGSTER_COMPUTE_LOG_BUCKET": s3_settings["ML_PLATFORM_TEST_S3_BUCKET"],
        "DAGSTER_HOME": str(home),
        "DAGSTER_MYSQL_HOST": instance_db.host,
        "DAGSTER_MYSQL_PORT": str(instance_db.port or 3306),
        "DAGSTER_MYSQL_USER": instance_db.username,
        "DAGSTER_MYSQL_PASSWORD": instance_db.password or "",
        "DAGSTER_MYSQL_DB": instance_db.database,
        "AWS_ENDPOINT_URL": s3_settings["ML_PLATFORM_TEST_S3_ENDPOINT"],
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": s3_settings["ML_PLATFORM_TEST_S3_ACCESS_KEY"],
        "AWS_SECRET_ACCESS_KEY": s3_settings["ML_PLATFORM_TEST_S3_SECRET_KEY"],
        "OMP_NUM_THREADS": "1",
        "PYTHONUNBUFFERED": "1",  # the command's lines reach its log as they are printed
    }
    for name, value in env.items():  # the instance config reads its variables here too
        monkeypatch.setenv(name, value)
    # The instance's tables exist before two processes (daemon, command) would race to make them.
    dg.DagsterInstance.from_config(str(home)).dispose()
    daemon_log, cli_log = tmp_path / "daemon.log", tmp_path / "cli.log"
    daemon = start([BIN / "dagster-daemon", "run", "-w", workspace], env, daemon_log)
    command = [BIN / "ml-platform", "run", MODEL, "--start", "2026-01-01", "--end", "2026-01-04"]
    cli = start(command, env, cli_log)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            [run] = wait(
                "the ingestion run ml-platform submitted",
                lambda: instance.get_runs(filters=dg.RunsFilter(job_name=f"{MODEL}__ingestion")),
                cli_log,
            )
            assert run.tags["dagster/asset_partition_range_start"] == "2026-01-01"
            assert run.tags["dagster/asset_partition_range_end"] == "2026-01-04"
            [sent] = wait(
                "the run's Kubernetes Job",
                lambda: cluster.proxy.jobs_named(f"dagster-run-{run.run_id}"),
                daemon_log,
            )
            validate_strict(sent.body)
            [container] = sent.body["spec"]["template"]["spec"]["containers"]
            assert container["image"] == image
            assert container["args"][:3] == ["dagster", "api", "execute_run"]
            launched = instance.get_run_by_id(run.run_id).status
            assert launched in (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED)
            # Nothing was ingested by the command itself: it delivered, submitted and follows.
            assert cli.poll() is None, cli_log.read_text()[-3000:]
            assert not (tmp_path / "platform" / MODEL / "raw").exists()
            assert (tmp_path / "platform" / MODEL / "landing").is_dir()
            assert "Ingesting pay_in_four 2026-01-01..2026-01-04" in cli_log.read_text()
    finally:
        stop(cli)
        stop(daemon)
