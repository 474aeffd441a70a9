"""Benchmark: simulate one day of 1M applications for the built-in credit_default spec.

Prints the first call (it pays for fresh memory pages), the median of three calls and, last,
``rows_per_second`` from that median. Benchmarks print numbers; they never assert.
"""

from __future__ import annotations

import datetime as dt
import resource
import statistics
import time

from ml_platform_assets.core.simulate import simulate_day
from ml_platform_assets.core.spec import BUILTIN_SPECS_DIR, load_spec

ROWS = 1_000_000
REPEATS = 3


def main() -> None:
    spec = load_spec(BUILTIN_SPECS_DIR / "credit_default.yaml")
    seconds = []
    for i in range(REPEATS):
        day = spec.start_date + dt.timedelta(days=i)
        start = time.perf_counter()
        frame = simulate_day(spec, day, ROWS, seed=spec.data_source.seed)
        seconds.append(time.perf_counter() - start)
        del frame
    median = statistics.median(seconds)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows={ROWS} first_call_seconds={seconds[0]:.3f} median_seconds={median:.3f}")
    print(f"peak_rss_mib={peak_mib:.0f}")
    print(f"rows_per_second={ROWS / median:.0f}")


if __name__ == "__main__":
    main()
