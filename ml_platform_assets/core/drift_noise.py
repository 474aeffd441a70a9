"""Sampling error and calm-day noise of the drift scores, and the rows a large day is sampled to.

``core.drift`` picks each column's test with ``null_noise`` (the distance two calm samples of
these sizes show), rescores a sampled score on all rows when ``error_bound`` says it is too close
to call, and lowers Evidently's chi-square level with ``chisquare_level``. The maths and its
measurements are in docs/drift-method.md.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def sample_indices(rows: int, cap: int, seed: int) -> np.ndarray | None:
    """Sorted row positions of a uniform sample of ``cap`` rows; None when all rows fit."""
    if rows <= cap:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(rows, size=cap, replace=False))


def _fpc(n: int, population: int) -> float:
    return math.sqrt(max(1 / n - 1 / population, 0.0)) if n else 0.0


def _j1(values: pd.Series) -> float:
    """integral sqrt(F(1-F)) dx of the sample's empirical distribution function."""
    x = values.to_numpy(dtype="float64")
    if len(x) > 1 and not bool(np.all(x[1:] >= x[:-1])):
        x = np.sort(x)
    f = np.arange(1, len(x)) / len(x)
    return float(np.sum(np.sqrt(f * (1 - f)) * np.diff(x)))


def _levels(ref: pd.Series, cur: pd.Series) -> int:
    """Distinct values on both sides, at least two: a sample showing one may miss a rare one."""
    return max(len(set(ref.unique()) | set(cur.unique())), 2)


def error_bound(method: str, ref: pd.Series, cur: pd.Series, sizes: tuple[int, int]) -> float:
    """Expected absolute sampling error of a score from ``ref`` and ``cur`` (docs/drift-method.md).

    ``sizes`` are the all-rows counts the samples were drawn from; inf for an unknown method
    (and for p-values, which have no such bound).
    """
    f_ref, f_cur = _fpc(len(ref), sizes[0]), _fpc(len(cur), sizes[1])
    if f_ref == 0 and f_cur == 0:
        return 0.0
    if method == "wasserstein":
        norm = max(float(np.std(ref)), 0.001)  # the same floor as Evidently's normalization
        return (f_ref * _j1(ref) + f_cur * _j1(cur)) / norm
    if method == "jensenshannon":
        return math.sqrt((_levels(ref, cur) - 1) / 8) * (f_ref + f_cur)
    return math.inf


def null_noise(method: str, ref: pd.Series, cur: pd.Series, sizes: tuple[int, int]) -> float:
    """Expected distance between two samples of one distribution of these sizes.

    ``ref`` and ``cur`` (possibly samples) give the column's shape; ``sizes`` are the numbers
    of values compared per side, all rows, so no finite-population factor applies (see
    docs/drift-method.md).
    """
    spread = sum(1 / math.sqrt(n) for n in sizes)
    if method == "wasserstein":
        norm = max(float(np.std(ref)), 0.001)  # the same floor as Evidently's normalization
        j1 = _j1(ref)
        if not (math.isfinite(norm) and math.isfinite(j1)):
            # Values so large their spread overflows (1e300 in a column without a maximum): a
            # normed distance would read 0 whatever happens, so the noise is taken as 1, ten
            # times the threshold, and the rank-based K-S test decides.
            return 1.0
        return j1 / norm * spread
    if method == "jensenshannon":
        return math.sqrt((_levels(ref, cur) - 1) / 8) * spread
    raise ValueError(f"no noise estimate for {method!r}")


def chisquare_level(alpha: float, levels: int, sizes: tuple[int, int]) -> float:
    """The p-value level at which Evidently's chi-square flags a calm column with chance ``alpha``.

    Evidently's chi-square tests the day's counts against the reference's shares as if those
    were exact, so under "no drift" its statistic is ``c = 1 + n_current / n_reference`` times a
    chi-square with ``levels - 1`` degrees of freedom (the reference's own noise adds to the
    day's). Its p-value is compared with the level its statistic has at ``c`` times the critical
    value: the same decision as a test that allowed for both samples' noise.
    """
    from scipy.stats import chi2

    df, inflation = max(levels - 1, 1), 1 + sizes[1] / sizes[0]
    return float(chi2.sf(inflation * chi2.isf(alpha, df), df))
