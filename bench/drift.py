"""Benchmark: one day's drift on 1M current rows against a 1M-row reference, 36 columns.

The baseline, in the same run, is Evidently's full ``DataDriftPreset`` on all rows. The fast
path is ``measure_drift``: the same Evidently stat tests on at most 100k rows per side, a
stated error bound per score, and all-rows rescoring of the columns too close to call. Three
scenarios: no drift, one shifted column, and a broad shift (the simulator's merchant_mix).
Both sides get the same column types (the spec's numeric and categorical features).

Prints, per scenario, both timings and both lists of drifted columns; the last line is
``ratio=<fast seconds / full seconds> decisions_equal=<true|false>``, summed over scenarios.
The fast path's time includes drawing the reference sample, which production does once at
training time. Benchmarks print numbers; they never assert.
"""

from __future__ import annotations

import datetime as dt
import gc
import statistics
import time
import warnings

import pandas as pd

from ml_platform_assets.core.drift import measure_drift
from ml_platform_assets.core.simulate import DriftPlan, simulate_day
from ml_platform_assets.core.spec import BUILTIN_SPECS_DIR, ModelSpec, load_spec

ROWS = 1_000_000
FAST_REPEATS = 3
REFERENCE_DAY = dt.date(2026, 1, 5)  # a Monday, like CURRENT_DAY: is_weekend does not differ
CURRENT_DAY = dt.date(2026, 2, 2)
SHIFT_COLUMN, SHIFT_STDS = "bureau_score", 0.3


def scenarios(spec: ModelSpec) -> dict[str, pd.DataFrame]:
    """Current rows of the three scenarios, on the spec's 36 raw feature columns."""
    seed, columns = spec.data_source.seed, spec.raw_feature_columns
    baseline = simulate_day(spec, CURRENT_DAY, ROWS, seed=seed)[columns]
    shifted = baseline.copy()
    shifted[SHIFT_COLUMN] += SHIFT_STDS * shifted[SHIFT_COLUMN].std()
    broad = DriftPlan("merchant_mix", CURRENT_DAY - dt.timedelta(days=10))
    return {
        "no_drift": baseline,
        "one_shifted_column": shifted,
        "broad_shift": simulate_day(spec, CURRENT_DAY, ROWS, seed=seed, drift=broad)[columns],
    }


def full_preset(reference: pd.DataFrame, current: pd.DataFrame, spec: ModelSpec) -> set[str]:
    """Columns Evidently's DataDriftPreset finds drifted on all rows."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(
        numerical_columns=list(spec.features.numeric),
        categorical_columns=list(spec.features.categorical),
    )
    snapshot = Report([DataDriftPreset()]).run(
        current_data=Dataset.from_pandas(current, data_definition=definition),
        reference_data=Dataset.from_pandas(reference, data_definition=definition),
    )
    drifted = set()
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith("ValueDrift") and metric["value"] >= config["threshold"]:
            drifted.add(config["column"])
    return drifted


def main() -> None:
    warnings.filterwarnings("ignore")
    import evidently  # noqa: F401 - imported once up front: it takes seconds, in neither timing

    spec = load_spec(BUILTIN_SPECS_DIR / "credit_default.yaml")
    reference = simulate_day(spec, REFERENCE_DAY, ROWS, seed=spec.data_source.seed)
    reference = reference[spec.raw_feature_columns]
    columns = list(reference.columns)
    print(f"rows={ROWS} columns={len(columns)} sample_rows_per_side=100000")
    total_full = total_fast = 0.0
    all_equal = True
    for name, current in scenarios(spec).items():
        gc.collect()
        start = time.perf_counter()
        full = full_preset(reference, current, spec)
        full_seconds = time.perf_counter() - start
        fast_seconds = []
        for _ in range(FAST_REPEATS):
            start = time.perf_counter()
            result = measure_drift(reference, current, spec, columns=columns)
            fast_seconds.append(time.perf_counter() - start)
        fast = statistics.median(fast_seconds)
        equal = set(result.drifted_columns) == full
        total_full, total_fast, all_equal = (
            total_full + full_seconds,
            total_fast + fast,
            all_equal and equal,
        )
        rescored = [c.column for c in result.columns if c.exact]
        bound = max(c.error_bound for c in result.columns)
        print(
            f"{name}: full_seconds={full_seconds:.1f} fast_seconds={fast:.2f} "
            f"speedup={full_seconds / fast:.0f}x decisions_equal={str(equal).lower()}"
        )
        print(f"  full drifted={sorted(full)}")
        print(f"  fast drifted={sorted(result.drifted_columns)} share={result.share:.3f}")
        print(f"  max_error_bound={bound:.4f} rescored_on_all_rows={rescored}")
    print(f"ratio={total_fast / total_full:.4f} decisions_equal={str(all_equal).lower()}")


if __name__ == "__main__":
    main()
