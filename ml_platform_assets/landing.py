"""Delivery into the landing zone: synthetic days from the simulator, or a spec's own files.

A delivered file is never modified: a day already in the landing zone is kept as it is, and
only days not yet delivered are written. A lender who corrects a source file redelivers that
day on purpose (``redeliver``): the old landing copy is kept under ``replaced/`` and the
replacement is recorded (old and new sha256, who, when, why) in the day's delivery record,
``<model>/landing/<kind>/<day>.delivery.json``, which also names the user's source file so that
every later message can quote it.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import io
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ml_platform_assets.core import layout
from ml_platform_assets.core.parsing import LandingFileError, read_delivery
from ml_platform_assets.core.simulate import DriftPlan, simulate_day, split_outcomes
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.spec_source import FilesSource
from ml_platform_assets.core.timestamps import business_times, timestamp_format
from ml_platform_assets.core.validation import require_columns
from ml_platform_assets.core.values import label_text
from resources.object_store import ObjectNotFound, ObjectStore


@dataclass
class Delivery:
    """What a delivery wrote, kept, replaced, and found missing or changed."""

    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    # Days whose source file differs from the landing copy that was kept.
    changed: dict[dt.date, str] = field(default_factory=dict)
    missing_days: list[dt.date] = field(default_factory=list)
    unassigned_rows: int = 0  # rows of a multi-day file without a readable timestamp
    rows: int = 0
    last_day: dt.date | None = None


# Called after each day is delivered: (day, days done, days to deliver).
Progress = Callable[[dt.date, int, int], None]


@dataclass(frozen=True)
class Redelivery:
    """Days to replace on purpose, and the record's who and why."""

    days: frozenset[dt.date]
    actor: str
    reason: str


def current_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def delivery_record(store: ObjectStore, model: str, kind: str, day: dt.date) -> dict | None:
    """The day's delivery record, or None for a day delivered before records existed."""
    try:
        return store.get_json(layout.delivery_record_key(model, kind, day))
    except ObjectNotFound:
        return None


def replacement_records(store: ObjectStore, delivery: Delivery) -> list[dict]:
    """The delivery record of each day this delivery replaced (``delivery.replaced``), each
    naming the new file's sha256 and, under ``replaces``, the copy kept and why."""
    records = []
    for key in delivery.replaced:
        model, kind, day = _landing_parts(key)
        record = delivery_record(store, model, kind, day)
        if record is not None:
            records.append(record)
    return records


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _deliver_bytes(
    store: ObjectStore,
    keys: list[str],
    data: bytes,
    source: str,
    delivery: Delivery,
    redelivery: Redelivery | None = None,
    derived: bool = False,
    ingested: Callable[[dt.date], bool] | None = None,
) -> None:
    """Write ``data`` to ``keys[0]`` unless the day was delivered under any of ``keys``.

    ``keys`` are a day's candidate landing keys (``layout.landing_keys``). A day already
    delivered with other content is replaced only when it is in ``redelivery``. A ``derived``
    file (outcomes made from the applications' target column) follows its applications, so
    its changes are not reported on their own. A day that ``ingested`` says was never ingested
    is replaced without asking: nothing was built from it (e.g. it was refused), so a corrected
    file simply takes its place, and the replacement is recorded all the same.
    """
    model, kind, day = _landing_parts(keys[0])
    sha = hashlib.sha256(data).hexdigest()
    present = next((k for k in keys if store.exists(k)), None)
    record = {
        "model": model,
        "kind": kind,
        "day": day.isoformat(),
        "key": keys[0],
        "source": source,
        "sha256": sha,
        "size": len(data),
        "delivered_at": _now(),
        "delivered_by": redelivery.actor if redelivery else current_actor(),
        "replaces": [],
    }
    if present is not None:
        previous = delivery_record(store, model, kind, day)
        # The record's checksum spares reading the file; days landed before records existed
        # are hashed.
        old_sha = (previous or {}).get("sha256") or hashlib.sha256(
            store.get_bytes(present)
        ).hexdigest()
        if old_sha != sha and ingested is not None and not ingested(day):
            reason = "the delivered file was never ingested; the corrected file replaces it"
            redelivery = Redelivery(frozenset({day}), current_actor(), reason)
        if old_sha == sha or redelivery is None or day not in redelivery.days:
            delivery.kept.append(present)
            if old_sha != sha and not derived:
                delivery.changed[day] = source
            return
        previous = previous or {"key": present, "sha256": old_sha}
        ext = present.rsplit(".", 1)[-1]
        kept_at = layout.replaced_landing_key(model, kind, day, old_sha, ext)
        store.put_bytes(kept_at, store.get_bytes(present))
        history = previous.pop("replaces", [])
        record["replaces"] = [
            *history,
            previous
            | {
                "replaced_at": record["delivered_at"],
                "replaced_by": redelivery.actor,
                "reason": redelivery.reason,
                "kept_at": kept_at,
            },
        ]
        if present != keys[0]:
            store.delete(present)
        delivery.replaced.append(keys[0])
    else:
        delivery.written.append(keys[0])
    # The record goes first: a landing file never exists without the source it came from.
    store.put_json(layout.delivery_record_key(model, kind, day), record)
    store.put_bytes(keys[0], data)


def landing_days(keys: list[str]) -> list[dt.date]:
    """The application days among landing keys, in order (outcome files are bookkeeping)."""
    return sorted({_landing_parts(k)[2] for k in keys if "/landing/applications/" in k})


def _landing_parts(key: str) -> tuple[str, str, dt.date]:
    """(model, kind, day) of ``<model>/landing/<kind>/<YYYY-MM-DD>.<ext>``."""
    model, rest = key.split("/landing/", 1)
    kind, name = rest.split("/", 1)
    return model, kind, dt.date.fromisoformat(name.split(".", 1)[0])


def _parquet_bytes(rows: pd.DataFrame | pa.Table) -> bytes:
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pandas(rows, preserve_index=False)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _outcome_files(
    store: ObjectStore,
    spec: ModelSpec,
    outcomes: pd.DataFrame,
    days: list[dt.date],
    d: Delivery,
    source: str,
    redelivery: Redelivery | None = None,
) -> None:
    """One outcome file per day, empty on days when nothing matured."""
    by_day = {k.date(): g for k, g in outcomes.groupby(outcomes["outcome_date"].dt.normalize())}
    empty = outcomes.iloc[0:0]
    for day in days:
        frame = by_day.get(day, empty).reset_index(drop=True)
        keys = layout.landing_keys(spec.name, "outcomes", day)
        _deliver_bytes(store, keys, _parquet_bytes(frame), source, d, redelivery, derived=True)


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
        _deliver_bytes(store, keys, _parquet_bytes(applications), source, delivery)
        delivery.rows += len(applications)
        outcomes.append(known)
        if progress:
            progress(day, len(outcomes), days)
    outcomes = pd.concat(outcomes, ignore_index=True)
    outcomes = outcomes[outcomes["outcome_date"] <= pd.Timestamp(calendar[-1])]
    _outcome_files(store, spec, outcomes, calendar, delivery, source)
    return delivery


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
    stamps, _ = business_times(table[ts_col], spec.timezone, fmt)
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
            keys = [f"{spec.name}/landing/{kind}/{day.isoformat()}{path.suffix}"]
            # As delivered, byte for byte.
            _deliver_bytes(store, keys, data, str(path), delivery, redelivery, ingested=ingested)
            if progress:
                progress(day, done, len(files))
    else:
        frames = _split_by_day(Path(pattern), spec, ts_col, days, delivery)
        for done, (day, frame) in enumerate(frames.items(), 1):
            keys = layout.landing_keys(spec.name, kind, day)
            source = f"{pattern} (rows of {day})"
            data = _parquet_bytes(frame)
            _deliver_bytes(store, keys, data, source, delivery, redelivery, ingested=ingested)
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
        for day in sorted(set(days) - set(found)):
            keys = layout.landing_keys(spec.name, "outcomes", day)
            empty = _parquet_bytes(pd.DataFrame(columns=columns))
            _deliver_bytes(store, keys, empty, f"{source.outcomes} (no file: none known)", delivery)
    else:
        lag = dt.timedelta(days=spec.windows.label_maturity_days)
        shifted = (
            Redelivery(frozenset(d + lag for d in redelivery.days), redelivery.actor, reason)
            if redelivery
            else None
        )
        matured = _matured_targets(applications, spec, last)
        where = f"target column {spec.target.column} of {source.applications}"
        _outcome_files(store, spec, matured, days, delivery, where, shifted)
    return delivery


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
