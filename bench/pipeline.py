"""Whole lifecycle vs LightGBM training alone, on about a million applications, on the
Dagster instances users run.

Delivers ~1M synthetic applications (120 days) into a temporary platform, then times the whole
credit_default lifecycle through Dagster from the delivered files: ingestion and features of
every day, training set, training, evaluation and promotion, then the drift report of the last
delivered day as the drift job materializes it (default config, so its page is drawn too).
Then LightGBM trains alone on the same training set, with the same parameters and threads (the
function the challenger_model asset calls): the denominator of the ratio, measured in the same
repeat. Each repeat runs on a fresh platform; on a shared machine one LightGBM fit varies by
10-20 %, so the median ratio of the repeats is reported.

Instances (the object store stays a local folder for both, so they differ only in the instance):

- ``sqlite``: the repository's ``dagster.yaml`` (what ``make demo`` runs on: runs, event logs
  and schedules in SQLite files on disk) in a temporary DAGSTER_HOME; the registry in SQLite.
- ``mysql``: ``deploy/dagster.yaml`` (production) with DAGSTER_MYSQL_* pointing at a new
  database on the MariaDB at 127.0.0.1:3306 (root, no password), and the registry in another
  new database there (ML_PLATFORM_DATABASE_URL), as production keeps it. Both are dropped
  afterwards.

By default both run, MySQL only when MariaDB answers; ``--instance`` picks (repeatable). Each
repeat runs in a fresh interpreter, the instances taking turns, so every repeat pays the same
imports (Evidently's, in the drift report's step, included) and ``peak_gib`` is the largest
peak resident memory of an instance's repeats (the database server's is not in it).

Each repeat prints the two times, their ratio, the time of each stage (from the steps' events:
ingestion, training_set, challenger, evaluation, promotion, drift report, and each kind of
run's time outside its steps), the events each job wrote, and Dagster's bookkeeping: the
ingestion job replayed on the same instance by assets that do no work but record the same
per-partition metadata (``bench/bookkeeping.py``), then without metadata, in one run instead
of one per 30 days and (sqlite) on a SQLite instance with a consolidated event log. Importing
Evidently, which the drift report's step pays once per process, is timed alone first, and in
each repeat after importing what the lifecycle's process held before its drift step. From
those comes each repeat's ``floor_ratio``: LightGBM alone plus Dagster's ingestion bookkeeping
plus that import, over LightGBM alone, the ratio the lifecycle would have if every step of
ours but the fit took no time. Last come each instance's median stage times and floor, and
the median lines
``ratio=<x> peak_gib=<y> instance=<name>``.
Goal (on sqlite): ratio <= 2.0 and peak <= 2.5 GiB.

Usage: python bench/pipeline.py [--applications N] [--repeats R] [--instance sqlite|mysql]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import dagster as dg  # noqa: E402
from bookkeeping import consolidated_sqlite_instance, replay_ingestion, run_accounts  # noqa: E402

from ml_platform_assets.assets.factory import drift_job_name  # noqa: E402
from ml_platform_assets.code_location import build_definitions  # noqa: E402
from ml_platform_assets.core.spec import load_specs  # noqa: E402
from ml_platform_assets.core.training import train_model  # noqa: E402
from ml_platform_assets.orchestration.lifecycle import ingest, train  # noqa: E402
from ml_platform_assets.orchestration.runs import (  # noqa: E402
    InProcessRunner,
    LifecycleError,
    Runner,
)
from ml_platform_assets.services.demo_delivery import land_simulated  # noqa: E402
from resources.environment import read_environment  # noqa: E402
from resources.wiring import platform_resources  # noqa: E402

DAYS = 120
ROOT = Path(__file__).resolve().parents[1]
MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
INSTANCES = ("sqlite", "mysql")
RESULT = "result "  # a child's last line, read by the parent
# Stages by step (the model's name is the prefix of each step key).
STAGES = {
    "__applications": "ingestion",
    "__loan_outcomes": "ingestion",
    "__training_set": "training_set",
    "__challenger_model": "challenger",
    "__model_evaluation": "evaluation",
    "__deployed_model": "promotion",
    "__drift_report": "drift_report",
}
STAGE_ORDER = ["ingestion", "training_set", "challenger", "evaluation", "promotion", "drift_report"]


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _mariadb():
    import pymysql

    return pymysql.connect(**MARIADB, connect_timeout=3, autocommit=True)


def mariadb_answers() -> bool:
    try:
        _mariadb().close()
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False
    return True


@contextlib.contextmanager
def _instance_home(kind: str, tmp: Path):
    """(DAGSTER_HOME, platform variables) of ``kind``; MySQL databases dropped on exit."""
    home = tmp / "dagster_home"
    home.mkdir()
    env = {"ML_PLATFORM_OBJECT_STORE": str(tmp / "store")}
    if kind == "sqlite":
        # The repository's config: what `make demo` runs on, state in SQLite under the home.
        (home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
        yield home, env
        return
    name = f"ml_platform_bench_{secrets.token_hex(4)}"
    databases = [name, f"{name}_registry"]
    connection = _mariadb()
    try:
        with connection.cursor() as cursor:
            for database in databases:
                cursor.execute(f"CREATE DATABASE {database} CHARACTER SET utf8mb4")
        (home / "dagster.yaml").write_text((ROOT / "deploy" / "dagster.yaml").read_text())
        os.environ.update(
            DAGSTER_MYSQL_HOST=MARIADB["host"],
            DAGSTER_MYSQL_PORT=str(MARIADB["port"]),
            DAGSTER_MYSQL_USER=MARIADB["user"],
            DAGSTER_MYSQL_PASSWORD=MARIADB["password"],
            DAGSTER_MYSQL_DB=name,
        )
        server = f"mysql+pymysql://{MARIADB['user']}:@{MARIADB['host']}:{MARIADB['port']}"
        yield home, env | {"ML_PLATFORM_DATABASE_URL": f"{server}/{databases[1]}"}
    finally:
        with connection.cursor() as cursor:
            for database in databases:
                cursor.execute(f"DROP DATABASE IF EXISTS {database}")
        connection.close()


def _drift_report(runner: Runner, spec, day: dt.date) -> None:
    """Materializes drift_report for ``day`` as the drift job does (its default config)."""
    run = runner.launch(drift_job_name(spec), tags={"dagster/partition": day.isoformat()})
    if not run.success:
        raise LifecycleError(run.failure_message(f"drift report of {day}"))


RUN_OF_STAGE = {
    "ingestion": "ingestion",
    "training_set": "training",
    "challenger": "training",
    "evaluation": "training",
    "promotion": "training",
    "drift_report": "drift",
}


def _stages(instance: dg.DagsterInstance, spec, walls: dict[str, float]) -> dict[str, float]:
    """Seconds per stage from the steps' events, then per kind of run the time outside its
    steps (run creation and planning, planned events, launch, run events, the lifecycle's loop):
    its runs' wall time minus their steps'."""
    seconds = dict.fromkeys(STAGE_ORDER, 0.0)
    for account in run_accounts(instance):
        for step, duration in account.steps.items():
            stage = STAGES.get(step.removeprefix(spec.name))
            if stage:
                seconds[stage] += duration
    for run, wall in walls.items():
        inside = sum(v for k, v in seconds.items() if RUN_OF_STAGE.get(k) == run)
        seconds[f"outside_steps_{run}"] = wall - inside
    return seconds


def _events(instance: dg.DagsterInstance) -> dict[str, Counter]:
    """Events by type, summed per job."""
    by_job: dict[str, Counter] = {}
    for account in run_accounts(instance):
        by_job.setdefault(account.job, Counter()).update(account.events)
        by_job[account.job]["runs"] += 1
    return by_job


def _once(spec, rows_per_day: int, kind: str) -> dict:
    """One repeat on a fresh temporary platform and instance of ``kind``."""
    with (
        tempfile.TemporaryDirectory(prefix="mlp-bench-") as tmp,
        _instance_home(kind, Path(tmp)) as (home, env),
    ):
        os.environ["DAGSTER_HOME"] = str(home)
        environment = read_environment({"ML_PLATFORM_HOME": str(home), **env})
        resources = platform_resources(environment)
        defs = build_definitions({spec.name: spec}, resources)
        store = resources["object_store"].get_store()
        first, last = spec.start_date, spec.start_date + dt.timedelta(days=DAYS - 1)
        delivery = land_simulated(store, spec, DAYS, rows_per_day)

        # Opened before the clock: creating the instance's schema is a deployment's one-off.
        with dg.DagsterInstance.from_config(str(home)) as instance:
            # The lifecycle starts from delivered files: generating them is the lender's side.
            runner = InProcessRunner(defs, instance)
            walls, start = {}, time.perf_counter()
            ingest(runner, defs, spec, store, first, last)
            walls["ingestion"] = time.perf_counter() - start
            outcome = train(runner, spec, store, environment.database_url)
            walls["training"] = time.perf_counter() - start - walls["ingestion"]
            loaded_before_drift = sorted(sys.modules)
            _drift_report(runner, spec, last)
            lifecycle = time.perf_counter() - start
            walls["drift"] = lifecycle - walls["ingestion"] - walls["training"]
            stages = _stages(instance, spec, walls)
            events = _events(instance)
            # Dagster alone, on the same instance after the clock: ingestion's runs replayed by
            # assets that do no work, with the recorded metadata, without it, in one run.
            replays = {
                "as_run": replay_ingestion(instance, spec, first, last),
                "no_metadata": replay_ingestion(instance, spec, first, last, metadata=False),
                "one_run": replay_ingestion(instance, spec, first, last, chunk_days=DAYS),
            }
            if kind == "sqlite":
                with consolidated_sqlite_instance(Path(tmp) / "consolidated") as other:
                    replays["consolidated_sqlite"] = replay_ingestion(
                        instance, spec, first, last, run_on=other
                    )
        resources["database"].get_engine().dispose()

        manifest = store.get_json(f"{spec.name}/manifests/training_set.json")
        # Read as the challenger_model asset reads them, so both time the same training call.
        train_rows = store.get_table(manifest["splits"]["train"])
        valid_rows = store.get_table(manifest["splits"]["valid"])
        start = time.perf_counter()
        train_model(train_rows, valid_rows, spec)
        training = time.perf_counter() - start
    return {
        "ran": f"applications={delivery.rows} train_rows={len(train_rows)} "
        f"promoted={outcome.promoted}",
        "lifecycle": lifecycle,
        "training": training,
        "stages": stages,
        "events": events,
        "replays": replays,
        "evidently_import": _evidently_import_seconds(loaded_before_drift),
    }


def _floor(r: dict) -> float:
    """The ratio this repeat would have had if every step of ours but LightGBM's fit took no
    time: LightGBM alone, plus what Dagster alone costs ingestion (the replay), plus importing
    Evidently in a process that has already imported what the lifecycle had before its drift
    step (the import the drift step pays)."""
    extra = r["replays"]["as_run"].seconds + r["evidently_import"]
    return (r["training"] + extra) / r["training"]


def _ingestion_events(events: dict[str, Counter], spec) -> Counter:
    return events.get(f"{spec.name}__ingestion", Counter())


def _print_repeat(i: int, kind: str, r: dict, spec) -> None:
    ratio = r["lifecycle"] / r["training"]
    print(
        f"repeat={i} instance={kind} {r['ran']} lifecycle_seconds={r['lifecycle']:.1f} "
        f"training_alone_seconds={r['training']:.1f} ratio={ratio:.2f}",
        flush=True,
    )
    stages = " ".join(f"{k}={v:.1f}" for k, v in r["stages"].items())
    print(f"  stages_seconds {stages}", flush=True)
    ingestion = _ingestion_events(r["events"], spec)
    per_job = {
        job.removeprefix(f"{spec.name}__"): sum(c.values()) - c["runs"]
        for job, c in r["events"].items()
    }
    per_day = (sum(ingestion.values()) - ingestion["runs"]) / DAYS
    top = ", ".join(f"{k}={v}" for k, v in ingestion.most_common(7) if k != "runs")
    print(
        f"  events {' '.join(f'{k}={v}' for k, v in per_job.items())} "
        f"(ingestion: {ingestion['runs']} runs, {per_day:.1f} events per day; {top})",
        flush=True,
    )
    replays = " ".join(
        f"{name}={p.seconds:.1f}s/{p.runs}runs/{p.events}events" for name, p in r["replays"].items()
    )
    as_run, stages = r["replays"]["as_run"], r["stages"]
    # Dagster alone: ingestion as replayed (runs and events, no work), and the training and
    # drift runs' time outside their steps.
    dagster = as_run.seconds + stages["outside_steps_training"] + stages["outside_steps_drift"]
    print(
        f"  dagster_bookkeeping ingestion_replay {replays} "
        f"ms_per_event={1000 * as_run.seconds / max(as_run.events, 1):.1f} "
        f"estimate_seconds={dagster:.1f} estimate_share={dagster / r['lifecycle']:.0%}",
        flush=True,
    )
    print(
        f"  floor evidently_import_after_platform_seconds={r['evidently_import']:.1f} "
        f"ingestion_replay_seconds={as_run.seconds:.1f} training_alone_seconds="
        f"{r['training']:.1f} floor_ratio={_floor(r):.2f} (the ratio with no work of ours but "
        "LightGBM's fit)",
        flush=True,
    )


def run_repeat(kind: str, applications: int, i: int) -> None:
    """One repeat on one instance kind in this (fresh) process, then its RESULT line."""
    logging.getLogger("dagster").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    spec = load_specs()["credit_default"]
    r = _once(spec, applications // DAYS, kind)
    _print_repeat(i, kind, r, spec)
    summary = {
        "lifecycle": r["lifecycle"],
        "training": r["training"],
        "stages": r["stages"] | {"ingestion_replay": r["replays"]["as_run"].seconds},
        "peak_gib": _peak_gib(),
        "floor": _floor(r),
    }
    print(RESULT + json.dumps(summary), flush=True)


def _child(kind: str, applications: int, i: int) -> dict | None:
    """Runs one repeat in a new interpreter, passing its lines through; its summary."""
    command = [sys.executable, __file__, "--child", kind, "--repeat", str(i)]
    command += ["--applications", str(applications)]
    summary = None
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1) as child:
        for line in child.stdout:
            if line.startswith(RESULT):
                summary = json.loads(line.removeprefix(RESULT))
            else:
                print(line, end="", flush=True)
    return summary if child.returncode == 0 else None


def _evidently_import_seconds(preloaded: list[str] = ()) -> float:
    """Importing Evidently in a fresh interpreter, after importing ``preloaded`` modules (those
    a lifecycle process holds when its drift step starts: what Evidently shares with them, such
    as pandas, SciPy and scikit-learn, is then not counted). The drift report's step pays it
    once per process, so its stage time includes it."""
    code = (
        "import importlib, sys, time, warnings; warnings.filterwarnings('ignore')\n"
        "for name in sys.argv[1:]:\n"
        "    try: importlib.import_module(name)\n"
        "    except BaseException: pass\n"
        "t = time.perf_counter()\n"
        "import evidently.legacy.calculations.stattests.registry\n"
        "print(time.perf_counter() - t)"
    )
    names = [n for n in preloaded if n != "__main__" and not n.startswith("evidently")]
    found = subprocess.run(
        [sys.executable, "-c", code, *names], capture_output=True, text=True, cwd=ROOT
    )
    return float(found.stdout.strip().splitlines()[-1] if found.stdout.strip() else "nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--instance",
        action="append",
        choices=INSTANCES,
        help="sqlite (the repository's dagster.yaml) or mysql (deploy/dagster.yaml on the "
        "MariaDB at 127.0.0.1:3306); default: both, mysql when MariaDB answers",
    )
    parser.add_argument("--child", choices=INSTANCES, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_repeat(args.child, args.applications, args.repeat)
        return
    kinds = list(
        dict.fromkeys(args.instance or ["sqlite", *(["mysql"] if mariadb_answers() else [])])
    )
    if args.instance is None and "mysql" not in kinds:
        print("MariaDB does not answer on 127.0.0.1:3306: timing sqlite only", flush=True)
    print(f"evidently_import_seconds={_evidently_import_seconds():.1f}", flush=True)
    # Each repeat in a fresh interpreter (imports, caches and peak memory of its own), the
    # instances taking turns so that a noisy spell of the machine falls on both.
    results: dict[str, list[dict]] = {kind: [] for kind in kinds}
    failed: set[str] = set()
    for i in range(1, args.repeats + 1):
        for kind in kinds:
            summary = _child(kind, args.applications, i)
            if summary is None:
                failed.add(kind)
            else:
                results[kind].append(summary)
    finals = []
    for kind, runs in results.items():
        if kind in failed or not runs:
            finals.append(f"instance={kind} failed (see above)")
            continue
        medians = {
            stage: statistics.median(r["stages"][stage] for r in runs)
            for stage in runs[0]["stages"]
        }
        print(
            f"median_stages_seconds instance={kind} "
            + " ".join(f"{k}={v:.1f}" for k, v in medians.items()),
            flush=True,
        )
        floor = statistics.median(r["floor"] for r in runs)
        print(
            f"median_floor_ratio instance={kind} floor_ratio={floor:.2f} (LightGBM alone plus "
            "Dagster's ingestion bookkeeping plus the Evidently import; goal: ratio <= 2.0)",
            flush=True,
        )
        ratio = statistics.median(r["lifecycle"] / r["training"] for r in runs)
        peak = max(r["peak_gib"] for r in runs)
        finals.append(f"ratio={ratio:.2f} peak_gib={peak:.2f} instance={kind}")
    print("\n".join(finals))


if __name__ == "__main__":
    main()
