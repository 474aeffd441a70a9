"""Benchmark: how quickly the command line answers its read-only commands and ``--help``.

Builds a populated embedded platform in a temporary folder (``ml-platform demo`` over a few
months of small days: a registered champion with its evaluation, and the Dagster instance's
runs), with ML_PLATFORM_HOME pointing there.
Then runs each command as an installed user does, ``.venv/bin/ml-platform`` in a fresh process,
``--repeats`` times, and prints each command's median wall time and its goal. A fresh process
pays every import, and on this machine (PYTHONDONTWRITEBYTECODE=1, packages installed without
bytecode) also the compilation of every module it imports: the figures include both.

Goals: a read command (``models list``, ``models show``, ``drift status``, ``audit``,
``audit verify``) <= 1.5 s, ``--help`` and ``home`` <= 1 s. The last lines read
``command=<name> median_seconds=<x> goal_seconds=<y> met=<bool>``.
Benchmarks print numbers; they never assert.

Usage: python bench/cli.py [--repeats N] [--days N] [--rows-per-day N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / ".venv" / "bin" / "ml-platform"
MODEL = "credit_default"
COMMANDS = {
    "--help": (["--help"], 1.0),
    "run --help": (["run", "--help"], 1.0),
    "models list": (["models", "list"], 1.5),
    "models show": (["models", "show", MODEL], 1.5),
    "models show --json": (["models", "show", MODEL, "--json"], 1.5),
    "drift status": (["drift", "status", MODEL], 1.5),
    "audit": (["audit", MODEL], 1.5),
    "audit verify": (["audit", "verify", MODEL], 1.5),
    "home": (["home"], 1.0),
    "approve --help": (["approve", "--help"], 1.0),
}


def _environment(folder: Path) -> dict[str, str]:
    """A platform home of its own in ``folder``, the rest of the environment as it is."""
    outside = {k: v for k, v in os.environ.items() if not k.startswith("ML_PLATFORM_")}
    outside.pop("DAGSTER_HOME", None)
    return {**outside, "ML_PLATFORM_HOME": str(folder / "platform"), "OMP_WAIT_POLICY": "passive"}


def _populate(env: dict[str, str], folder: Path, days: int, rows_per_day: int) -> None:
    start = time.perf_counter()
    done = subprocess.run(
        [str(CLI), "demo", "--days", str(days), "--rows-per-day", str(rows_per_day)],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"the demo that populates the registry failed:\n{done.stdout}{done.stderr}")
    seconds = time.perf_counter() - start
    print(f"populated: demo --days {days} --rows-per-day {rows_per_day} in {seconds:.1f} s")


def _time(args: list[str], env: dict[str, str], folder: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run([str(CLI), *args], env=env, cwd=folder, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"ml-platform {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="Runs of each command.")
    parser.add_argument("--days", type=int, default=106, help="Days the demo delivers.")
    parser.add_argument("--rows-per-day", type=int, default=300, help="Applications per day.")
    options = parser.parse_args()
    bytecode = "off" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "on"
    print(f"cpus={os.cpu_count()} load_1min={os.getloadavg()[0]:.2f} bytecode_cache={bytecode}")
    with tempfile.TemporaryDirectory(prefix="ml-platform-bench-cli-") as tmp:
        folder = Path(tmp)
        env = _environment(folder)
        _populate(env, folder, options.days, options.rows_per_day)
        results = {}
        for name, (args, goal) in COMMANDS.items():
            seconds = [_time(args, env, folder) for _ in range(options.repeats)]
            results[name] = (statistics.median(seconds), goal)
            print(
                f"{name:<20} median {results[name][0]:.2f} s (goal <= {goal:.1f} s), "
                f"runs {' '.join(f'{s:.2f}' for s in seconds)}"
            )
    for name, (median, goal) in results.items():
        met = "true" if median <= goal else "false"
        print(
            f"command={name.replace(' ', '_')} median_seconds={median:.3f} "
            f"goal_seconds={goal} met={met}"
        )


if __name__ == "__main__":
    main()
