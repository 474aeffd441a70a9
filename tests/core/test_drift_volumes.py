"""Drift decisions (core/drift.py) at the volumes lenders send, 100 to 100,000 applications a day.

Calm days must stay below the spec's drift share threshold at every size, and a drifted day
must still be flagged where its size can show it. The reference is built as the platform builds
it: features of training days, sampled to at most ``DRIFT_REFERENCE_ROWS`` rows. The simulator
draws every day from one distribution (a day changes only its seeds, and its weekday only
``is_weekend``, which credit_default leaves out of drift), so later days without a drift
scenario are calm days of any size. Calm days here are days 30-37, after the reference's days
0-19; drift scenarios start on day 25 and are at full strength by then.

Measured with this set-up on days 30-129: at most one column of 38 was flagged on a calm day, on
2 of 100 days at 100 rows and 1 of 100 at 1,000 rows; none on 2 days of 100,000 rows. With
Evidently's distance tests at every size, calm 100-row days had 34-66 % of their columns flagged.
"""

import datetime as dt

import pandas as pd
import pytest

from ml_platform_assets.core.drift import FAMILY_ALPHA, P_VALUE_TESTS, measure_drift
from ml_platform_assets.core.features import build_features
from ml_platform_assets.core.simulate import DriftPlan, simulate_day
from ml_platform_assets.core.spec import load_specs
from ml_platform_assets.core.training_set import sample_rows
from ml_platform_assets.services.challengers import DRIFT_REFERENCE_ROWS

SPEC = load_specs()["credit_default"]
THRESHOLD = SPEC.drift.share_threshold
REFERENCE_DAYS, REFERENCE_ROWS_PER_DAY = range(20), 5_000
CALM_DAYS = range(30, 38)
DRIFT_START = 25
# Columns the income shock moves: incomes fall, so every ratio to income rises, and more
# applicants are out of work.
INCOME_COLUMNS = {"annual_income", "debt_to_income", "loan_to_income", "installment_to_income"}
SHOCK_COLUMNS = INCOME_COLUMNS | {"employment_status", "employment_months"}


def _features(day: int, rows: int, scenario: str | None = None) -> pd.DataFrame:
    date = SPEC.start_date + dt.timedelta(days=day)
    plan = (
        DriftPlan(scenario, SPEC.start_date + dt.timedelta(days=DRIFT_START)) if scenario else None
    )
    raw = simulate_day(SPEC, date, rows, seed=SPEC.data_source.seed, drift=plan)
    return build_features(raw, SPEC).to_pandas()


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    """The champion's reference as training keeps it: 100,000 training rows, 50,000 drawn."""
    days = [_features(day, REFERENCE_ROWS_PER_DAY) for day in REFERENCE_DAYS]
    return sample_rows(pd.concat(days, ignore_index=True), DRIFT_REFERENCE_ROWS)


def _drift(reference: pd.DataFrame, day: int, rows: int, scenario: str | None = None):
    current = _features(day, rows, scenario)
    return measure_drift(reference, current, SPEC, seed=SPEC.start_date.toordinal() + day)


@pytest.mark.parametrize(("rows", "days"), [(100, 8), (1_000, 8), (100_000, 2)])
def test_calm_days_stay_below_the_share_threshold_at_every_volume(reference, rows, days) -> None:
    assert THRESHOLD == 0.1 and len(SPEC.drift_columns) == 38
    for day in CALM_DAYS[:days]:
        result = _drift(reference, day, rows)
        assert result.share < THRESHOLD, (rows, day, result.drifted_columns)
        methods = {c.method for c in result.columns}
        if rows == 100:  # every distance would be as large as a real shift: p-value tests
            assert methods <= P_VALUE_TESTS
            tested = [c for c in result.columns if c.method != "chisquare"]
            assert {c.threshold for c in tested} == {FAMILY_ALPHA / 38}
        if rows == 100_000:  # Evidently's distance tests, as on every large day
            assert methods == {"wasserstein", "jensenshannon"}
            assert {c.threshold for c in result.columns} == {0.1}


@pytest.mark.parametrize(("rows", "days"), [(1_000, 4), (100_000, 1)])
def test_an_income_shock_is_flagged_from_a_thousand_rows(reference, rows, days) -> None:
    for day in CALM_DAYS[:days]:
        result = _drift(reference, day, rows, "income_shock")
        assert result.share >= THRESHOLD, (rows, day, result.drifted_columns)
        assert INCOME_COLUMNS <= set(result.drifted_columns) <= SHOCK_COLUMNS


def test_at_a_hundred_rows_only_a_broad_shift_crosses_the_threshold(reference) -> None:
    # A hundred applications show the income shock in its own columns on most days, but past the
    # corrected level in only 2-3 of 38 columns, under the 10 % share (measured: the share
    # reached it on 8 of 40 days). The merchant mix moves 5-9 columns and is flagged (39 of 40).
    shocked = [_drift(reference, day, 100, "income_shock") for day in CALM_DAYS]
    assert all(set(r.drifted_columns) <= SHOCK_COLUMNS for r in shocked)
    seen = [bool(INCOME_COLUMNS & set(r.drifted_columns)) for r in shocked]
    assert sum(seen) >= 6
    mixed = [_drift(reference, day, 100, "merchant_mix") for day in CALM_DAYS]
    assert sum(r.share >= THRESHOLD for r in mixed) >= 7
    assert all("merchant_category" in r.drifted_columns for r in mixed)
