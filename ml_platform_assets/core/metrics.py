"""Credit-risk discrimination metrics: AUC, Gini, KS, Brier score, log loss, capture and lift.

Definitions follow the domain notes: Gini = 2·AUC − 1, KS = max |TPR − FPR|. ``y`` is 0/1 with
1 = bad; scores are probabilities of bad (higher = riskier). Inputs may be numpy arrays, pandas
Series, Arrow arrays or sequences. Each metric sorts at most once and never loops over rows in
Python. Calibration and lift by decile are in ``core.deciles``, PSI and CSI in
``core.stability``.
"""

from __future__ import annotations

import math

import numpy as np

from ml_platform_assets.core.metric_inputs import (
    ArrayLike,
    check_probabilities,
    checked_scores,
    require_classes,
)


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
    yv, s = checked_scores(y, score, "AUC")
    return _auc_from_counts(*_roc_counts(*_sorted_desc(yv, s)))


def gini(y: ArrayLike, score: ArrayLike) -> float:
    """Gini coefficient (accuracy ratio), 2·AUC − 1."""
    return 2.0 * auc(y, score) - 1.0


def ks(y: ArrayLike, score: ArrayLike) -> float:
    """Kolmogorov-Smirnov statistic: max |TPR − FPR| over the distinct score values."""
    yv, s = checked_scores(y, score, "KS")
    return _ks_from_counts(*_roc_counts(*_sorted_desc(yv, s)))


def brier(y: ArrayLike, score: ArrayLike) -> float:
    """Mean squared difference between the predicted probability and the 0/1 outcome."""
    yv, s = checked_scores(y, score)
    check_probabilities(s, "Brier score")
    return float(np.mean((s - yv) ** 2))


def log_loss(y: ArrayLike, score: ArrayLike, eps: float = 1e-15) -> float:
    """Mean negative log-likelihood; scores are clipped to [eps, 1 − eps] so 0 and 1 stay finite."""
    yv, s = checked_scores(y, score)
    check_probabilities(s, "Log loss")
    p = np.clip(s, eps, 1.0 - eps)
    return float(-np.mean(yv * np.log(p) + (1.0 - yv) * np.log1p(-p)))


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
    yv, s = checked_scores(y, score)
    require_classes(yv, "Capture rate", goods=False)
    return _top_bads(*_sorted_desc(yv, s), top_fraction)[0] / float(yv.sum())


def lift(y: ArrayLike, score: ArrayLike, top_fraction: float) -> float:
    """Bad rate among the riskiest ``top_fraction`` of rows divided by the overall bad rate."""
    yv, s = checked_scores(y, score)
    require_classes(yv, "Lift", goods=False)
    bads, k = _top_bads(*_sorted_desc(yv, s), top_fraction)
    return (bads / k) / float(yv.mean())


def discrimination_summary(y: ArrayLike, score: ArrayLike) -> dict[str, float]:
    """Headline metrics of a scored out-of-time sample, computed from a single sort.

    Returns:
        Floats ``auc, gini, ks, brier, log_loss, bad_rate, capture_top10, capture_top20,
        lift_top10`` and the row count ``n`` as an int.
    """
    yv, s = checked_scores(y, score, "AUC")
    check_probabilities(s, "Brier score and log loss")
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
