"""Drift measurement as plain functions (core.drift, core.drift_noise): no Dagster, no
storage."""

import json

import numpy as np
import pandas as pd
import pytest

from ml_platform_assets.core import drift as drift_module
from ml_platform_assets.core import drift_noise
from ml_platform_assets.core.drift import measure_drift
from ml_platform_assets.core.drift_noise import error_bound, null_noise, sample_indices
from tests.drift_frames import COLUMNS, SPEC, drift_frame, income_cut_days
from tests.platforms import small_spec


def _evidently_scores(reference, current, categorical: list[str], methods=None) -> dict:
    """Each column's score from Evidently's own ValueDrift metric (optionally with a method)."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    definition = DataDefinition(
        numerical_columns=[c for c in COLUMNS if c not in categorical],
        categorical_columns=categorical,
    )
    metrics = [
        ValueDrift(column=c) if methods is None else ValueDrift(column=c, **methods[c])
        for c in COLUMNS
    ]
    snapshot = Report(metrics).run(
        current_data=Dataset.from_pandas(current, data_definition=definition),
        reference_data=Dataset.from_pandas(reference, data_definition=definition),
    )
    return {m["config"]["column"]: m["value"] for m in snapshot.dict()["metrics"]}


def test_on_large_samples_scores_are_evidently_value_drift_scores() -> None:
    reference, current = (
        drift_frame(20_000, 1),
        drift_frame(15_000, 2, income_scale=0.8, other_state=0.6),
    )
    result = measure_drift(reference, current, SPEC, columns=COLUMNS)
    expected = _evidently_scores(reference, current, ["state"])
    assert {c.column: c.score for c in result.columns} == pytest.approx(expected, abs=1e-12)
    assert [c.method for c in result.columns] == [
        "wasserstein", "wasserstein", "jensenshannon", "jensenshannon"
    ]  # fmt: skip
    assert [c.threshold for c in result.columns] == [0.1] * 4
    assert result.drifted_columns == ["annual_income", "state"] and result.share == 0.5
    assert all(c.exact and c.error_bound == 0 for c in result.columns)
    assert all(c.noise <= drift_module.MAX_NOISE_SHARE * c.threshold for c in result.columns)


def test_on_a_small_day_columns_get_evidently_hypothesis_tests_at_a_corrected_level() -> None:
    reference, current = (
        drift_frame(5_000, 1),
        drift_frame(150, 2, income_scale=0.7, other_state=0.6),
    )
    result = measure_drift(reference, current, SPEC, columns=COLUMNS)
    assert [c.method for c in result.columns] == ["ks", "ks", "z", "chisquare"]
    level = drift_noise.chisquare_level(0.05 / 4, 3, (5_000, 150))  # for the state's 3 levels
    assert [c.threshold for c in result.columns] == pytest.approx([0.05 / 4] * 3 + [level])
    # The same tests through Evidently's own metric (its Z-test is registered for categories,
    # so the 0/1 flag is declared one there).
    methods = {c.column: {"method": c.method, "threshold": c.threshold} for c in result.columns}
    expected = _evidently_scores(reference, current, ["phone_verified", "state"], methods)
    assert {c.column: c.score for c in result.columns} == pytest.approx(expected, abs=1e-12)
    assert result.drifted_columns == ["annual_income", "state"]  # p-values below the level
    by_column = {c.column: c for c in result.columns}
    assert by_column["annual_income"].score < 0.05 / 4 < by_column["bureau_score"].score
    assert by_column["annual_income"].severity > 1 > by_column["bureau_score"].severity


@pytest.mark.parametrize("rows", [30, 300, 3_000, 30_000])
def test_the_test_follows_the_calm_day_noise_at_both_sizes(rows: int) -> None:
    reference, current = drift_frame(20_000, 3), drift_frame(rows, 4)
    result = measure_drift(reference, current, SPEC, columns=COLUMNS)
    for c in result.columns:
        ref, cur = reference[c.column], current[c.column]
        levels = c.kind == "categorical" or ref.nunique() <= 5
        distance = "jensenshannon" if levels else "wasserstein"
        assert c.noise == pytest.approx(
            drift_noise.null_noise(distance, ref, cur, (len(ref), len(cur)))
        )
        kept = c.noise <= drift_module.MAX_NOISE_SHARE * 0.1
        assert (c.method == distance) is kept
        assert c.method in (distance, "ks", "chisquare", "z")
    assert not result.drifted_columns  # both sides are drawn from one distribution
    methods = [c.method for c in result.columns]
    if rows <= 30:
        assert methods == ["ks", "ks", "z", "chisquare"]
    if rows >= 30_000:
        assert methods == ["wasserstein", "wasserstein", "jensenshannon", "jensenshannon"]


@pytest.mark.parametrize("method", ["wasserstein", "jensenshannon"])
def test_null_noise_is_the_expected_calm_distance(method: str) -> None:
    from evidently.legacy.calculations.stattests.registry import get_stattest
    from evidently.legacy.core import ColumnType

    rng = np.random.default_rng(0)
    draw = {
        "wasserstein": lambda n: pd.Series(rng.lognormal(11, 0.5, n)),
        "jensenshannon": lambda n: pd.Series(rng.choice(list("abcdef"), n)),
    }[method]
    kind = ColumnType.Numerical if method == "wasserstein" else ColumnType.Categorical
    reference = draw(20_000)
    test = get_stattest(reference, reference, kind, method)
    scores, noises = [], []
    for _ in range(30):
        current = draw(500)
        scores.append(test(reference, current, kind, None).drift_score)
        noises.append(drift_noise.null_noise(method, reference, current, (20_000, 500)))
    spread = 1 / np.sqrt(20_000) + 1 / np.sqrt(500)
    if method == "jensenshannon":
        assert noises[0] == pytest.approx(np.sqrt(5 / 8) * spread)
    assert np.mean(scores) <= np.mean(noises) and max(scores) < 3 * min(noises)


def test_samples_keep_the_decisions_and_state_their_error_bound() -> None:
    reference, current = drift_frame(60_000, 3), drift_frame(60_000, 4, income_scale=0.8)
    full = measure_drift(reference, current, SPEC, columns=COLUMNS, sample_rows=10**9)
    sampled = measure_drift(reference, current, SPEC, columns=COLUMNS, sample_rows=20_000)
    assert sampled.rows_compared == (20_000, 20_000) and sampled.rows_current == 60_000
    assert sampled.drifted_columns == full.drifted_columns == ["annual_income"]
    for s, f in zip(sampled.columns, full.columns, strict=True):
        assert not s.exact and 0 < s.error_bound < 0.03
        assert abs(s.score - f.score) <= drift_module.MARGIN * s.error_bound


def test_a_score_too_close_to_its_threshold_is_recomputed_on_all_rows(monkeypatch) -> None:
    reference, current = drift_frame(20_000, 5), drift_frame(20_000, 6)
    monkeypatch.setattr(drift_module, "MARGIN", 1e6)  # every sampled score counts as close
    result = measure_drift(reference, current, SPEC, columns=COLUMNS, sample_rows=2_000)
    exact = measure_drift(reference, current, SPEC, columns=COLUMNS, sample_rows=10**9)
    assert all(c.exact for c in result.columns)
    assert [c.score for c in result.columns] == [c.score for c in exact.columns]


def test_the_stat_test_is_chosen_as_on_all_rows() -> None:
    # Six distinct values, one of them rare: a small sample sees five, which would switch
    # Evidently from Wasserstein to Jensen-Shannon; the choice follows all rows instead.
    values = np.r_[np.tile(np.arange(5.0), 4_000), [5.0] * 3]
    frame = pd.DataFrame({"bureau_score": values})
    result = measure_drift(frame, frame, SPEC, columns=["bureau_score"], sample_rows=1_500)
    assert result.columns[0].method == "wasserstein"


def test_a_p_value_from_samples_is_always_recomputed_on_all_rows() -> None:
    # A small reference keeps the calm-day noise high even on a large day: hypothesis tests,
    # whose p-values have no sampling bound, so each sampled one is redone on all rows.
    reference, current = drift_frame(200, 11), drift_frame(20_000, 12, income_scale=0.8)
    sampled = measure_drift(reference, current, SPEC, columns=COLUMNS, sample_rows=1_000)
    exact = measure_drift(reference, current, SPEC, columns=COLUMNS, sample_rows=10**9)
    tested = [c for c in sampled.columns if c.method in drift_module.P_VALUE_TESTS]
    assert [c.column for c in tested] == ["annual_income", "bureau_score", "state"]
    assert all(c.exact and c.error_bound == 0 for c in tested)
    assert [c.score for c in tested] == [
        c.score for c in exact.columns if c.method in drift_module.P_VALUE_TESTS
    ]
    assert sampled.drifted_columns == exact.drifted_columns == ["annual_income"]


def test_the_chi_square_level_holds_the_calm_false_alarm_rate_for_unequal_sizes() -> None:
    # Evidently's chi-square takes the reference's shares as exact; with a reference only twice
    # the day's size its p-value flags a calm column about 18 % of the time at the 5 % level.
    from evidently.legacy.calculations.stattests import chi_stat_test
    from evidently.legacy.core import ColumnType

    rng, shares = np.random.default_rng(0), [0.4, 0.25, 0.15, 0.12, 0.08]
    level = drift_noise.chisquare_level(0.05, 5, (2_000, 1_000))
    p_values = np.array(
        [
            chi_stat_test(
                pd.Series(rng.choice(list("abcde"), 2_000, p=shares)),
                pd.Series(rng.choice(list("abcde"), 1_000, p=shares)),
                ColumnType.Categorical,
                0.05,
            ).drift_score
            for _ in range(400)
        ]
    )
    assert (p_values < 0.05).mean() > 0.12
    assert (p_values < level).mean() < 0.085  # 5 % expected; 400 draws
    assert drift_noise.chisquare_level(0.05, 5, (10**9, 1_000)) == pytest.approx(0.05, rel=1e-3)


@pytest.mark.parametrize(
    ("method", "expected"),
    [("wasserstein", (0.03, 0.06)), ("jensenshannon", (0.05, 0.1)), ("psi", (np.inf, np.inf))],
)
def test_error_bound_by_method(method: str, expected: tuple[float, float]) -> None:
    values = pd.Series(np.random.default_rng(0).normal(0, 1, 5_000).round(1))
    bound = error_bound(method, values, values, (100_000, 100_000))
    assert expected[0] <= bound <= expected[1]
    assert error_bound(method, values, values, (5_000, 5_000)) == 0


def test_a_vanished_column_drifts_and_an_unseen_one_does_not() -> None:
    reference, current = drift_frame(2000, 7), drift_frame(2000, 8)
    current["annual_income"] = np.nan
    reference["bureau_score"] = np.nan
    by_column = {
        c.column: c for c in measure_drift(reference, current, SPEC, columns=COLUMNS).columns
    }
    assert by_column["annual_income"].drifted and by_column["annual_income"].score is None
    assert by_column["annual_income"].method == "no current values"
    assert not by_column["bureau_score"].drifted
    assert by_column["bureau_score"].method == "no reference values"


def test_several_columns_without_values_on_a_day_each_count_as_drifted() -> None:
    reference, current = drift_frame(2000, 7), drift_frame(300, 8)
    current["bureau_score"] = np.inf  # no finite value is no value
    current["state"] = None
    current["phone_verified"] = pd.Series([None] * len(current), dtype=object)
    result = measure_drift(reference, current, SPEC, columns=COLUMNS)
    assert result.columns_without_values == ["bureau_score", "phone_verified", "state"]
    assert result.drifted_columns == ["bureau_score", "phone_verified", "state"]
    record = json.loads(result.to_json())
    assert record["columns_without_values"] == result.columns_without_values
    empty = [c for c in record["columns"] if c["column"] in result.columns_without_values]
    assert all(c["score"] is None and c["method"] == "no current values" for c in empty)
    assert all(c.severity == np.inf for c in result.columns if c.score is None)


@pytest.mark.parametrize(
    ("reference", "current", "problem"),
    [
        (drift_frame(10, 0), drift_frame(10, 0).drop(columns="state"), "current rows lack state"),
        (drift_frame(10, 0).iloc[0:0], drift_frame(10, 0), "reference rows are empty"),
    ],
)
def test_unusable_input_is_named(reference, current, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        measure_drift(reference, current, SPEC, columns=COLUMNS)


def test_sample_indices_are_bounded_sorted_and_reproducible() -> None:
    assert sample_indices(10, 20, 0) is None
    picked = sample_indices(1_000, 100, 3)
    assert len(picked) == 100 == len(set(picked)) and (np.diff(picked) > 0).all()
    assert (picked == sample_indices(1_000, 100, 3)).all()


def test_result_json() -> None:
    reference, current = income_cut_days()
    result = measure_drift(reference, current, SPEC)
    record = json.loads(result.to_json())
    assert (
        record["drifted_columns"] == result.drifted_columns
        and "annual_income" in record["drifted_columns"]
    )
    assert [c["column"] for c in record["columns"]] == SPEC.drift_columns
    assert "is_weekend" not in SPEC.drift_columns


def test_a_spread_that_overflows_hands_the_column_to_the_rank_test() -> None:
    """One 1e300 income in the reference makes its standard deviation infinite: a normed
    Wasserstein distance would then read 0 for any day, so K-S decides instead."""
    ref = pd.Series(np.r_[np.random.default_rng(1).lognormal(10, 0.5, 5000), 1e300])
    cur = pd.Series(np.random.default_rng(2).lognormal(11, 0.5, 5000))  # clearly shifted
    assert null_noise("wasserstein", ref, cur, (len(ref), len(cur))) == 1.0
    frame = lambda s: pd.DataFrame({"annual_income": s})  # noqa: E731
    spec = small_spec()
    [column] = measure_drift(frame(ref), frame(cur), spec, columns=["annual_income"]).columns
    assert column.method == "ks" and column.drifted


def test_the_order_of_the_reference_rows_changes_no_score() -> None:
    # The reference's numbers are sorted once per column and reused by every test: shuffling
    # its rows (or handing them over sorted) must leave each score as it was, up to rounding.
    reference, current = drift_frame(3_000, 21), drift_frame(1_500, 22, income_scale=1.1)
    shuffled = reference.sample(frac=1.0, random_state=3).reset_index(drop=True)
    ordered = reference.sort_values("annual_income").reset_index(drop=True)
    results = [
        measure_drift(frame, current, SPEC, columns=COLUMNS)
        for frame in (reference, shuffled, ordered)
    ]
    for other in results[1:]:
        assert other.drifted_columns == results[0].drifted_columns
        for a, b in zip(other.columns, results[0].columns, strict=True):
            assert a.method == b.method
            assert a.score == pytest.approx(b.score, rel=1e-12)
            assert a.noise == pytest.approx(b.noise, rel=1e-12)


def test_missing_values_of_nullable_and_infinite_numbers_are_left_out() -> None:
    # Nullable integers (pandas' Int64, as a parquet column with nulls may arrive) and
    # infinities are dropped before scoring, as Evidently drops missing values.
    reference, current = drift_frame(2_000, 31), drift_frame(2_000, 32)
    with_gaps = reference.copy()
    with_gaps["bureau_score"] = with_gaps["bureau_score"].astype("Int64")
    with_gaps.loc[::4, "bureau_score"] = pd.NA
    with_gaps.loc[::5, "annual_income"] = np.inf
    dropped = reference.drop(index=with_gaps.index[::4])
    gapped = measure_drift(with_gaps, current, SPEC, columns=["bureau_score", "annual_income"])
    income_only = reference.drop(index=with_gaps.index[::5])
    by_column = {c.column: c for c in gapped.columns}
    clean_score = measure_drift(dropped, current, SPEC, columns=["bureau_score"]).columns[0]
    clean_income = measure_drift(income_only, current, SPEC, columns=["annual_income"]).columns[0]
    assert by_column["bureau_score"].score == pytest.approx(clean_score.score, rel=1e-12)
    assert by_column["annual_income"].score == pytest.approx(clean_income.score, rel=1e-12)
