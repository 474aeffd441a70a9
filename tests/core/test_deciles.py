"""Score deciles (core.deciles): calibration by decile and the lift table, against pandas'
qcut and by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml_platform_assets.core import deciles, metrics
from tests.core.scored_samples import CASES, scored


def test_calibration_deciles() -> None:
    y, score = scored(7, 10_000)
    table = deciles.calibration_by_decile(y, score)
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
    y, score = scored(seed, n)
    table = deciles.calibration_by_decile(y, score)
    expected = _pandas_deciles(y, score)
    assert table["n"].tolist() == expected["n"].tolist()
    np.testing.assert_allclose(table["observed_bad_rate"], expected["bad_rate"], rtol=1e-12)
    np.testing.assert_allclose(table["mean_predicted"], expected["mean_score"], rtol=1e-12)


def test_calibration_hand_checked() -> None:
    # Twenty rows, two per score 0.05, 0.15, ..., 0.95; one row in each pair is bad in the
    # riskiest five deciles, none below: observed rates 0 (deciles 1-5) and 0.5 (6-10).
    score = np.repeat(np.arange(10) / 10 + 0.05, 2)
    y = np.array([0, 0] * 5 + [1, 0] * 5)
    table = deciles.calibration_by_decile(y, score)
    assert table["n"].tolist() == [2] * 10
    assert table["observed_bad_rate"].tolist() == [0.0] * 5 + [0.5] * 5
    assert table["mean_predicted"].tolist() == pytest.approx(np.arange(10) / 10 + 0.05)


def test_calibration_with_heavy_ties_has_no_empty_bins() -> None:
    score = np.array([0.05] * 70 + [0.2] * 20 + [0.6] * 10)
    y = np.array([0, 1] * 50)
    table = deciles.calibration_by_decile(y, score)
    assert table["n"].tolist() == [70, 20, 10]
    assert table["mean_predicted"].tolist() == pytest.approx([0.05, 0.2, 0.6])


def test_lift_by_decile_hand_checked() -> None:
    # The ten rows of test_capture_and_lift_hand_checked, one per decile: bads at 1.0, 0.9 and
    # 0.1, an overall bad rate of 30 %. Riskiest first: deciles 1 and 2 are bad (lift 1/0.3),
    # 3-9 good (lift 0), 10 bad; the share of bads captured climbs 1/3, 2/3, ..., 2/3, 1.
    score = np.arange(1, 11) / 10
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    table = deciles.lift_by_decile(y, score)
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
    y, score = scored(seed, n)
    table = deciles.lift_by_decile(y, score)
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
    table = deciles.lift_by_decile(y, score)
    assert table["n"].tolist() == [1_000] * 10
    assert table["cumulative_bads_share"].iloc[0] == pytest.approx(
        metrics.capture_rate(y, score, 0.1)
    )
    assert table["cumulative_bads_share"].iloc[1] == pytest.approx(
        metrics.capture_rate(y, score, 0.2)
    )
    assert table["lift"].iloc[0] == pytest.approx(metrics.lift(y, score, 0.1))
