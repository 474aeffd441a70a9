"""Score deciles: calibration (mean predicted PD against observed bad rate) and the lift table.

Bins are quantiles of the scores, tied scores never split, so heavy ties yield fewer bins.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml_platform_assets.core.metric_inputs import (
    ArrayLike,
    bin_index,
    checked_scores,
    interior_edges,
    require_classes,
)


def _score_bins(yv: np.ndarray, s: np.ndarray, bins: int) -> pd.DataFrame:
    """Rows, bads, mean score and score range per score bin, lowest scores first.

    Edges are quantiles of the scores; repeated edges (tied scores) are merged and empty bins
    dropped, so tied scores always share a bin and heavy ties yield fewer than ``bins`` rows.
    """
    frame = pd.DataFrame({"bin": bin_index(s, interior_edges(s, bins)), "y": yv, "s": s})
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
    yv, s = checked_scores(y, score)
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
    yv, s = checked_scores(y, score)
    require_classes(yv, "Lift by decile", goods=False)
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
