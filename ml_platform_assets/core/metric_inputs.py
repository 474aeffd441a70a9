"""What the metrics share: checked inputs and bins fixed on quantiles.

``y`` is 0/1 with 1 = bad; scores are probabilities of bad (higher = riskier). Inputs may be
numpy arrays, pandas Series, Arrow arrays or sequences.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

ArrayLike = Any  # numpy array, pandas Series, Arrow array or a plain sequence


def to_float(values: ArrayLike, name: str) -> np.ndarray:
    """``values`` as a one-dimensional float array, missing as NaN.

    Raises:
        ValueError: the values are not one-dimensional (the message names them ``name``).
    """
    if isinstance(values, pd.Series | pd.Index):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}.")
    return arr


def require_classes(y: np.ndarray, metric: str, goods: bool = True) -> None:
    """Raise ``ValueError`` naming ``metric`` unless ``y`` holds a bad (and, if ``goods``, a
    good) outcome."""
    bads = float(y.sum())
    if bads == 0 or (goods and bads == y.size):
        only = "goods (y == 0)" if bads == 0 else "bads (y == 1)"
        need = "both good and bad outcomes" if goods else "at least one bad outcome"
        raise ValueError(f"{metric} needs {need}; got only {only} in {y.size} rows.")


def checked_scores(y: ArrayLike, score: ArrayLike, metric: str | None = None):
    """Return (y, score) as float arrays after checking lengths, labels and, if asked, classes."""
    yv, s = to_float(y, "y"), to_float(score, "score")
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
        require_classes(yv, metric)
    return yv, s


def check_probabilities(s: np.ndarray, metric: str) -> None:
    """Raise ``ValueError`` naming ``metric`` unless every score is within [0, 1]."""
    if s.min() < 0 or s.max() > 1:
        raise ValueError(f"{metric} needs scores that are probabilities in [0, 1].")


def interior_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """Unique inner quantile edges of the finite values; the outer edges are -inf and +inf."""
    if bins < 2:
        raise ValueError(f"bins must be at least 2; got {bins}.")
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.empty(0)
    return np.unique(np.quantile(finite, np.linspace(0.0, 1.0, bins + 1)[1:-1]))


def bin_index(values: np.ndarray, interior: np.ndarray) -> np.ndarray:
    """The right-closed bin of each value between ``interior`` edges, 0 to ``len(interior)``."""
    # Bins are right-closed, (e_i, e_i+1], as pandas.cut: a spike at the minimum (e.g. zero
    # delinquencies) then gets a bin of its own instead of an empty one below it.
    return np.searchsorted(interior, values, side="left")
