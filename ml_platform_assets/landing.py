"""Delivery into the landing zone: synthetic days from the simulator, or a spec's own files.

A delivered file is never modified: a day already in the landing zone is kept as it is, and
only days not yet delivered are written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ml_platform_assets.core import layout
from ml_platform_assets.core.simulate import DriftPlan, simulate_day, split_outcomes
from ml_platform_assets.core.spec import FilesSource, ModelSpec
from ml_platform_assets.core.validation import LandingFileError, read_table, require_columns
from resources.object_store import ObjectStore


@dataclass
class Delivery:
    """What a delivery wrote and what it found already delivered."""

    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    rows: int = 0
    last_day: dt.date | None = None


def _deliver(store: ObjectStore, keys: list[str], frame: pd.DataFrame, delivery: Delivery) -> None:
    """Write ``frame`` to ``keys[0]`` unless the day was delivered under any of ``keys``."""
    present = next((k for k in keys if store.exists(k)), None)
    if present is not None:
        delivery.kept.append(present)
        return
    store.put_parquet(keys[0], frame)
    delivery.written.append(keys[0])


def _outcome_files(
    store: ObjectStore, spec: ModelSpec, outcomes: pd.DataFrame, days: list[dt.date], d: Delivery
) -> None:
    """One outcome file per day, empty on days when nothing matured."""
    by_day = {k.date(): g for k, g in outcomes.groupby(outcomes["outcome_date"].dt.normalize())}
    empty = outcomes.iloc[0:0]
    for day in days:
        frame = by_day.get(day, empty).reset_index(drop=True)
        _deliver(store, layout.landing_keys(spec.name, "outcomes", day), frame, d)


def land_simulated(
    store: ObjectStore,
    spec: ModelSpec,
    days: int,
    rows_per_day: int,
    drift: DriftPlan | None = None,
) -> Delivery:
    """Deliver ``days`` days from the spec's start; outcomes only once known by the last day."""
    seed = getattr(spec.data_source, "seed", 7)
    calendar = [spec.start_date + dt.timedelta(days=i) for i in range(days)]
    delivery, outcomes = Delivery(), []
    for day in calendar:
        applications, known = split_outcomes(
            simulate_day(spec, day, rows_per_day, seed=seed, drift=drift), spec
        )
        _deliver(store, layout.landing_keys(spec.name, "applications", day), applications, delivery)
        delivery.rows += len(applications)
        outcomes.append(known)
    outcomes = pd.concat(outcomes, ignore_index=True)
    outcomes = outcomes[outcomes["outcome_date"] <= pd.Timestamp(calendar[-1])]
    _outcome_files(store, spec, outcomes, calendar, delivery)
    return delivery


def _deliver_bytes(store: ObjectStore, key: str, data: bytes, delivery: Delivery) -> None:
    if store.exists(key):
        delivery.kept.append(key)
        return
    store.put_bytes(key, data)
    delivery.written.append(key)


def _daily_files(pattern: str, days: list[dt.date]) -> dict[dt.date, Path]:
    paths = {day: Path(pattern.replace("{date}", day.isoformat())) for day in days}
    return {day: path for day, path in paths.items() if path.exists()}


def _split_by_day(path: Path, ts_col: str, days: list[dt.date]) -> dict[dt.date, pd.DataFrame]:
    """One file holding many days, split on its timestamp column."""
    if not path.exists():
        raise LandingFileError(f"{path}: data source file does not exist")
    frame = read_table(path.read_bytes(), str(path)).to_pandas()
    require_columns(frame, [ts_col], str(path))
    stamps = pd.to_datetime(frame[ts_col], errors="coerce", utc=True).dt.tz_localize(None)
    wanted = set(days)
    return {
        day: part.reset_index(drop=True)
        for day, part in frame.groupby(stamps.dt.date.to_numpy())
        if day in wanted
    }


def _land_kind(
    store: ObjectStore,
    spec: ModelSpec,
    kind: str,
    pattern: str,
    ts_col: str,
    days: list[dt.date],
    delivery: Delivery,
) -> dict[dt.date, pd.DataFrame]:
    """Deliver one kind of file; returns the frames read, per day."""
    frames = {}
    if "{date}" in pattern:
        for day, path in _daily_files(pattern, days).items():
            key = f"{spec.name}/landing/{kind}/{day.isoformat()}{path.suffix}"
            data = path.read_bytes()
            _deliver_bytes(store, key, data, delivery)  # as delivered, byte for byte
            frames[day] = read_table(data, str(path)).to_pandas()
    else:
        frames = _split_by_day(Path(pattern), ts_col, days)
        for day, frame in frames.items():
            _deliver(store, layout.landing_keys(spec.name, kind, day), frame, delivery)
    return frames


def land_files(store: ObjectStore, spec: ModelSpec, first: dt.date, last: dt.date) -> Delivery:
    """Deliver a files data source's days ``first``..``last`` into the landing zone.

    The delivery ends on the source's last day of applications within that range, so a
    generous ``last`` never lands empty days after the data.
    """
    source = spec.data_source
    if not isinstance(source, FilesSource):
        raise ValueError(f"{spec.name}: data_source is {source.kind}, not files")
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    delivery = Delivery()
    applications = _land_kind(
        store,
        spec,
        "applications",
        source.applications,
        spec.event_timestamp_column,
        days,
        delivery,
    )
    if not applications:
        raise LandingFileError(f"{source.applications}: no application data for {first}..{last}")
    delivery.rows = sum(len(f) for f in applications.values())
    last = delivery.last_day = max(applications)
    days = [day for day in days if day <= last]
    if source.outcomes:
        found = _land_kind(
            store, spec, "outcomes", source.outcomes, source.outcome_date_column, days, delivery
        )
        columns = [spec.entity_id_column, source.outcome_date_column, spec.target.column]
        for day in sorted(set(days) - set(found)):
            keys = layout.landing_keys(spec.name, "outcomes", day)
            _deliver(store, keys, pd.DataFrame(columns=columns), delivery)
    else:
        _outcome_files(store, spec, _matured_targets(applications, spec, last), days, delivery)
    return delivery


def _matured_targets(
    applications: dict[dt.date, pd.DataFrame], spec: ModelSpec, last: dt.date
) -> pd.DataFrame:
    """Outcomes from a target column in the application files, known at label maturity."""
    lag = pd.Timedelta(days=spec.windows.label_maturity_days)
    parts = []
    for day, frame in applications.items():
        name = f"applications of {day}"
        require_columns(frame, [spec.entity_id_column, spec.target.column], name)
        parts.append(
            pd.DataFrame(
                {
                    spec.entity_id_column: frame[spec.entity_id_column].to_numpy(),
                    "outcome_date": pd.Timestamp(day) + lag,
                    spec.target.column: frame[spec.target.column].to_numpy(),
                }
            )
        )
    outcomes = pd.concat(parts, ignore_index=True)
    return outcomes[outcomes["outcome_date"] <= pd.Timestamp(last)]
