"""Tests of ml_platform_assets.core.metrics: AUC, KS, Brier, log loss, calibration, lift, PSI, CSI.

Reference values come from scikit-learn and scipy or are worked out by hand in comments.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.metrics import log_loss as sk_log_loss

from ml_platform_assets.core import metrics

CASES = [(0, 40), (1, 500), (2, 5_000), (3, 50_000)]


def _scored(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores rounded to two decimals (many ties), clipped away from 0 and 1, outcomes drawn."""
    rng = np.random.default_rng(seed)
    score = np.clip(np.round(rng.beta(2, 8, n), 2), 0.01, 0.99)
    y = (rng.random(n) < score).astype(int)
    y[:2] = [0, 1]  # tiny samples must still hold both classes
    return y, score


@pytest.mark.parametrize(("seed", "n"), CASES)
def test_auc_brier_log_loss_match_sklearn(seed: int, n: int) -> None:
    y, score = _scored(seed, n)
    assert metrics.auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert metrics.gini(y, score) == pytest.approx(2 * roc_auc_score(y, score) - 1, abs=1e-12)
    assert metrics.brier(y, score) == pytest.approx(brier_score_loss(y, score), abs=1e-12)
    assert metrics.log_loss(y, score) == pytest.approx(sk_log_loss(y, score), abs=1e-12)


def test_inputs_may_be_pandas_series() -> None:
    y, score = _scored(4, 300)
    assert metrics.auc(pd.Series(y), pd.Series(score)) == pytest.approx(roc_auc_score(y, score))


def test_auc_ties_count_half() -> None:
    # One bad and one good tied at 0.5, one bad above: pairs (b@0.9 > g) = 1, (b@0.5 ~ g) = 0.5.
    assert metrics.auc([1, 1, 0], [0.9, 0.5, 0.5]) == pytest.approx(0.75)


def test_ks_hand_checked() -> None:
    # Scores 0.1..0.6, bads at 0.3, 0.5, 0.6 (P = 3, N = 3). Cutting at score >= t:
    #   t=0.6: TPR 1/3, FPR 0   -> 1/3      t=0.3: TPR 1, FPR 1/3   -> 2/3
    #   t=0.5: TPR 2/3, FPR 0   -> 2/3      t=0.2: TPR 1, FPR 2/3   -> 1/3
    #   t=0.4: TPR 2/3, FPR 1/3 -> 1/3      t=0.1: TPR 1, FPR 1     -> 0      so KS = 2/3.
    assert metrics.ks([0, 0, 1, 0, 1, 1], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) == pytest.approx(2 / 3)


def test_ks_does_not_split_ties() -> None:
    # Bads at 0.8, 0.5, 0.2 and goods at 0.5, 0.2 (P = 3, N = 2). Distinct thresholds only:
    #   t=0.8: 1/3 - 0 = 1/3;  t=0.5: 2/3 - 1/2 = 1/6;  t=0.2: 1 - 1 = 0   so KS = 1/3.
    # Cutting inside the 0.5 tie (bad before good) would wrongly report 2/3 - 0 = 2/3.
    assert metrics.ks([0, 1, 0, 1, 1], [0.2, 0.2, 0.5, 0.5, 0.8]) == pytest.approx(1 / 3)


@pytest.mark.parametrize(("seed", "n"), CASES)
def test_ks_matches_scipy_two_sample_statistic(seed: int, n: int) -> None:
    y, score = _scored(seed, n)
    expected = ks_2samp(score[y == 1], score[y == 0]).statistic
    assert metrics.ks(y, score) == pytest.approx(expected, abs=1e-12)


def test_capture_and_lift_hand_checked() -> None:
    # Ten rows scored 0.1..1.0; bads at 0.1, 0.9 and 1.0, so 3 bads and a bad rate of 30 %.
    # Top 20 % = rows 1.0 and 0.9, both bad: capture 2/3, lift (2/2) / 0.3 = 10/3.
    # Top 10 % = row 1.0, bad: capture 1/3, lift (1/1) / 0.3 = 10/3.
    score = np.arange(1, 11) / 10
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    assert metrics.capture_rate(y, score, 0.2) == pytest.approx(2 / 3)
    assert metrics.capture_rate(y, score, 0.1) == pytest.approx(1 / 3)
    assert metrics.lift(y, score, 0.2) == pytest.approx(10 / 3)
    assert metrics.lift(y, score, 0.1) == pytest.approx(10 / 3)
    assert metrics.capture_rate(y, score, 1.0) == pytest.approx(1.0)


def test_capture_shares_ties_at_the_cutoff() -> None:
    # Top 25 % of 4 rows is one row, but two rows tie at 0.9 (one bad): each gets half the slot,
    # so 0.5 expected bads out of 1 bad in total.
    assert metrics.capture_rate([1, 0, 0, 0], [0.9, 0.9, 0.1, 0.1], 0.25) == pytest.approx(0.5)


def test_discrimination_summary_keys_and_consistency() -> None:
    y, score = _scored(5, 20_000)
    summary = metrics.discrimination_summary(y, score)
    assert set(summary) == {
        "auc", "gini", "ks", "brier", "log_loss", "bad_rate",
        "capture_top10", "capture_top20", "lift_top10", "n",
    }  # fmt: skip
    assert summary["n"] == 20_000
    assert summary["auc"] == pytest.approx(metrics.auc(y, score))
    assert summary["ks"] == pytest.approx(metrics.ks(y, score))
    assert summary["capture_top20"] == pytest.approx(metrics.capture_rate(y, score, 0.2))
    assert summary["lift_top10"] == pytest.approx(metrics.lift(y, score, 0.1))
    assert summary["bad_rate"] == pytest.approx(y.mean())


def test_calibration_deciles() -> None:
    y, score = _scored(7, 10_000)
    table = metrics.calibration_by_decile(y, score)
    assert list(table.columns) == [
        "decile", "n", "mean_predicted", "observed_bad_rate", "min_score", "max_score",
    ]  # fmt: skip
    assert table["n"].sum() == 10_000
    assert table["decile"].tolist() == list(range(1, len(table) + 1))
    assert table["mean_predicted"].is_monotonic_increasing
    assert (table["min_score"].iloc[1:].to_numpy() > table["max_score"].iloc[:-1].to_numpy()).all()


def test_calibration_with_heavy_ties_has_no_empty_bins() -> None:
    score = np.array([0.05] * 70 + [0.2] * 20 + [0.6] * 10)
    y = np.array([0, 1] * 50)
    table = metrics.calibration_by_decile(y, score)
    assert table["n"].tolist() == [70, 20, 10]
    assert table["mean_predicted"].tolist() == pytest.approx([0.05, 0.2, 0.6])


def test_psi_identical_distributions_is_zero() -> None:
    values = np.random.default_rng(8).normal(size=5_000)
    assert metrics.psi(values, values) == 0.0
    assert metrics.psi(values, values[::-1]) == pytest.approx(0.0, abs=1e-12)


def test_psi_two_bin_shift_hand_checked() -> None:
    # Reference: 50 zeros, 50 ones; the median edge is 0.5, so shares e = (0.5, 0.5).
    # Current: 25 zeros, 75 ones, a = (0.25, 0.75).
    # PSI = (0.25 - 0.5)·ln(0.25/0.5) + (0.75 - 0.5)·ln(0.75/0.5) = 0.25·ln 2 + 0.25·ln 1.5
    #     = 0.25·ln 3 ≈ 0.2747.
    value = metrics.psi([0] * 50 + [1] * 50, [0] * 25 + [1] * 75, bins=2)
    assert value == pytest.approx(0.25 * math.log(3))


def test_psi_floor_keeps_empty_bins_finite() -> None:
    # Reference 0..99 gives ten bins of 10 % each; every current value lands in the top bin, so
    # nine bins are empty and floored at 1e-4:
    # PSI = 9·(1e-4 - 0.1)·ln(1e-4/0.1) + (1 - 0.1)·ln(1/0.1) ≈ 8.283.
    value = metrics.psi(np.arange(100), np.full(50, 1_000.0))
    expected = 9 * (1e-4 - 0.1) * math.log(1e-4 / 0.1) + 0.9 * math.log(1 / 0.1)
    assert math.isfinite(value)
    assert value == pytest.approx(expected)


def test_psi_missing_values_form_their_own_bin() -> None:
    # Reference has no NaN (share floored to 1e-4), current has half NaN; the rest is unchanged.
    reference = np.arange(100, dtype=float)
    current = np.concatenate([reference, np.full(100, np.nan)])
    expected = 10 * (0.05 - 0.1) * math.log(0.05 / 0.1) + (0.5 - 1e-4) * math.log(0.5 / 1e-4)
    assert metrics.psi(reference, current) == pytest.approx(expected)


def test_psi_categorical_new_level() -> None:
    # e = (a 0.5, b 0.5, c 0 -> 1e-4), a = (0.5, 0.25, 0.25):
    # PSI = 0 + (0.25 - 0.5)·ln(0.25/0.5) + (0.25 - 1e-4)·ln(0.25/1e-4).
    value = metrics.psi_categorical(["a"] * 50 + ["b"] * 50, ["a"] * 50 + ["b"] * 25 + ["c"] * 25)
    expected = -0.25 * math.log(0.5) + (0.25 - 1e-4) * math.log(0.25 / 1e-4)
    assert value == pytest.approx(expected)


def test_psi_categorical_missing_is_one_level() -> None:
    assert metrics.psi_categorical(["a", None, "b"], ["b", np.nan, "a"]) == pytest.approx(0.0)
    assert metrics.psi_categorical(["a", "a"], ["a", None]) > 0.5


def test_csi_one_value_per_feature() -> None:
    rng = np.random.default_rng(9)
    reference = pd.DataFrame(
        {"income": rng.normal(50, 10, 2_000), "age": rng.integers(18, 80, 2_000),
         "channel": rng.choice(["web", "app"], 2_000)}
    )  # fmt: skip
    current = reference.copy()
    current["income"] = current["income"] + 15
    current.loc[:99, "age"] = np.nan
    result = metrics.csi(reference, current, numeric=["income", "age"], categorical=["channel"])
    assert list(result) == ["income", "age", "channel"]
    assert result["income"] > 0.25
    assert result["age"] > 0
    assert result["channel"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="missing"):
        metrics.csi(reference, current, numeric=["nope"], categorical=[])


def _psi_by_binary_search(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI with each value's bin found by a binary search: what psi must equal exactly."""
    finite = expected[np.isfinite(expected)]
    interior = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, 11)[1:-1]))

    def shares(values: np.ndarray) -> np.ndarray:
        missing = np.isnan(values)
        bins = np.searchsorted(interior, values[~missing], side="left")
        counts = np.bincount(bins, minlength=interior.size + 1)
        return np.append(counts, missing.sum()) / values.size

    e, a = np.maximum(shares(expected), 1e-4), np.maximum(shares(actual), 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_psi_bins_are_exactly_those_of_a_binary_search(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Ties at the edges, a spike at zero, missing values and infinities on both sides.
    expected = np.round(rng.exponential(3.0, 5_000), 1)
    expected[:500] = 0.0
    actual = np.round(rng.exponential(3.5, 3_000), 1)
    actual[:50], actual[50:60], actual[60:70] = np.nan, np.inf, -np.inf
    expected[-40:] = np.nan
    assert metrics.psi(expected, actual) == _psi_by_binary_search(expected, actual)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_psi_categorical_is_the_same_for_arrow_strings_and_objects(seed: int) -> None:
    rng = np.random.default_rng(seed)
    levels = np.array(["web", "app", "partner", "checkout", None], dtype=object)
    expected = rng.choice(levels[:4], 1_000, p=[0.5, 0.3, 0.15, 0.05]).astype(object)
    actual = rng.choice(levels, 800, p=[0.2, 0.2, 0.2, 0.2, 0.2])
    expected[rng.integers(0, 1_000, 30)] = None
    actual[:3] = ["new", None, "web"]
    objects = metrics.psi_categorical(expected.tolist(), actual.tolist())
    strings = [pa.array(expected.tolist()), pa.chunked_array([actual[:400], actual[400:]])]
    assert metrics.psi_categorical(*strings) == objects
    as_series = [pd.Series(v.tolist(), dtype="string[pyarrow]") for v in (expected, actual)]
    assert metrics.psi_categorical(*as_series) == objects


def test_csi_of_arrow_tables_equals_csi_of_dataframes() -> None:
    rng = np.random.default_rng(5)
    frames = [
        pd.DataFrame(
            {"income": rng.normal(50 + shift, 10, n), "channel": rng.choice(["web", "app"], n)}
        )
        for shift, n in ((0, 2_000), (5, 1_500))
    ]
    frames[1].loc[:9, "income"] = np.nan
    tables = [pa.Table.from_pandas(frame) for frame in frames]
    from_frames = metrics.csi(*frames, numeric=["income"], categorical=["channel"])
    assert metrics.csi(*tables, numeric=["income"], categorical=["channel"]) == from_frames
    with pytest.raises(ValueError, match=r"missing from reference or current data: \['nope'\]"):
        metrics.csi(*tables, numeric=["nope"], categorical=[])


def test_one_class_y_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match=r"AUC needs both good and bad outcomes; got only goods"):
        metrics.auc([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"KS needs both good and bad outcomes; got only bads"):
        metrics.ks([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="at least one bad"):
        metrics.capture_rate([0, 0], [0.1, 0.2], 0.5)


def test_length_mismatch_names_both_lengths() -> None:
    with pytest.raises(ValueError, match=r"y has 3 rows but score has 2"):
        metrics.auc([0, 1, 0], [0.1, 0.2])


def test_bad_labels_and_missing_scores_are_rejected() -> None:
    with pytest.raises(ValueError, match="only 0"):
        metrics.brier([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="missing"):
        metrics.auc([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.log_loss([0, 1], [0.1, 1.2])
