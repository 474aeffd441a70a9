"""Credit-risk validation metrics: discrimination, calibration, lift and population stability.

Definitions follow the domain notes: Gini = 2·AUC − 1, KS = max |TPR − FPR|, PSI = Σ (a_i − e_i)·
ln(a_i / e_i) over bins fixed on the reference, CSI = PSI per feature. ``y`` is 0/1 with 1 = bad;
scores are probabilities of bad (higher = riskier). Inputs may be numpy arrays, pandas Series,
Arrow arrays or sequences; CSI takes DataFrames or Arrow tables. Each metric sorts at most once and
never loops over rows in Python.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.validation import column_names

ArrayLike = Any  # numpy array, pandas Series, Arrow array or a plain sequence


# Stands for a missing categorical value: unlike a string such as "<missing>", no real level
# can be equal to it.
_MISSING = object()


def _to_float(values: ArrayLike, name: str) -> np.ndarray:
    if isinstance(values, pd.Series | pd.Index):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}.")
    return arr


def _require_classes(y: np.ndarray, metric: str, goods: bool = True) -> None:
    bads = float(y.sum())
    if bads == 0 or (goods and bads == y.size):
        only = "goods (y == 0)" if bads == 0 else "bads (y == 1)"
        need = "both good and bad outcomes" if goods else "at least one bad outcome"
        raise ValueError(f"{metric} needs {need}; got only {only} in {y.size} rows.")


def _validate(y: ArrayLike, score: ArrayLike, metric: str | None = None):
    """Return (y, score) as float arrays after checking lengths, labels and, if asked, classes."""
    yv, s = _to_float(y, "y"), _to_float(score, "score")
    if yv.size != s.size:
        raise ValueError(f"y has {yv.size} rows but score has {s.size}; they must be equally long.")
    if yv.size == 0:
        raise ValueError("y and score are empty; metrics need at least one row.")
    if not np.isin(yv, (0.0, 1.0)).all():
        raise ValueError("y must hold only 0 (good) and 1 (bad); found other or missing values.")
    missing = int(np.isnan(s).sum())
    if missing:
        raise ValueError(f"score has {missing} missing values; every row needs a score.")
    if metric is not None:
        _require_classes(yv, metric)
    return yv, s


def _check_probabilities(s: np.ndarray, metric: str) -> None:
    if s.min() < 0 or s.max() > 1:
        raise ValueError(f"{metric} needs scores that are probabilities in [0, 1].")


def _sorted_desc(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(s, kind="stable")[::-1]
    return y[order], s[order]


def _roc_counts(y_desc: np.ndarray, s_desc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative bads and goods with score >= t, for each distinct score t (descending)."""
    # Only the last row of each run of tied scores is a valid threshold: cutting inside a tie
    # would separate rows the model cannot tell apart and overstate KS.
    ends = np.r_[np.flatnonzero(np.diff(s_desc)), s_desc.size - 1]
    tps = np.cumsum(y_desc)[ends]
    return tps, ends + 1 - tps


def _auc_from_counts(tps: np.ndarray, fps: np.ndarray) -> float:
    d_bad, d_good = np.diff(tps, prepend=0.0), np.diff(fps, prepend=0.0)
    # A good tied with a bad is half an ordered pair, which is Mann-Whitney with average ranks.
    # Counts are whole or half numbers well below 2**53, so the sum is exact.
    ordered = np.sum(d_good * (tps - d_bad / 2))
    return float(ordered / (tps[-1] * fps[-1]))


def _ks_from_counts(tps: np.ndarray, fps: np.ndarray) -> float:
    return float(np.max(np.abs(tps / tps[-1] - fps / fps[-1])))


def auc(y: ArrayLike, score: ArrayLike) -> float:
    """Area under the ROC curve; ties count half, as in scikit-learn's ``roc_auc_score``."""
    yv, s = _validate(y, score, "AUC")
    return _auc_from_counts(*_roc_counts(*_sorted_desc(yv, s)))


def gini(y: ArrayLike, score: ArrayLike) -> float:
    """Gini coefficient (accuracy ratio), 2·AUC − 1."""
    return 2.0 * auc(y, score) - 1.0


def ks(y: ArrayLike, score: ArrayLike) -> float:
    """Kolmogorov-Smirnov statistic: max |TPR − FPR| over the distinct score values."""
    yv, s = _validate(y, score, "KS")
    return _ks_from_counts(*_roc_counts(*_sorted_desc(yv, s)))


def brier(y: ArrayLike, score: ArrayLike) -> float:
    """Mean squared difference between the predicted probability and the 0/1 outcome."""
    yv, s = _validate(y, score)
    _check_probabilities(s, "Brier score")
    return float(np.mean((s - yv) ** 2))


def log_loss(y: ArrayLike, score: ArrayLike, eps: float = 1e-15) -> float:
    """Mean negative log-likelihood; scores are clipped to [eps, 1 − eps] so 0 and 1 stay finite."""
    yv, s = _validate(y, score)
    _check_probabilities(s, "Log loss")
    p = np.clip(s, eps, 1.0 - eps)
    return float(-np.mean(yv * np.log(p) + (1.0 - yv) * np.log1p(-p)))


def _interior_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """Unique inner quantile edges of the finite values; the outer edges are -inf and +inf."""
    if bins < 2:
        raise ValueError(f"bins must be at least 2; got {bins}.")
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.empty(0)
    return np.unique(np.quantile(finite, np.linspace(0.0, 1.0, bins + 1)[1:-1]))


def _bin_index(values: np.ndarray, interior: np.ndarray) -> np.ndarray:
    # Bins are right-closed, (e_i, e_i+1], as pandas.cut: a spike at the minimum (e.g. zero
    # delinquencies) then gets a bin of its own instead of an empty one below it.
    return np.searchsorted(interior, values, side="left")


def _score_bins(yv: np.ndarray, s: np.ndarray, bins: int) -> pd.DataFrame:
    """Rows, bads, mean score and score range per score bin, lowest scores first.

    Edges are quantiles of the scores; repeated edges (tied scores) are merged and empty bins
    dropped, so tied scores always share a bin and heavy ties yield fewer than ``bins`` rows.
    """
    frame = pd.DataFrame({"bin": _bin_index(s, _interior_edges(s, bins)), "y": yv, "s": s})
    return frame.groupby("bin", sort=True).agg(
        n=("y", "size"),
        bads=("y", "sum"),
        mean_predicted=("s", "mean"),
        min_score=("s", "min"),
        max_score=("s", "max"),
    )


def calibration_by_decile(y: ArrayLike, score: ArrayLike, bins: int = 10) -> pd.DataFrame:
    """Mean predicted PD against observed bad rate per score bin.

    Edges are quantiles of ``score``; repeated edges (tied scores) are merged and empty bins
    dropped, so heavy ties yield fewer than ``bins`` rows. Rows are numbered from 1 = lowest score.

    Returns:
        Columns ``decile, n, mean_predicted, observed_bad_rate, min_score, max_score``.
    """
    yv, s = _validate(y, score)
    binned = _score_bins(yv, s, bins)
    return pd.DataFrame(
        {
            "decile": np.arange(1, len(binned) + 1),
            "n": binned["n"].to_numpy(),
            "mean_predicted": binned["mean_predicted"].to_numpy(),
            "observed_bad_rate": (binned["bads"] / binned["n"]).to_numpy(),
            "min_score": binned["min_score"].to_numpy(),
            "max_score": binned["max_score"].to_numpy(),
        }
    )


def lift_by_decile(y: ArrayLike, score: ArrayLike, bins: int = 10) -> pd.DataFrame:
    """The lift table: bads, bad rate, cumulative capture and lift per score decile.

    The bins are those of ``calibration_by_decile`` (quantile edges of ``score``, tied scores
    never split), numbered the other way: 1 = the riskiest (highest) scores. ``bad_rate`` is the
    decile's bads over its rows, ``cumulative_bads_share`` the share of all bads in this decile
    and the riskier ones, ``lift`` the decile's bad rate over the overall bad rate and
    ``mean_predicted`` the decile's mean score (predicted PD).

    Returns:
        Columns ``decile, n, bads, bad_rate, cumulative_bads_share, lift, mean_predicted,
        min_score, max_score``.
    """
    yv, s = _validate(y, score)
    _require_classes(yv, "Lift by decile", goods=False)
    binned = _score_bins(yv, s, bins).iloc[::-1]
    n = binned["n"].to_numpy()
    bads = binned["bads"].to_numpy().astype(np.int64)
    bad_rate = bads / n
    return pd.DataFrame(
        {
            "decile": np.arange(1, len(binned) + 1),
            "n": n,
            "bads": bads,
            "bad_rate": bad_rate,
            # Whole counts divided by their total: the last row is exactly 1.
            "cumulative_bads_share": np.cumsum(bads) / bads.sum(),
            "lift": bad_rate / (bads.sum() / n.sum()),
            "mean_predicted": binned["mean_predicted"].to_numpy(),
            "min_score": binned["min_score"].to_numpy(),
            "max_score": binned["max_score"].to_numpy(),
        }
    )


def _top_bads(y_desc: np.ndarray, s_desc: np.ndarray, top_fraction: float) -> tuple[float, int]:
    """Expected bads among the riskiest k rows, and k."""
    if not 0 < top_fraction <= 1:
        raise ValueError(f"top_fraction must be in (0, 1]; got {top_fraction}.")
    k = max(1, math.ceil(round(top_fraction * s_desc.size, 9)))
    cut = -s_desc[k - 1]
    # Rows tied at the cutoff score are indistinguishable, so they share the remaining slots
    # pro rata instead of letting the sort order decide which of them count as "riskiest".
    first = int(np.searchsorted(-s_desc, cut, side="left"))
    last = int(np.searchsorted(-s_desc, cut, side="right"))
    cum = np.concatenate(([0.0], np.cumsum(y_desc)))
    return float(cum[first] + (k - first) * (cum[last] - cum[first]) / (last - first)), k


def capture_rate(y: ArrayLike, score: ArrayLike, top_fraction: float) -> float:
    """Share of all bads found among the riskiest ``top_fraction`` of rows."""
    yv, s = _validate(y, score)
    _require_classes(yv, "Capture rate", goods=False)
    return _top_bads(*_sorted_desc(yv, s), top_fraction)[0] / float(yv.sum())


def lift(y: ArrayLike, score: ArrayLike, top_fraction: float) -> float:
    """Bad rate among the riskiest ``top_fraction`` of rows divided by the overall bad rate."""
    yv, s = _validate(y, score)
    _require_classes(yv, "Lift", goods=False)
    bads, k = _top_bads(*_sorted_desc(yv, s), top_fraction)
    return (bads / k) / float(yv.mean())


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
    # _bin_index, in a few vectorized passes instead of a binary search per value.
    at_most = [np.count_nonzero(values <= edge) for edge in interior]
    counts = np.diff(at_most, prepend=0, append=values.size - missing)
    return np.append(counts, missing) / values.size


def psi(expected: ArrayLike, actual: ArrayLike, bins: int = 10, floor: float = 1e-4) -> float:
    """Population stability index of a numeric variable.

    Bins are fixed on ``expected`` (the reference): its unique quantile edges inside, -inf and
    +inf outside, right-closed. Missing values form their own bin. Shares below ``floor`` are
    raised to it so empty bins give a finite value.
    """
    e, a = _to_float(expected, "expected"), _to_float(actual, "actual")
    _require_samples(e.size, a.size)
    interior = _interior_edges(e, bins)
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


def discrimination_summary(y: ArrayLike, score: ArrayLike) -> dict[str, float]:
    """Headline metrics of a scored out-of-time sample, computed from a single sort.

    Returns:
        Floats ``auc, gini, ks, brier, log_loss, bad_rate, capture_top10, capture_top20,
        lift_top10`` and the row count ``n`` as an int.
    """
    yv, s = _validate(y, score, "AUC")
    _check_probabilities(s, "Brier score and log loss")
    y_desc, s_desc = _sorted_desc(yv, s)
    tps, fps = _roc_counts(y_desc, s_desc)
    area, bads, n = _auc_from_counts(tps, fps), float(yv.sum()), int(yv.size)
    top10, k10 = _top_bads(y_desc, s_desc, 0.10)
    top20, _ = _top_bads(y_desc, s_desc, 0.20)
    return {
        "auc": area,
        "gini": 2.0 * area - 1.0,
        "ks": _ks_from_counts(tps, fps),
        "brier": brier(yv, s),
        "log_loss": log_loss(yv, s),
        "bad_rate": bads / n,
        "capture_top10": top10 / bads,
        "capture_top20": top20 / bads,
        "lift_top10": (top10 / k10) / (bads / n),
        "n": n,
    }
