"""Population stability: PSI of a numeric or categorical variable, and CSI per feature.

PSI = Σ (a_i − e_i)·ln(a_i / e_i) over bins fixed on the reference (its deciles for a number,
its levels for a category); CSI is the PSI of each input feature. CSI takes DataFrames or Arrow
tables.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.metric_inputs import ArrayLike, interior_edges, to_float
from ml_platform_assets.core.validation import column_names

# Stands for a missing categorical value: unlike a string such as "<missing>", no real level
# can be equal to it.
_MISSING = object()


def _require_samples(n_expected: int, n_actual: int) -> None:
    if n_expected == 0 or n_actual == 0:
        raise ValueError(f"PSI needs values in both samples; got {n_expected} and {n_actual}.")


def _psi_from_shares(expected: np.ndarray, actual: np.ndarray, floor: float) -> float:
    e, a = np.maximum(expected, floor), np.maximum(actual, floor)
    return float(np.sum((a - e) * np.log(a / e)))


def _bin_shares(values: np.ndarray, interior: np.ndarray) -> np.ndarray:
    """Share of values per bin, with missing values in an extra last bin."""
    missing = int(np.isnan(values).sum())
    # Counting values at or below each edge (NaN never is) gives the same right-closed bins as
    # bin_index, in a few vectorized passes instead of a binary search per value.
    at_most = [np.count_nonzero(values <= edge) for edge in interior]
    counts = np.diff(at_most, prepend=0, append=values.size - missing)
    return np.append(counts, missing) / values.size


def psi(expected: ArrayLike, actual: ArrayLike, bins: int = 10, floor: float = 1e-4) -> float:
    """Population stability index of a numeric variable.

    Bins are fixed on ``expected`` (the reference): its unique quantile edges inside, -inf and
    +inf outside, right-closed. Missing values form their own bin. Shares below ``floor`` are
    raised to it so empty bins give a finite value.
    """
    e, a = to_float(expected, "expected"), to_float(actual, "actual")
    _require_samples(e.size, a.size)
    interior = interior_edges(e, bins)
    return _psi_from_shares(_bin_shares(e, interior), _bin_shares(a, interior), floor)


def _level_shares(values: ArrayLike) -> tuple[list[Any], np.ndarray]:
    """Each level's share, levels in order of first appearance; missing values are one level."""
    text = _arrow_text(values)
    if text is not None:
        counts = pc.value_counts(text)
        levels = [_MISSING if v is None else v for v in counts.field("values").to_pylist()]
        return levels, counts.field("counts").to_numpy() / len(text)
    series = pd.Series(np.asarray(values, dtype=object), dtype=object)
    series = series.where(series.notna(), _MISSING)
    shares = series.value_counts(normalize=True, sort=False)
    return list(shares.index), shares.to_numpy(dtype=float)


def _arrow_text(values: ArrayLike) -> pa.Array | pa.ChunkedArray | None:
    """``values`` as Arrow strings when they already are some, without copying; else None."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype):
        if values.dtype.storage != "pyarrow":
            return None
        values = pa.array(values.array)
    if isinstance(values, pa.Array | pa.ChunkedArray) and (
        pa.types.is_string(values.type)
        or pa.types.is_large_string(values.type)
        or pa.types.is_string_view(values.type)
    ):
        return values
    return None


def psi_categorical(expected: ArrayLike, actual: ArrayLike, floor: float = 1e-4) -> float:
    """PSI of a categorical variable over the union of levels; missing values are one level."""
    _require_samples(len(expected), len(actual))
    levels, e_shares = _level_shares(expected)
    actual_levels, a_shares = _level_shares(actual)
    # Levels seen only in ``actual`` follow the reference's, in their order of appearance.
    position = {level: i for i, level in enumerate(levels)}
    for level in actual_levels:
        position.setdefault(level, len(position))
    e, a = np.zeros(len(position)), np.zeros(len(position))
    e[: len(levels)] = e_shares
    a[[position[level] for level in actual_levels]] = a_shares
    return _psi_from_shares(e, a, floor)


def csi(
    reference: pd.DataFrame | pa.Table,
    current: pd.DataFrame | pa.Table,
    numeric: list[str],
    categorical: list[str],
) -> dict[str, float]:
    """Characteristic stability index: PSI of each input feature, reference deciles as bins."""
    present = [column_names(reference), column_names(current)]
    missing = [c for c in [*numeric, *categorical] if any(c not in names for names in present)]
    if missing:
        raise ValueError(f"CSI features missing from reference or current data: {missing}.")
    jobs = [(psi, name) for name in numeric] + [(psi_categorical, name) for name in categorical]
    # Features are independent and their heavy steps (partitions, Arrow counts) release the GIL.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        values = list(pool.map(lambda job: job[0](reference[job[1]], current[job[1]]), jobs))
    return {name: value for (_, name), value in zip(jobs, values, strict=True)}
