"""Population stability (core.stability): PSI of numeric and categorical variables and CSI,
by hand and against an independent computation from the definition."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ml_platform_assets.core import stability


def test_psi_identical_distributions_is_zero() -> None:
    values = np.random.default_rng(8).normal(size=5_000)
    assert stability.psi(values, values) == 0.0
    assert stability.psi(values, values[::-1]) == pytest.approx(0.0, abs=1e-12)


def test_psi_two_bin_shift_hand_checked() -> None:
    # Reference: 50 zeros, 50 ones; the median edge is 0.5, so shares e = (0.5, 0.5).
    # Current: 25 zeros, 75 ones, a = (0.25, 0.75).
    # PSI = (0.25 - 0.5)·ln(0.25/0.5) + (0.75 - 0.5)·ln(0.75/0.5) = 0.25·ln 2 + 0.25·ln 1.5
    #     = 0.25·ln 3 ≈ 0.2747.
    value = stability.psi([0] * 50 + [1] * 50, [0] * 25 + [1] * 75, bins=2)
    assert value == pytest.approx(0.25 * math.log(3))


def test_psi_floor_keeps_empty_bins_finite() -> None:
    # Reference 0..99 gives ten bins of 10 % each; every current value lands in the top bin, so
    # nine bins are empty and floored at 1e-4:
    # PSI = 9·(1e-4 - 0.1)·ln(1e-4/0.1) + (1 - 0.1)·ln(1/0.1) ≈ 8.283.
    value = stability.psi(np.arange(100), np.full(50, 1_000.0))
    expected = 9 * (1e-4 - 0.1) * math.log(1e-4 / 0.1) + 0.9 * math.log(1 / 0.1)
    assert math.isfinite(value)
    assert value == pytest.approx(expected)


def test_psi_missing_values_form_their_own_bin() -> None:
    # Reference has no NaN (share floored to 1e-4), current has half NaN; the rest is unchanged.
    reference = np.arange(100, dtype=float)
    current = np.concatenate([reference, np.full(100, np.nan)])
    expected = 10 * (0.05 - 0.1) * math.log(0.05 / 0.1) + (0.5 - 1e-4) * math.log(0.5 / 1e-4)
    assert stability.psi(reference, current) == pytest.approx(expected)


def test_psi_categorical_new_level() -> None:
    # e = (a 0.5, b 0.5, c 0 -> 1e-4), a = (0.5, 0.25, 0.25):
    # PSI = 0 + (0.25 - 0.5)·ln(0.25/0.5) + (0.25 - 1e-4)·ln(0.25/1e-4).
    value = stability.psi_categorical(["a"] * 50 + ["b"] * 50, ["a"] * 50 + ["b"] * 25 + ["c"] * 25)
    expected = -0.25 * math.log(0.5) + (0.25 - 1e-4) * math.log(0.25 / 1e-4)
    assert value == pytest.approx(expected)


def test_psi_categorical_missing_is_one_level() -> None:
    assert stability.psi_categorical(["a", None, "b"], ["b", np.nan, "a"]) == pytest.approx(0.0)
    assert stability.psi_categorical(["a", "a"], ["a", None]) > 0.5


def test_csi_one_value_per_feature() -> None:
    rng = np.random.default_rng(9)
    reference = pd.DataFrame(
        {"income": rng.normal(50, 10, 2_000), "age": rng.integers(18, 80, 2_000),
         "channel": rng.choice(["web", "app"], 2_000)}
    )  # fmt: skip
    current = reference.copy()
    current["income"] = current["income"] + 15
    current.loc[:99, "age"] = np.nan
    result = stability.csi(reference, current, numeric=["income", "age"], categorical=["channel"])
    assert list(result) == ["income", "age", "channel"]
    assert result["income"] > 0.25
    assert result["age"] > 0
    assert result["channel"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="missing"):
        stability.csi(reference, current, numeric=["nope"], categorical=[])


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
    assert stability.psi(np.arange(11), current) == pytest.approx(expected, rel=1e-12)


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
    assert stability.psi(reference, current) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_psi_categorical_is_the_same_for_arrow_strings_and_objects(seed: int) -> None:
    rng = np.random.default_rng(seed)
    levels = np.array(["web", "app", "partner", "checkout", None], dtype=object)
    expected = rng.choice(levels[:4], 1_000, p=[0.5, 0.3, 0.15, 0.05]).astype(object)
    actual = rng.choice(levels, 800, p=[0.2, 0.2, 0.2, 0.2, 0.2])
    expected[rng.integers(0, 1_000, 30)] = None
    actual[:3] = ["new", None, "web"]
    objects = stability.psi_categorical(expected.tolist(), actual.tolist())
    strings = [pa.array(expected.tolist()), pa.chunked_array([actual[:400], actual[400:]])]
    assert stability.psi_categorical(*strings) == objects
    as_series = [pd.Series(v.tolist(), dtype="string[pyarrow]") for v in (expected, actual)]
    assert stability.psi_categorical(*as_series) == objects


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
    from_frames = stability.csi(*frames, numeric=["income"], categorical=["channel"])
    assert stability.csi(*tables, numeric=["income"], categorical=["channel"]) == from_frames
    with pytest.raises(ValueError, match=r"missing from reference or current data: \['nope'\]"):
        stability.csi(*tables, numeric=["nope"], categorical=[])
