"""Benchmark: one day's drift, three ways side by side, in two cases.

The three figures, per scenario (no drift, one shifted column, a broad shift: the simulator's
merchant_mix):

- ``full``: Evidently's full ``DataDriftPreset`` on all rows (its default tests), the baseline;
- ``all_rows``: the tests ``measure_drift`` picks, Evidently's stat tests called directly on
  all rows (no sampling);
- ``per_day``: what the ``drift_report`` asset does for a day: ``measure_drift`` (samples of at
  most 100k rows a side, all-rows rescoring of scores too close to call), ``drift.json`` and
  the ``drift.html`` page (``render_drift_html``). The median of three runs.

Cases:

- ``1m_rows``: a 1M-row day against a 1M-row reference on the 36 raw feature columns; the
  per-day time includes drawing the reference sample, which production does once at training.
- ``production``: the reference as the platform stores it, a sample of 50,000 rows of the
  training set's features (``sample_rows`` over the 60 training days), against a day of the
  benchmark's production volume (1M applications over 120 days, 8,334 a day) on
  ``spec.drift_columns`` (the derived ratios included). Both go through parquet as the asset
  reads them. Also timed, for information: Evidently's page as the asset drew it every day
  until now (``render_full_preset_html`` on 2,000 rows a side), now on demand only.

Prints, per scenario, the three timings and the drifted columns of each; the last lines are
``ratio=<per-day seconds / full seconds> decisions_equal=<true|false> case=<name>``, summed
over the scenarios of the case. Goal: ratio <= 0.05 with equal decisions, in both cases.
Benchmarks print numbers; they never assert.
"""

from __future__ import annotations

import datetime as dt
import gc
import statistics
import tempfile
import time
import warnings
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from ml_platform_assets.core.drift import measure_drift
from ml_platform_assets.core.features import build_features
from ml_platform_assets.core.simulate import DriftPlan, simulate_day
from ml_platform_assets.core.spec import BUILTIN_SPECS_DIR, ModelSpec, load_spec
from ml_platform_assets.core.training_set import sample_rows
from ml_platform_assets.pages.drift import (
    FULL_PRESET_ROWS,
    render_drift_html,
    render_full_preset_html,
)
from resources.object_store import LocalObjectStore

ROWS = 1_000_000
PER_DAY_REPEATS = 3
REFERENCE_DAY = dt.date(2026, 1, 5)  # a Monday, like CURRENT_DAY: is_weekend does not differ
CURRENT_DAY = dt.date(2026, 2, 2)
SHIFT_COLUMN, SHIFT_STDS = "bureau_score", 0.3
SEED = CURRENT_DAY.toordinal()  # the asset seeds a day's samples with its ordinal
# Production: the pipeline benchmark's volume, and the platform's stored reference.
PRODUCTION_DAY_ROWS = 1_000_000 // 120 + 1
TRAINING_DAYS = 60  # credit_default's windows.training_days
REFERENCE_ROWS = 50_000  # ml_platform_assets.assets.training.DRIFT_REFERENCE_ROWS


@dataclass
class Case:
    name: str
    reference: pd.DataFrame
    scenarios: dict[str, pd.DataFrame]
    columns: list[str]
    reference_drawn: bool  # the per-day path draws the reference sample itself (1M rows)


def _scenarios(spec: ModelSpec, rows: int, prepare) -> dict[str, pd.DataFrame]:
    seed = spec.data_source.seed
    baseline = prepare(simulate_day(spec, CURRENT_DAY, rows, seed=seed))
    shifted = baseline.copy()
    shifted[SHIFT_COLUMN] += SHIFT_STDS * shifted[SHIFT_COLUMN].std()
    broad = DriftPlan("merchant_mix", CURRENT_DAY - dt.timedelta(days=10))
    return {
        "no_drift": baseline,
        "one_shifted_column": shifted,
        "broad_shift": prepare(simulate_day(spec, CURRENT_DAY, rows, seed=seed, drift=broad)),
    }


def million_rows_case(spec: ModelSpec) -> Case:
    columns = spec.raw_feature_columns
    reference = simulate_day(spec, REFERENCE_DAY, ROWS, seed=spec.data_source.seed)[columns]
    return Case("1m_rows", reference, _scenarios(spec, ROWS, lambda f: f[columns]), columns, True)


def production_case(spec: ModelSpec, store: LocalObjectStore) -> Case:
    """The stored 50k reference of a training window, and days of production size, as parquet
    read back the way the asset reads them."""
    seed, start = spec.data_source.seed, CURRENT_DAY - dt.timedelta(days=TRAINING_DAYS + 30)
    days = [start + dt.timedelta(days=i) for i in range(TRAINING_DAYS)]
    train = pa.concat_tables(
        build_features(simulate_day(spec, d, PRODUCTION_DAY_ROWS, seed=seed), spec) for d in days
    )
    store.put_table("reference.parquet", sample_rows(train, REFERENCE_ROWS))
    del train

    def as_stored(frame: pd.DataFrame) -> pd.DataFrame:
        store.put_table("day.parquet", build_features(frame, spec))
        return store.get_parquet("day.parquet")

    reference = store.get_parquet("reference.parquet")
    scenarios = _scenarios(spec, PRODUCTION_DAY_ROWS, as_stored)
    return Case("production", reference, scenarios, list(spec.drift_columns), False)


def full_preset(
    reference: pd.DataFrame, current: pd.DataFrame, spec: ModelSpec, columns: list[str]
) -> set[str]:
    """Columns Evidently's DataDriftPreset finds drifted on all rows, with its default tests."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    categorical = set(spec.features.categorical)
    definition = DataDefinition(
        numerical_columns=[c for c in columns if c not in categorical],
        categorical_columns=[c for c in columns if c in categorical],
    )
    snapshot = Report([DataDriftPreset(columns=columns)]).run(
        current_data=Dataset.from_pandas(current[columns], data_definition=definition),
        reference_data=Dataset.from_pandas(reference[columns], data_definition=definition),
    )
    drifted = set()
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith("ValueDrift") and metric["value"] >= config["threshold"]:
            drifted.add(config["column"])
    return drifted


def per_day(reference: pd.DataFrame, current: pd.DataFrame, spec: ModelSpec, columns, seed: int):
    """What the drift_report asset computes for a day: the result, drift.json and drift.html.

    Returns the result, the bytes written and the page's own seconds.
    """
    result = measure_drift(reference, current, spec, columns=columns, seed=seed)
    record = result.to_json()
    start = time.perf_counter()
    page = render_drift_html(reference, current, spec, seed=seed, result=result)
    return result, len(record) + len(page.encode()), time.perf_counter() - start


def run_case(case: Case, spec: ModelSpec) -> tuple[float, float, bool]:
    """Prints each scenario's figures; returns (per-day seconds, full seconds, all equal)."""
    print(
        f"case={case.name} reference_rows={len(case.reference)} "
        f"day_rows={len(next(iter(case.scenarios.values())))} columns={len(case.columns)}",
        flush=True,
    )
    total_full = total_fast = 0.0
    all_equal = True
    for name, current in case.scenarios.items():
        gc.collect()
        start = time.perf_counter()
        full = full_preset(case.reference, current, spec, case.columns)
        full_seconds = time.perf_counter() - start

        start = time.perf_counter()
        everything = max(len(case.reference), len(current))
        all_rows = measure_drift(
            case.reference, current, spec, columns=case.columns, sample_rows=everything
        )
        all_rows_seconds = time.perf_counter() - start

        fast_seconds, page_seconds = [], []
        for _ in range(PER_DAY_REPEATS):
            start = time.perf_counter()
            result, written, page = per_day(case.reference, current, spec, case.columns, SEED)
            fast_seconds.append(time.perf_counter() - start)
            page_seconds.append(page)
        fast = statistics.median(fast_seconds)
        equal = set(result.drifted_columns) == full
        total_full, total_fast, all_equal = (
            total_full + full_seconds,
            total_fast + fast,
            all_equal and equal,
        )
        rescored = [c.column for c in result.columns if c.exact]
        sampled = result.rows_compared != (result.rows_reference, result.rows_current)
        print(
            f"  {name}: full_seconds={full_seconds:.2f} all_rows_seconds={all_rows_seconds:.2f} "
            f"per_day_seconds={fast:.2f} (page {statistics.median(page_seconds):.2f}) "
            f"speedup={full_seconds / fast:.0f}x "
            f"decisions_equal={str(equal).lower()} "
            f"all_rows_equal={str(set(all_rows.drifted_columns) == full).lower()} "
            f"written_kib={written / 1024:.0f}",
            flush=True,
        )
        print(f"    full drifted={sorted(full)}")
        print(f"    per_day drifted={sorted(result.drifted_columns)} share={result.share:.3f}")
        tests = sorted({c.method for c in result.columns})
        bound = max(c.error_bound for c in result.columns)
        detail = f"rescored_on_all_rows={rescored}" if sampled else "no sampling (all rows)"
        print(f"    tests={tests} max_error_bound={bound:.4f} {detail}", flush=True)
        if case.name == "production":
            start = time.perf_counter()
            page = render_full_preset_html(
                case.reference, current, spec, seed=SEED, result=result, rows=FULL_PRESET_ROWS
            )
            print(
                f"    until now also: Evidently's page on {FULL_PRESET_ROWS:,} rows a side "
                f"{time.perf_counter() - start:.2f}s {len(page.encode()) / 2**20:.1f} MiB "
                "(now drift_full.html on demand)",
                flush=True,
            )
    return total_fast, total_full, all_equal


def main() -> None:
    warnings.filterwarnings("ignore")
    import evidently  # noqa: F401 - imported once up front: it takes seconds, in neither timing

    spec = load_spec(BUILTIN_SPECS_DIR / "credit_default.yaml")
    finals = []
    with tempfile.TemporaryDirectory(prefix="mlp-drift-bench-") as tmp:
        for build in (million_rows_case, lambda s: production_case(s, LocalObjectStore(tmp))):
            case = build(spec)
            fast, full, equal = run_case(case, spec)
            finals.append(
                f"ratio={fast / full:.4f} decisions_equal={str(equal).lower()} case={case.name}"
            )
            del case
            gc.collect()
    print("\n".join(finals))


if __name__ == "__main__":
    main()
