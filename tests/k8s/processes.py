"""Processes of a deployment started by the Kubernetes tests (the daemon, the command line, a
run worker), and the overlay's instance, environment and image they run with."""

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.k8s.cluster import Cluster
from tests.k8s.kustomize import apply_rbac, find

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WAIT_SECONDS = 180


def overlay(rendered) -> tuple[dict, dict, str]:
    """The overlay's instance config, environment ConfigMap and image."""
    objects = rendered["example"]
    instance = yaml.safe_load(
        find(objects, "ConfigMap", "ml-platform-instance")["data"]["dagster.yaml"]
    )
    env = find(objects, "ConfigMap", "ml-platform-env")["data"]
    deployment = find(objects, "Deployment", "ml-platform-user-code")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return instance, env, container["image"]


def instance_home(cluster: Cluster, rendered, folder: Path) -> tuple[Path, dict, str]:
    """Applies the overlay's RBAC to ``cluster`` and writes the overlay's instance config, its
    run launcher reaching ``cluster`` through a kubeconfig instead of in-cluster credentials, to
    ``folder/dagster_home``. Returns that DAGSTER_HOME, the pods' environment and the image."""
    apply_rbac(cluster, rendered)
    instance_config, pod_env, image = overlay(rendered)
    launcher = instance_config["run_launcher"]["config"]
    launcher["load_incluster_config"] = False
    launcher["kubeconfig_file"] = str(cluster.recorded_kubeconfig)
    home = folder / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance_config))
    return home, pod_env, image


def workspace_file(folder: Path) -> Path:
    """``folder/workspace.yaml``, loading the code location from this repository."""
    workspace = folder / "workspace.yaml"
    workspace.write_text(
        "load_from:\n  - python_module:\n      module_name: ml_platform_assets.definitions\n"
        f"      location_name: ml_platform\n      working_directory: {ROOT}\n"
    )
    return workspace


def wait(what: str, check: Callable[[], object], log: Path, seconds: int = WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(1)
    tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
    pytest.fail(f"{what} did not happen within {seconds} s; log {log.name}:\n{tail}")


def stop(process: subprocess.Popen) -> None:
    """Stops a process group started here: the daemon with its code server, or a run worker."""
    for sig, wait in ((15, 15), (9, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def start(command: list, env: dict, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [str(c) for c in command],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
