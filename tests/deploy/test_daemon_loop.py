"""The loop as a deployment runs it: a real ``dagster-daemon`` on an on-disk instance (SQLite,
and the MySQL instance of deploy/dagster.yaml with S3 and a MariaDB registry), the sensors
turned on in one step with ``dagster sensor start --start-all``, and nobody at the keyboard.

History (days 0-11) is ingested and a champion trained beforehand, as the command line does.
With the loop on, the landing sensor's first tick over that history starts nothing; then days
12-25 arrive with an income shock, and the daemon alone ingests them once, reports their drift
and launches the drift-triggered retraining.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from ml_platform_assets.assets.common import asset_key
from ml_platform_assets.core.simulate import DriftPlan
from ml_platform_assets.core.spec import load_specs
from resources.database import dispose_engine
from resources.environment import read_environment
from resources.wiring import platform_resources
from sensors import automation_sensor_name
from sensors.drift import drift_sensor_name
from sensors.landing import landing_sensor_name
from tests.drift_platform import CUTOFF, DAYS, DRIFT_START, GUARDRAILS, DriftPlatform

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODEL = "loop_credit"
WAIT_SECONDS = 150  # for each step of the loop; the whole test takes about two minutes


def _spec_yaml() -> str:
    """credit_default as a second model with the drift tests' short windows and guardrails."""
    text = (ROOT / "ml_platform_assets/core/specs/credit_default.yaml").read_text()
    replacements = {
        r"name: credit_default": f"name: {MODEL}",
        r"num_boost_round: \d+": "num_boost_round: 60",
        r"windows:\n(  .*\n)+": "windows: {training_days: 6, validation_days: 2, oot_days: 3, "
        "label_maturity_days: 3}\n",
        r"drift:\n(  .*\n|  #.*\n)+": f"drift: {dict(GUARDRAILS)}\n".replace("'", ""),
    }
    for pattern, new in replacements.items():
        text, count = re.subn(pattern, new, text)
        assert count == 1, pattern
    return text


def _sqlite_home(home: Path) -> dict[str, str]:
    """The repository's dagster.yaml (state in SQLite under ``home``), and a platform home of
    the test's own beside it for the registry and the artifacts."""
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    return {"ML_PLATFORM_HOME": str(home.parent / "platform")}


def _mysql_home(home: Path, make_mysql_database, make_s3_resource) -> dict[str, str]:
    """deploy/dagster.yaml on a fresh database, the registry in another, artifacts on S3."""
    shutil.copy(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    instance_url = sa.make_url(make_mysql_database())
    s3 = make_s3_resource()
    return {
        "DAGSTER_MYSQL_HOST": instance_url.host,
        "DAGSTER_MYSQL_PORT": str(instance_url.port or 3306),
        "DAGSTER_MYSQL_USER": instance_url.username,
        "DAGSTER_MYSQL_PASSWORD": instance_url.password or "",
        "DAGSTER_MYSQL_DB": instance_url.database,
        "ML_PLATFORM_DATABASE_URL": make_mysql_database(),
        "ML_PLATFORM_OBJECT_STORE": s3.uri,
        "AWS_ENDPOINT_URL": s3.endpoint_url,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": os.environ["ML_PLATFORM_TEST_S3_ACCESS_KEY"],
        "AWS_SECRET_ACCESS_KEY": os.environ["ML_PLATFORM_TEST_S3_SECRET_KEY"],
    }


@pytest.fixture(params=["sqlite", "mysql"])
def deployment(request, tmp_path) -> Iterator[dict[str, str]]:
    """The environment of a deployment: DAGSTER_HOME, workspace, resources and specs."""
    home, specs = tmp_path / "dagster_home", tmp_path / "specs"
    home.mkdir()
    specs.mkdir()
    (specs / f"{MODEL}.yaml").write_text(_spec_yaml())
    if request.param == "sqlite":
        env = _sqlite_home(home)
    else:
        env = _mysql_home(
            home,
            request.getfixturevalue("make_mysql_database"),
            request.getfixturevalue("make_s3_resource"),
        )
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(
        "load_from:\n  - python_module:\n      module_name: ml_platform_assets.definitions\n"
        f"      location_name: ml_platform\n      working_directory: {ROOT}\n"
    )
    env |= {
        "DAGSTER_HOME": str(home),
        "ML_PLATFORM_SPECS_DIR": str(specs),
        "WORKSPACE": str(workspace),
        "OMP_NUM_THREADS": "1",
        "OMP_WAIT_POLICY": "passive",
        "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true",
    }
    yield env
    if "ML_PLATFORM_DATABASE_URL" in env:
        dispose_engine(env["ML_PLATFORM_DATABASE_URL"])


def _start_daemon(env: dict[str, str], log: Path) -> subprocess.Popen:
    """``dagster-daemon run`` in its own process group (its code server and runs join it)."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            [BIN / "dagster-daemon", "run", "-w", env["WORKSPACE"]],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(daemon: subprocess.Popen) -> None:
    """Stops the daemon's whole process group: daemon, code server and any run still going."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(daemon.pid, sig)
        except ProcessLookupError:
            return
        try:
            daemon.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait(what: str, check: Callable[[], object], log: Path, seconds: int = WAIT_SECONDS):
    """Polls ``check`` until it returns something truthy; fails with the daemon's log tail."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(2)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    pytest.fail(f"{what} did not happen within {seconds} s; daemon log:\n{tail}")


def _ticks(instance: dg.DagsterInstance, name: str) -> list:
    """The sensor's finished ticks (a tick still being evaluated shows as STARTED)."""
    states = [s for s in instance.all_instigator_state() if s.instigator_name == name]
    if not states:
        return []
    state = states[0]
    ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id)
    return [t for t in ticks if t.status.value != "STARTED"]


def _per_partition(instance: dg.DagsterInstance, key: dg.AssetKey) -> dict[str, int]:
    records = instance.fetch_materializations(key, limit=10_000).records
    counts: dict[str, int] = {}
    for record in records:
        day = record.asset_materialization.partition
        counts[day] = counts.get(day, 0) + 1
    return counts


@pytest.mark.timeout(420)
def test_the_daemon_runs_the_loop_from_delivery_to_retraining(
    deployment, tmp_path, monkeypatch
) -> None:
    env, log = deployment, tmp_path / "daemon.log"
    for name, value in env.items():  # the instance config reads DAGSTER_MYSQL_* here too
        monkeypatch.setenv(name, value)
    spec = load_specs(env["ML_PLATFORM_SPECS_DIR"])[MODEL]
    resources = platform_resources(read_environment())  # the environment set just above
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        p = DriftPlatform(spec, resources, instance)
        p.land(CUTOFF + 1)
        p.ingest(0, CUTOFF)
        assert p.train(as_of=CUTOFF).promoted
        history_runs = len(instance.get_runs())

        daemon = _start_daemon(env, log)
        try:
            started = subprocess.run(
                [BIN / "dagster", "sensor", "start", "--start-all", "-w", env["WORKSPACE"]],
                env={**os.environ, **env},
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert started.returncode == 0, started.stderr[-2000:]
            assert "Started all sensors" in started.stdout
            running = {s.instigator_name for s in instance.all_instigator_state() if s.is_running}
            names = {
                f(spec) for f in (landing_sensor_name, automation_sensor_name, drift_sensor_name)
            }
            assert names <= running

            # Over the ingested history, the landing sensor's first tick starts nothing.
            tick = _wait(
                "the landing sensor's first tick",
                lambda: _ticks(instance, landing_sensor_name(spec)),
                log,
            )[-1]  # newest first: the last is the first tick
            assert tick.status.value == "SKIPPED" and not tick.run_ids, tick
            assert len(instance.get_runs()) == history_runs

            p.land(DAYS, DriftPlan("income_shock", p.day(DRIFT_START)))
            new_days = {p.day(d).isoformat() for d in range(CUTOFF + 1, DAYS)}
            ingested = [
                asset_key(spec, n) for n in ("raw_applications", "features", "loan_outcomes")
            ]
            # One run ingests each range; its steps finish one after another.
            _wait(
                "the ingestion of the new days",
                lambda: all(new_days <= set(_per_partition(instance, k)) for k in ingested),
                log,
            )
            for name in ("raw_applications", "features", "loan_outcomes"):
                counts = _per_partition(instance, asset_key(spec, name))
                assert set(counts.values()) == {1}, (name, counts)
                assert len(counts) == DAYS

            drift = p.drift_store
            _wait(
                "the drift reports of the new days",
                lambda: new_days <= {r.day.isoformat() for r in drift.results(MODEL)},
                log,
            )
            retrain = _wait(
                "a drift-triggered retraining run",
                lambda: instance.get_runs(
                    filters=dg.RunsFilter(tags={"ml_platform/trigger": "drift"})
                ),
                log,
            )
            [run] = retrain
            assert run.tags["dagster/sensor_name"] == drift_sensor_name(spec)
            # Dequeued and launched by the daemon's run coordinator, not merely requested.
            _wait(
                "the launch of the retraining run",
                lambda: (
                    instance.get_run_by_id(run.run_id).status.value
                    in ("STARTING", "STARTED", "SUCCESS")
                ),
                log,
                seconds=60,
            )
            assert run.tags["ml_platform/champion_version"] == "1"

            launched = {r.tags.get("dagster/sensor_name") for r in instance.get_runs()}
            assert launched - {None} == names
        finally:
            _stop(daemon)
