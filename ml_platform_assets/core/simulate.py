"""Synthetic applications and outcomes for a buy-now-pay-later lender.

Each day is drawn from its own seeded generators (``core.population``), so any day can be
rebuilt on its own. Drift scenarios change the population from a given day on, ramping in over
``RAMP_DAYS``.

Column types: counts and flags are int64, amounts and ratios float64, categories pandas ``str``,
the event timestamp datetime64[ns] (naive UTC; its hour is ``hour_of_day``) and ``outcome_date``
datetime64[ns] at midnight: applied date + ``label_maturity_days`` for goods, 20 days up to that
for bads (a default is detected at 60 days past due).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.population import generate
from ml_platform_assets.core.spec import ModelSpec

SCENARIOS = ("income_shock", "merchant_mix", "bureau_shift")
RAMP_DAYS = 3
FIRST_BAD_LAG_DAYS = 20
OUTCOME_DATE = "outcome_date"

CATEGORIES = {
    "age_band": ("18-24", "25-34", "35-44", "45-54", "55-64", "65+"),
    "employment_status": ("employed", "self_employed", "student", "retired", "unemployed"),
    "housing_status": ("own", "mortgage", "rent", "family"),
    "state": ("CA", "TX", "FL", "NY", "IL", "PA", "OH", "GA", "NC", "MI", "other"),
    "device_type": ("ios", "android", "desktop", "tablet"),
    "channel": ("checkout", "app", "web", "partner"),
    "merchant_category": (
        *("electronics", "fashion", "home", "travel", "beauty", "sports", "gaming", "groceries"),
    ),
}
NUMERIC = (
    *("annual_income", "debt_to_income", "loan_amount", "term_months", "installment_amount"),
    *("down_payment_pct", "bureau_score", "bureau_inquiries_6m", "bureau_open_trades"),
    *("bureau_utilization", "bureau_oldest_trade_months", "bureau_delinquencies_24m"),
    *("prior_loans_count", "prior_loans_repaid", "prior_delinquencies", "max_days_past_due_prior"),
    *("days_since_last_loan", "account_age_days", "email_age_days", "phone_verified"),
    *("address_months", "employment_months", "cart_value", "cart_items", "hour_of_day"),
    *("is_weekend", "applications_7d", "avg_order_value_prior", "returns_rate_prior"),
    "credit_limit_requested",
)


@dataclass(frozen=True)
class DriftPlan:
    """A named population change that applies from ``start`` on."""

    scenario: str
    start: dt.date

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ValueError(f"unknown drift scenario {self.scenario!r}; known: {list(SCENARIOS)}")

    def intensity(self, day: dt.date) -> float:
        """0 before ``start``, then rising linearly to 1 over ``RAMP_DAYS`` days."""
        return float(np.clip(((day - self.start).days + 1) / RAMP_DAYS, 0.0, 1.0))


def _check_spec(spec: ModelSpec) -> None:
    """Fail early, naming the columns, when the spec wants data the simulator cannot make."""
    categorical = {**spec.features.categorical, **spec.protected_attributes}
    unknown = [name for name in spec.features.numeric if name not in NUMERIC]
    unknown += [name for name in categorical if name not in CATEGORIES]
    if unknown:
        raise ValueError(
            f"spec {spec.name!r}: the simulator does not generate {unknown}; it makes numeric "
            f"{list(NUMERIC)} and categorical {list(CATEGORIES)}"
        )
    for name, feature in categorical.items():
        missing = sorted(set(CATEGORIES[name]) - set(feature.values))
        if missing:
            raise ValueError(f"spec {spec.name!r}: {name} lacks simulated values {missing}")
    if spec.target.bad_value != 1:
        raise ValueError(f"spec {spec.name!r}: the simulator makes 0/1 targets with bad_value 1")


def simulate_day(
    spec: ModelSpec, day: dt.date, rows: int, *, seed: int, drift: DriftPlan | None = None
) -> pd.DataFrame:
    """One day of applications with the target and outcome_date columns attached.

    Args:
        spec: The model spec; its features and protected attributes pick the columns.
        day: The application date.
        rows: Number of applications.
        seed: Base seed, combined with the day so each day is reproducible on its own.
        drift: Optional scenario; days before its start are baseline.

    Returns:
        Id, timestamp, the spec's numeric then categorical features, protected attributes,
        target and ``outcome_date``; one row per application, in time order.

    Raises:
        ValueError: The spec names a column or value the simulator does not generate.
    """
    _check_spec(spec)
    shock = dict.fromkeys(SCENARIOS, 0.0)
    if drift is not None:
        shock[drift.scenario] = drift.intensity(day)
    c = generate(day, rows, seed, shock)
    digits = pc.utf8_lpad(pa.array(np.arange(rows)).cast(pa.string()), 7, "0")
    ids = pc.binary_join_element_wise(f"{day:%Y%m%d}-", digits, "")
    frame = {spec.entity_id_column: pd.Series(ids, dtype="str")}
    frame[spec.event_timestamp_column] = c["applied_at"]
    for name, feature in spec.features.numeric.items():
        frame[name] = _clip(c[name], feature.min, feature.max)
    for name in [*spec.features.categorical, *spec.protected_attributes]:
        frame[name] = pd.Series(pa.array(CATEGORIES[name]).take(c[name]), dtype="str")
    maturity = spec.windows.label_maturity_days
    bad_lag = c["rng"].integers(min(FIRST_BAD_LAG_DAYS, maturity), maturity + 1, rows)
    lag = np.where(c["is_bad"] == 1, bad_lag, maturity).astype("timedelta64[D]")
    frame[spec.target.column] = c["is_bad"]
    frame[OUTCOME_DATE] = (np.datetime64(day, "D") + lag).astype("datetime64[ns]")
    return pd.DataFrame(frame, copy=False)


def _clip(values: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
    """Keep values inside the spec's range without changing an integer column's dtype."""
    if values.dtype.kind == "i":
        info = np.iinfo(values.dtype)
        low = info.min if low is None else int(np.ceil(low))
        high = info.max if high is None else int(np.floor(high))
    low, high = -np.inf if low is None else low, np.inf if high is None else high
    return np.clip(values, low, high, out=values)  # in place: these arrays are ours alone


def split_outcomes(frame: pd.DataFrame, spec: ModelSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(applications without target/outcome_date, outcomes: entity id, outcome_date, target)."""
    outcomes = frame[[spec.entity_id_column, OUTCOME_DATE, spec.target.column]].copy()
    return frame.drop(columns=[spec.target.column, OUTCOME_DATE]), outcomes
