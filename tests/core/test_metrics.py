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
    assert summary["capture_top10"] == pytest.approx(metrics.capture_rate(y, score, 0.1))
    assert summary["capture_top20"] == pytest.approx(metrics.capture_rate(y, score, 0.2))
    assert summary["lift_top10"] == pytest.approx(metrics.lift(y, score, 0.1))
    assert summary["bad_rate"] == pytest.approx(y.mean())


@pytest.mark.parametrize(("seed", "n"), CASES)
def test_discrimination_summary_matches_sklearn_and_scipy(seed: int, n: int) -> None:
    y, score = _scored(seed, n)
    summary = metrics.discrimination_summary(y, score)
    auc = roc_auc_score(y, score)
    assert summary["auc"] == pytest.approx(auc, abs=1e-12)
    assert summary["gini"] == pytest.approx(2 * auc - 1, abs=1e-12)
    assert summary["brier"] == pytest.approx(brier_score_loss(y, score), abs=1e-12)
    assert summary["log_loss"] == pytest.approx(sk_log_loss(y, score), abs=1e-12)
    # KS is the largest gap between the score distributions of bads and goods.
    ks = ks_2samp(score[y == 1], score[y == 0]).statistic
    assert summary["ks"] == pytest.approx(ks, abs=1e-12)


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


def _pandas_deciles(y: np.ndarray, score: np.ndarray) -> pd.DataFrame:
    """Rows, bads and mean score per pandas ``qcut`` score decile, lowest scores first."""
    frame = pd.DataFrame({"y": y, "score": score})
    frame["bin"] = pd.qcut(frame["score"], 10, labels=False, duplicates="drop")
    return frame.groupby("bin", observed=True).agg(
        n=("y", "size"), bads=("y", "sum"), bad_rate=("y", "mean"), mean_score=("score", "mean")
    )


@pytest.mark.parametrize(("seed", "n"), CASES)
def test_calibration_matches_pandas_qcut(seed: int, n: int) -> None:
    y, score = _scored(seed, n)
    table = metrics.calibration_by_decile(y, score)
    expected = _pandas_deciles(y, score)
    assert table["n"].tolist() == expected["n"].tolist()
    np.testing.assert_allclose(table["observed_bad_rate"], expected["bad_rate"], rtol=1e-12)
    np.testing.assert_allclose(table["mean_predicted"], expected["mean_score"], rtol=1e-12)


def test_calibration_hand_checked() -> None:
    # Twenty rows, two per score 0.05, 0.15, ..., 0.95; one row in each pair is bad in the
    # riskiest five deciles, none below: observed rates 0 (deciles 1-5) and 0.5 (6-10).
    score = np.repeat(np.arange(10) / 10 + 0.05, 2)
    y = np.array([0, 0] * 5 + [1, 0] * 5)
    table = metrics.calibration_by_decile(y, score)
    assert table["n"].tolist() == [2] * 10
    assert table["observed_bad_rate"].tolist() == [0.0] * 5 + [0.5] * 5
    assert table["mean_predicted"].tolist() == pytest.approx(np.arange(10) / 10 + 0.05)


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


def test_psi_ten_deciles_hand_checked() -> None:
    # Reference 0, 1, ..., 10: its deciles are 1, 2, ..., 9, so the bins (right-closed) are
    # (-inf, 1] with 0 and 1, then one value each in (1, 2], ..., (8, 9] and (9, inf):
    # e = (2/11, 1/11, ..., 1/11).
    # Current 1, 1, 2, 5, 5, 5, 10, 10 (8 values): (-inf, 1] 2, (1, 2] 1, (4, 5] 3, (9, inf) 2,
    # the six others empty and floored at 1e-4: a = (2/8, 1/8, 0, 0, 3/8, 0, 0, 0, 0, 2/8).
    e = [2 / 11] + [1 / 11] * 9
    a = [2 / 8, 1 / 8, 1e-4, 1e-4, 3 / 8, 1e-4, 1e-4, 1e-4, 1e-4, 2 / 8]
    expected = sum((ai - ei) * math.log(ai / ei) for ai, ei in zip(a, e, strict=True))
    # ≈ 0.0217 + 0.0109 + 6 · 0.6186 + 0.4026 + 0.1609 ≈ 4.3079
    assert expected == pytest.approx(4.3079, abs=1e-4)
    current = [1, 1, 2, 5, 5, 5, 10, 10]
    assert metrics.psi(np.arange(11), current) == pytest.approx(expected, rel=1e-12)


def _psi_from_the_definition(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI as the domain notes define it, with pandas: bins cut at the reference's deciles
    (right-closed, outer edges infinite), missing values a bin of their own, shares floored
    at 1e-4, then the sum of (a - e) · ln(a / e)."""
    finite = pd.Series(reference[np.isfinite(reference)])
    edges = sorted(set(finite.quantile([i / 10 for i in range(1, 10)])))
    cuts = [-np.inf, *edges, np.inf]

    def shares(values: np.ndarray) -> pd.Series:
        binned = pd.cut(pd.Series(values), cuts, right=True, include_lowest=True, labels=False)
        counts = binned.value_counts(dropna=False)
        return counts.reindex([*range(len(cuts) - 1), np.nan], fill_value=0) / len(values)

    e, a = shares(reference).clip(lower=1e-4), shares(current).clip(lower=1e-4)
    return float(((a - e) * np.log(a / e)).sum())


@pytest.mark.parametrize(("seed", "shift"), [(0, 0.0), (1, 0.0), (2, 0.0), (3, 4.0)])
def test_psi_matches_an_independent_computation(seed: int, shift: float) -> None:
    rng = np.random.default_rng(seed)
    # Ties at the edges, a spike at zero, missing values on both sides, infinities in current;
    # shifted by 4, current leaves the lowest reference deciles empty (floored).
    reference = np.round(rng.exponential(3.0, 5_000), 1)
    reference[:500] = 0.0
    reference[-40:] = np.nan
    current = np.round(rng.exponential(3.5, 3_000), 1) + shift
    current[:50], current[50:60], current[60:70] = np.nan, np.inf, -np.inf
    if shift:
        current[:70] = 20.0  # no missing or infinite values: their bin is empty too
    expected = _psi_from_the_definition(reference, current)
    assert expected > 0.01  # the shift is large enough to be seen
    assert metrics.psi(reference, current) == pytest.approx(expected, rel=1e-12)


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


def test_lift_by_decile_hand_checked() -> None:
    # The ten rows of test_capture_and_lift_hand_checked, one per decile: bads at 1.0, 0.9 and
    # 0.1, an overall bad rate of 30 %. Riskiest first: deciles 1 and 2 are bad (lift 1/0.3),
    # 3-9 good (lift 0), 10 bad; the share of bads captured climbs 1/3, 2/3, ..., 2/3, 1.
    score = np.arange(1, 11) / 10
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    table = metrics.lift_by_decile(y, score)
    assert list(table.columns) == [
        "decile", "n", "bads", "bad_rate", "cumulative_bads_share", "lift", "mean_predicted",
        "min_score", "max_score",
    ]  # fmt: skip
    assert table["decile"].tolist() == list(range(1, 11))
    assert table["n"].tolist() == [1] * 10
    assert table["bads"].tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    assert table["bad_rate"].tolist() == [1.0, 1.0] + [0.0] * 7 + [1.0]
    assert table["cumulative_bads_share"].tolist() == pytest.approx([1 / 3] + [2 / 3] * 8 + [1])
    assert table["lift"].tolist() == pytest.approx([10 / 3, 10 / 3] + [0.0] * 7 + [10 / 3])
    assert table["mean_predicted"].tolist() == pytest.approx(score[::-1])


@pytest.mark.parametrize(("seed", "n"), CASES)
def test_lift_by_decile_matches_pandas(seed: int, n: int) -> None:
    y, score = _scored(seed, n)
    table = metrics.lift_by_decile(y, score)
    expected = _pandas_deciles(y, score).iloc[::-1]  # riskiest first
    cumulative = expected["bads"].cumsum() / y.sum()
    assert table["n"].tolist() == expected["n"].tolist()
    assert table["bads"].tolist() == expected["bads"].tolist()
    np.testing.assert_allclose(table["bad_rate"], expected["bad_rate"], rtol=1e-12)
    np.testing.assert_allclose(table["cumulative_bads_share"], cumulative, rtol=1e-12)
    np.testing.assert_allclose(table["lift"], expected["bad_rate"] / y.mean(), rtol=1e-12)
    np.testing.assert_allclose(table["mean_predicted"], expected["mean_score"], rtol=1e-12)
    assert table["cumulative_bads_share"].iloc[-1] == 1.0
    assert (table["min_score"].iloc[:-1].to_numpy() > table["max_score"].iloc[1:].to_numpy()).all()


def test_lift_table_top_deciles_agree_with_capture_and_lift_without_ties() -> None:
    # Distinct scores and a multiple of ten rows: each decile holds exactly a tenth of them.
    rng = np.random.default_rng(11)
    score = rng.beta(2, 8, 10_000)
    y = (rng.random(10_000) < score).astype(int)
    table = metrics.lift_by_decile(y, score)
    assert table["n"].tolist() == [1_000] * 10
    assert table["cumulative_bads_share"].iloc[0] == pytest.approx(
        metrics.capture_rate(y, score, 0.1)
    )
    assert table["cumulative_bads_share"].iloc[1] == pytest.approx(
        metrics.capture_rate(y, score, 0.2)
    )
    assert table["lift"].iloc[0] == pytest.approx(metrics.lift(y, score, 0.1))


def test_one_class_y_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match=r"AUC needs both good and bad outcomes; got only goods"):
        metrics.auc([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"KS needs both good and bad outcomes; got only bads"):
        metrics.ks([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="at least one bad"):
        metrics.capture_rate([0, 0], [0.1, 0.2], 0.5)
    with pytest.raises(ValueError, match="Lift by decile needs at least one bad"):
        metrics.lift_by_decile([0, 0], [0.1, 0.2])


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
