"""Discrimination metrics (core.metrics): AUC, Gini, KS, Brier, log loss, capture and lift;
and how every metric rejects unusable input.

Reference values come from scikit-learn and scipy or are worked out by hand in comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.metrics import log_loss as sk_log_loss

from ml_platform_assets.core import deciles, metrics
from tests.core.scored_samples import CASES, scored


@pytest.mark.parametrize(("seed", "n"), CASES)
def test_auc_brier_log_loss_match_sklearn(seed: int, n: int) -> None:
    y, score = scored(seed, n)
    assert metrics.auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert metrics.gini(y, score) == pytest.approx(2 * roc_auc_score(y, score) - 1, abs=1e-12)
    assert metrics.brier(y, score) == pytest.approx(brier_score_loss(y, score), abs=1e-12)
    assert metrics.log_loss(y, score) == pytest.approx(sk_log_loss(y, score), abs=1e-12)


def test_inputs_may_be_pandas_series() -> None:
    y, score = scored(4, 300)
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
    y, score = scored(seed, n)
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
    y, score = scored(5, 20_000)
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
    y, score = scored(seed, n)
    summary = metrics.discrimination_summary(y, score)
    auc = roc_auc_score(y, score)
    assert summary["auc"] == pytest.approx(auc, abs=1e-12)
    assert summary["gini"] == pytest.approx(2 * auc - 1, abs=1e-12)
    assert summary["brier"] == pytest.approx(brier_score_loss(y, score), abs=1e-12)
    assert summary["log_loss"] == pytest.approx(sk_log_loss(y, score), abs=1e-12)
    # KS is the largest gap between the score distributions of bads and goods.
    ks = ks_2samp(score[y == 1], score[y == 0]).statistic
    assert summary["ks"] == pytest.approx(ks, abs=1e-12)


def test_one_class_y_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match=r"AUC needs both good and bad outcomes; got only goods"):
        metrics.auc([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"KS needs both good and bad outcomes; got only bads"):
        metrics.ks([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="at least one bad"):
        metrics.capture_rate([0, 0], [0.1, 0.2], 0.5)
    with pytest.raises(ValueError, match="Lift by decile needs at least one bad"):
        deciles.lift_by_decile([0, 0], [0.1, 0.2])


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
