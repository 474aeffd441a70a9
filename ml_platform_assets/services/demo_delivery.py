"""Synthetic days of a pay-over-time lender, delivered into the landing zone (the demo)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ml_platform_assets.core import layout
from ml_platform_assets.core.simulate import DriftPlan, simulate_day, split_outcomes
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.services.landing_zone import (
    Delivery,
    Progress,
    deliver_bytes,
    outcome_files,
    parquet_bytes,
)
from resources.object_store import ObjectStore


def land_simulated(
    store: ObjectStore,
    spec: ModelSpec,
    days: int,
    rows_per_day: int,
    drift: DriftPlan | None = None,
    progress: Progress | None = None,
) -> Delivery:
    """Deliver ``days`` days from the spec's start; outcomes only once known by the last day."""
    seed = getattr(spec.data_source, "seed", 7)
    calendar = [spec.start_date + dt.timedelta(days=i) for i in range(days)]
    delivery, outcomes = Delivery(), []
    source = f"simulator (seed {seed})"
    for day in calendar:
        applications, known = split_outcomes(
            simulate_day(spec, day, rows_per_day, seed=seed, drift=drift), spec
        )
        keys = layout.landing_keys(spec.name, "applications", day)
        deliver_bytes(store, keys, parquet_bytes(applications), source, delivery)
        delivery.rows += len(applications)
        outcomes.append(known)
        if progress:
            progress(day, len(outcomes), days)
    outcomes = pd.concat(outcomes, ignore_index=True)
    outcomes = outcomes[outcomes["outcome_date"] <= pd.Timestamp(calendar[-1])]
    outcome_files(store, spec, outcomes, calendar, delivery, source)
    return delivery
