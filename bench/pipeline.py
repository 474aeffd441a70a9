"""Whole lifecycle vs LightGBM training alone, on about a million applications, in one run.

Delivers ~1M synthetic applications into a temporary embedded platform, then times the whole
credit_default lifecycle through Dagster from the delivered files (ingestion, features,
training set, training, evaluation, promotion), then trains LightGBM alone on the same
training set. Prints both times and their ratio for each repeat (each on a fresh platform),
then the median ratio and the process's peak memory: on a shared machine one LightGBM fit
varies by 10-20 %, which a single pair of timings would pass on to the ratio.
Goal: ratio <= 2.0 and peak <= 2.5 GiB.

Usage: python bench/pipeline.py [--applications N] [--repeats R]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import resource
import statistics
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import dagster as dg  # noqa: E402

from ml_platform_assets.core.spec import load_specs  # noqa: E402
from ml_platform_assets.core.training import train_model  # noqa: E402
from ml_platform_assets.definitions import build_definitions  # noqa: E402
from ml_platform_assets.landing import land_simulated  # noqa: E402
from ml_platform_assets.lifecycle import ingest, train  # noqa: E402
from resources.environment import resources_from_env  # noqa: E402

DAYS = 120


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _once(spec, rows_per_day: int) -> tuple[float, float, str]:
    """(lifecycle seconds, training-alone seconds, what ran) on a fresh temporary platform."""
    with tempfile.TemporaryDirectory(prefix="mlp-bench-") as tmp:
        resources = resources_from_env({"ML_PLATFORM_OBJECT_STORE": str(Path(tmp) / "store")})
        defs = build_definitions({spec.name: spec}, resources)
        store = resources["object_store"].get_store()
        last = spec.start_date + dt.timedelta(days=DAYS - 1)
        delivery = land_simulated(store, spec, DAYS, rows_per_day)

        # The lifecycle starts from delivered files: generating them is the lender's side.
        start = time.perf_counter()
        with dg.DagsterInstance.ephemeral() as instance:
            ingest(defs, spec, instance, spec.start_date, last)
            outcome = train(defs, spec, instance)
        lifecycle = time.perf_counter() - start

        manifest = store.get_json(f"{spec.name}/manifests/training_set.json")
        # Read as the challenger_model asset reads them, so both time the same training call.
        train_rows = store.get_table(manifest["splits"]["train"])
        valid_rows = store.get_table(manifest["splits"]["valid"])
        start = time.perf_counter()
        train_model(train_rows, valid_rows, spec)
        training = time.perf_counter() - start
    ran = f"applications={delivery.rows} train_rows={len(train_rows)} promoted={outcome.promoted}"
    return lifecycle, training, ran


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("dagster").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    spec = load_specs()["credit_default"]
    ratios = []
    for i in range(1, args.repeats + 1):
        lifecycle, training, ran = _once(spec, args.applications // DAYS)
        ratios.append(lifecycle / training)
        print(
            f"repeat={i} {ran} lifecycle_seconds={lifecycle:.1f} "
            f"training_alone_seconds={training:.1f} ratio={ratios[-1]:.2f}",
            flush=True,
        )
    print(f"ratio={statistics.median(ratios):.2f} peak_gib={_peak_gib():.2f}")


if __name__ == "__main__":
    main()
