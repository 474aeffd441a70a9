"""A files data source's days, delivered into the landing zone as the lender sent them.

Daily files (a ``{date}`` placeholder) land byte for byte; one file holding many days is split
on its timestamp column into business days. Outcomes come from their own files, or from the
applications' target column once they have matured.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core import layout
from ml_platform_assets.core.parsing import LandingFileError, number_format, read_delivery
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.spec_source import FilesSource
from ml_platform_assets.core.timestamps import business_times, timestamp_format
from ml_platform_assets.core.validation import require_columns
from ml_platform_assets.core.values import label_text
from ml_platform_assets.services.actors import current_actor
from ml_platform_assets.services.landing_zone import (
    Delivery,
    Progress,
    Redelivery,
    deliver_bytes,
    outcome_files,
    parquet_bytes,
)
from resources.object_store import ObjectStore


def _daily_files(pattern: str, days: list[dt.date]) -> dict[dt.date, Path]:
    paths = {day: Path(pattern.replace("{date}", day.isoformat())) for day in days}
    return {day: path for day, path in paths.items() if path.exists()}


def _split_by_day(
    path: Path, spec: ModelSpec, ts_col: str, days: list[dt.date], delivery: Delivery
) -> dict[dt.date, pa.Table]:
    """One file holding many days, split on its timestamp column by business day."""
    if not path.exists():
        raise LandingFileError(f"{path}: data source file does not exist")
    table = read_delivery(path.read_bytes(), str(path), spec)
    require_columns(table, [ts_col], str(path))
    fmt = spec.data_source.timestamp_formats.get(ts_col)
    if fmt is None and not pa.types.is_timestamp(table[ts_col].type):
        try:
            fmt = timestamp_format(table[ts_col], ts_col)
        except LandingFileError as exc:
            raise LandingFileError(f"{path}: {exc}") from exc
    stamps, _ = business_times(table[ts_col], spec.timezone, fmt, number_format(table))
    delivery.unassigned_rows += int(np.isnat(stamps).sum())
    day_of = stamps.astype("datetime64[D]")
    # Arrow keeps the file's metadata (headers found, number format) with each day's rows.
    return {
        day: table.filter(pa.array(day_of == np.datetime64(day, "D")))
        for day in sorted(set(days) & set(day_of[~np.isnat(day_of)].astype(dt.date).tolist()))
    }


def _land_kind(
    store: ObjectStore,
    spec: ModelSpec,
    kind: str,
    pattern: str,
    ts_col: str,
    days: list[dt.date],
    delivery: Delivery,
    redelivery: Redelivery | None,
    progress: Progress | None = None,
) -> dict[dt.date, pa.Table | pd.DataFrame]:
    """Deliver one kind of file; returns the rows read, per day."""
    frames: dict[dt.date, pa.Table | pd.DataFrame] = {}
    built = layout.raw_key if kind == "applications" else layout.outcomes_key

    def ingested(day: dt.date) -> bool:
        return store.exists(built(spec.name, day))

    if "{date}" in pattern:
        files = _daily_files(pattern, days)
        for done, (day, path) in enumerate(files.items(), 1):
            if path.suffix.lstrip(".") not in layout.LANDING_FORMATS:
                raise LandingFileError(f"{path}: unsupported file type (expected .csv or .parquet)")
            data = path.read_bytes()
            # Read before landing: a file that cannot be parsed is never delivered.
            frames[day] = read_delivery(data, str(path), spec)
            own = f"{spec.name}/landing/{kind}/{day.isoformat()}{path.suffix}"
            # The day in any format counts as delivered: a placeholder is parquet.
            keys = [own, *(k for k in layout.landing_keys(spec.name, kind, day) if k != own)]
            # As delivered, byte for byte.
            deliver_bytes(
                store,
                keys,
                data,
                str(path),
                delivery,
                redelivery,
                ingested=ingested,
                rows=len(frames[day]),
            )
            if progress:
                progress(day, done, len(files))
    else:
        frames = _split_by_day(Path(pattern), spec, ts_col, days, delivery)
        for done, (day, frame) in enumerate(frames.items(), 1):
            keys = layout.landing_keys(spec.name, kind, day)
            source = f"{pattern} (rows of {day})"
            data = parquet_bytes(frame)
            deliver_bytes(
                store, keys, data, source, delivery, redelivery, ingested=ingested, rows=len(frame)
            )
            if progress:
                progress(day, done, len(frames))
    return frames


def land_files(
    store: ObjectStore,
    spec: ModelSpec,
    first: dt.date,
    last: dt.date,
    redeliver: Collection[dt.date] = (),
    actor: str | None = None,
    reason: str = "",
    progress: Progress | None = None,
) -> Delivery:
    """Deliver a files data source's days ``first``..``last`` into the landing zone.

    The delivery ends on the source's last day of applications within that range, so a
    generous ``last`` never lands empty days after the data. Days in ``redeliver`` whose source
    file changed replace their landing copy (recorded with ``actor`` and ``reason``); any other
    changed day keeps its landing copy and is reported in ``Delivery.changed``.

    Raises:
        LandingFileError: no application data in the range, or a file cannot be read.
    """
    source = spec.data_source
    if not isinstance(source, FilesSource):
        raise ValueError(f"{spec.name}: data_source is {source.kind}, not files")
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    redelivery = (
        Redelivery(frozenset(redeliver), actor or current_actor(), reason) if redeliver else None
    )
    delivery = Delivery()
    applications = _land_kind(
        store,
        spec,
        "applications",
        source.applications,
        spec.event_timestamp_column,
        days,
        delivery,
        redelivery,
        progress,
    )
    if not applications:
        example = source.applications.replace("{date}", first.isoformat())
        raise LandingFileError(
            f"{source.applications}: no application data for {first}..{last} (looked for files "
            f"such as {example}: {{date}} stands for the day as YYYY-MM-DD)"
            if "{date}" in source.applications
            else f"{source.applications}: no application data for {first}..{last}"
        )
    delivery.rows = sum(len(f) for f in applications.values())
    last = delivery.last_day = max(applications)
    days = [day for day in days if day <= last]
    delivery.missing_days = sorted(set(days) - set(applications))
    delivery.empty_days = sorted(day for day, rows in applications.items() if len(rows) == 0)
    if source.outcomes:
        found = _land_kind(
            store,
            spec,
            "outcomes",
            source.outcomes,
            source.outcome_date_column,
            days,
            delivery,
            redelivery,
        )
        columns = [spec.entity_id_column, source.outcome_date_column, spec.target.column]
        delivery.missing_outcome_days = sorted(set(days) - set(found))
        for day in delivery.missing_outcome_days:
            keys = layout.landing_keys(spec.name, "outcomes", day)
            empty = parquet_bytes(pd.DataFrame(columns=columns))
            none_known = f"{source.outcomes} (no file: none known)"
            deliver_bytes(store, keys, empty, none_known, delivery, placeholder=True)
    else:
        lag = dt.timedelta(days=spec.windows.label_maturity_days)
        shifted = (
            Redelivery(frozenset(d + lag for d in redelivery.days), redelivery.actor, reason)
            if redelivery
            else None
        )
        late = _late_days(store, spec, delivery, lag)
        matured = _matured_targets(applications, spec, last)
        where = f"target column {spec.target.column} of {source.applications}"
        outcome_files(store, spec, matured, days, delivery, where, shifted, late)
    return delivery


def _late_days(
    store: ObjectStore, spec: ModelSpec, delivery: Delivery, lag: dt.timedelta
) -> Redelivery | None:
    """The outcome days to derive again because their application day arrived late: a day
    landed now for the first time although it was ingested before without a file, or one
    whose file without rows was just replaced by one with."""
    new_days = [
        parsed[2]
        for key in [*delivery.written, *delivery.filled]
        if (parsed := layout.parse_landing_key(key)) and parsed[1] == "applications"
    ]
    late = [day for day in new_days if store.exists(layout.raw_key(spec.name, day))]
    for day in late:
        matured = day + lag
        known = any(store.exists(k) for k in layout.landing_keys(spec.name, "outcomes", matured))
        delivery.late_days[day] = matured if known else None
    redo = frozenset(d for d in delivery.late_days.values() if d is not None)
    if not redo:
        return None
    reason = "applications that arrived late bring the outcomes derived from them"
    return Redelivery(redo, current_actor(), reason)


def _matured_targets(
    applications: dict[dt.date, pa.Table | pd.DataFrame], spec: ModelSpec, last: dt.date
) -> pd.DataFrame:
    """Outcomes from a target column in the application files, known at label maturity."""
    lag = pd.Timedelta(days=spec.windows.label_maturity_days)
    id_col, target = spec.entity_id_column, spec.target.column
    parts = []
    for day, rows in sorted(applications.items()):
        require_columns(rows, [id_col, target], f"applications of {day}")
        table = rows if isinstance(rows, pa.Table) else pa.Table.from_pandas(rows)
        parts.append(
            pd.DataFrame(
                {
                    id_col: pc.cast(table[id_col], pa.string()).to_pandas(),
                    "outcome_date": pd.Timestamp(day) + lag,
                    target: label_text(table[target]).to_pandas(),
                }
            )
        )
    outcomes = pd.concat(parts, ignore_index=True)
    return outcomes[outcomes["outcome_date"] <= pd.Timestamp(last)]
