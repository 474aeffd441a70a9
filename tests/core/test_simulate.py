"""Tests for the synthetic lender data in ml_platform_assets.core.simulate and core.population.

Pure in-memory checks against the built-in credit_default spec: no storage, no Dagster. The
learnability check trains a small single-threaded LightGBM model.
"""

from __future__ import annotations

import datetime as dt

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from ml_platform_assets.core.population import NEW_CUSTOMER_DAYS
from ml_platform_assets.core.simulate import (
    OUTCOME_DATE,
    RAMP_DAYS,
    SCENARIOS,
    DriftPlan,
    simulate_day,
    split_outcomes,
)
from ml_platform_assets.core.spec import BUILTIN_SPECS_DIR, ModelSpec, load_spec

DAY = dt.date(2026, 1, 5)  # a Monday
SPEC = load_spec(BUILTIN_SPECS_DIR / "credit_default.yaml")
RISKY = ["travel", "gaming", "electronics"]


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return simulate_day(SPEC, DAY, 200_000, seed=7)


def _spec_with(**changes) -> ModelSpec:
    data = SPEC.model_dump(mode="json")
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = data
        for key in parents:
            node = node[key]
        node[leaf] = value
    return ModelSpec.model_validate(data)


def test_same_inputs_give_the_same_frame():
    plan = DriftPlan("merchant_mix", DAY)
    first = simulate_day(SPEC, DAY, 5_000, seed=7, drift=plan)
    pd.testing.assert_frame_equal(first, simulate_day(SPEC, DAY, 5_000, seed=7, drift=plan))


def test_other_days_and_seeds_give_other_data():
    base = simulate_day(SPEC, DAY, 5_000, seed=7)
    next_day = simulate_day(SPEC, DAY + dt.timedelta(days=1), 5_000, seed=7)
    other_seed = simulate_day(SPEC, DAY, 5_000, seed=8)
    for other in (next_day, other_seed):
        assert not np.array_equal(base["annual_income"], other["annual_income"])
        assert not np.array_equal(base["is_bad"], other["is_bad"])


def test_columns_and_dtypes_follow_the_spec(big):
    expected = [
        SPEC.entity_id_column,
        SPEC.event_timestamp_column,
        *SPEC.features.numeric,
        *SPEC.features.categorical,
        *SPEC.protected_attributes,
        SPEC.target.column,
        OUTCOME_DATE,
    ]
    assert list(big.columns) == expected
    for name in [SPEC.entity_id_column, *SPEC.features.categorical, *SPEC.protected_attributes]:
        assert pd.api.types.is_string_dtype(big[name]), name
    for name in [*SPEC.features.numeric, SPEC.target.column]:
        assert big[name].dtype in (np.int64, np.float64), name
    assert big[SPEC.event_timestamp_column].dtype == "datetime64[ns]"
    assert big[OUTCOME_DATE].dtype == "datetime64[ns]"


def test_values_stay_inside_the_spec(big):
    assert not big.isna().any().any()
    for name, feature in SPEC.features.numeric.items():
        assert big[name].between(feature.min, feature.max).all(), name
    for name, feature in {**SPEC.features.categorical, **SPEC.protected_attributes}.items():
        assert big[name].isin(feature.values).all(), name
        assert big[name].nunique() == len(feature.values), name
    assert set(big["is_bad"].unique()) == {0, 1}
    applied = big[SPEC.event_timestamp_column]
    assert (applied.dt.date == DAY).all() and applied.is_monotonic_increasing
    assert (big["hour_of_day"] == applied.dt.hour).all()
    assert (big["is_weekend"] == 0).all()
    assert (simulate_day(SPEC, DAY + dt.timedelta(days=5), 10, seed=7)["is_weekend"] == 1).all()


def test_relationships_are_realistic(big):
    new = big["prior_loans_count"] == 0
    assert (big.loc[new, "days_since_last_loan"] == NEW_CUSTOMER_DAYS).all()
    assert (big["prior_loans_repaid"] <= big["prior_loans_count"]).all()
    assert (big["prior_delinquencies"] <= big["prior_loans_count"]).all()
    assert set(big["term_months"].unique()) == {1.5, 3.0, 6.0, 12.0, 24.0}
    assert big["bureau_score"].corr(big["bureau_delinquencies_24m"]) < -0.2
    assert big["loan_amount"].corr(big["cart_value"]) > 0.9
    assert np.log(big["annual_income"]).corr(np.log(big["cart_value"])) > 0.05
    worst_scores = big["bureau_score"] < big["bureau_score"].quantile(0.1)
    assert big.loc[worst_scores, "is_bad"].mean() > 2 * big["is_bad"].mean()


def test_ids_are_unique_across_days():
    ids = pd.concat(
        [simulate_day(SPEC, DAY + dt.timedelta(days=d), 20_000, seed=7) for d in (0, 1)]
    )[SPEC.entity_id_column]
    assert ids.is_unique and len(ids) == 40_000


def test_baseline_bad_rate(big):
    assert 0.05 <= big["is_bad"].mean() <= 0.10


def test_outcomes_arrive_after_the_maturity_lag(big):
    maturity = SPEC.windows.label_maturity_days
    outcome = big[OUTCOME_DATE]
    assert (outcome == outcome.dt.normalize()).all()
    lag = (outcome - big[SPEC.event_timestamp_column].dt.normalize()).dt.days
    bad = big["is_bad"] == 1
    assert (lag[~bad] == maturity).all()
    assert lag[bad].between(20, maturity).all() and lag[bad].nunique() > 5


def test_split_outcomes_separates_the_target(big):
    applications, outcomes = split_outcomes(big.head(1000), SPEC)
    assert SPEC.target.column not in applications and OUTCOME_DATE not in applications
    assert list(outcomes.columns) == [SPEC.entity_id_column, OUTCOME_DATE, SPEC.target.column]
    assert (applications[SPEC.entity_id_column] == outcomes[SPEC.entity_id_column]).all()


SHIFTS = {
    "income_shock": lambda f: -f["annual_income"].mean(),
    "merchant_mix": lambda f: f["merchant_category"].isin(RISKY).mean(),
    "bureau_shift": lambda f: -f["bureau_score"].mean(),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_shifts_data_from_its_start_only(scenario):
    plan = DriftPlan(scenario, DAY)
    before = DAY - dt.timedelta(days=1)
    baseline_before = simulate_day(SPEC, before, 20_000, seed=7)
    pd.testing.assert_frame_equal(
        simulate_day(SPEC, before, 20_000, seed=7, drift=plan), baseline_before
    )
    after = DAY + dt.timedelta(days=RAMP_DAYS + 2)
    baseline = simulate_day(SPEC, after, 100_000, seed=7)
    drifted = simulate_day(SPEC, after, 100_000, seed=7, drift=plan)
    assert SHIFTS[scenario](drifted) > SHIFTS[scenario](baseline)
    assert drifted["is_bad"].mean() > baseline["is_bad"].mean() + 0.01
    if scenario == "income_shock":
        assert drifted["debt_to_income"].mean() > baseline["debt_to_income"].mean()
    if scenario == "merchant_mix":
        assert drifted["cart_value"].mean() > baseline["cart_value"].mean()
    if scenario == "bureau_shift":
        for column in ("bureau_inquiries_6m", "bureau_utilization"):
            assert drifted[column].mean() > baseline[column].mean()


def test_scenario_ramps_in():
    plan = DriftPlan("income_shock", DAY)
    steps = [plan.intensity(DAY + dt.timedelta(days=d)) for d in range(-1, RAMP_DAYS + 1)]
    assert steps[0] == 0 and 0 < steps[1] < 1 and steps[-1] == 1
    assert steps == sorted(steps)


def test_unknown_scenario_lists_the_known_ones():
    with pytest.raises(ValueError, match="income_shock"):
        DriftPlan("alien_invasion", DAY)


def test_spec_asking_for_unknown_data_fails_with_its_name():
    numeric = {**SPEC.model_dump(mode="json")["features"]["numeric"], "shoe_size": {"min": 0}}
    with pytest.raises(ValueError, match="shoe_size"):
        simulate_day(_spec_with(features__numeric=numeric), DAY, 10, seed=7)
    as_number = {**numeric, "state": {"min": 0}}
    as_number.pop("shoe_size")
    with pytest.raises(ValueError, match="state"):
        simulate_day(_spec_with(features__numeric=as_number), DAY, 10, seed=7)
    protected = {"religion": {"values": ["a", "b"]}}
    with pytest.raises(ValueError, match="religion"):
        simulate_day(_spec_with(protected_attributes=protected), DAY, 10, seed=7)
    narrow = {"age_band": {"values": ["18-24", "25-34"]}}
    with pytest.raises(ValueError, match="age_band"):
        simulate_day(_spec_with(protected_attributes=narrow), DAY, 10, seed=7)


def test_target_is_learnable_out_of_time():
    def design(frame: pd.DataFrame) -> pd.DataFrame:
        features = frame[SPEC.raw_feature_columns].copy()
        for name, feature in SPEC.features.categorical.items():
            features[name] = pd.Categorical(features[name], categories=feature.values)
        return features

    train = pd.concat([simulate_day(SPEC, DAY + dt.timedelta(d), 15_000, seed=7) for d in range(3)])
    later = simulate_day(SPEC, DAY + dt.timedelta(days=40), 20_000, seed=7)
    params = {"objective": "binary", "num_leaves": 15, "min_data_in_leaf": 100}
    params |= {"learning_rate": 0.1, "num_threads": 1, "verbose": -1}
    booster = lgb.train(params, lgb.Dataset(design(train), train["is_bad"]), 100)
    auc = roc_auc_score(later["is_bad"], booster.predict(design(later)))
    assert auc > 0.7, auc
