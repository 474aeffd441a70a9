"""The landing zone: delivered files, kept as delivered, with a record of who delivered what.

A delivered file is never modified: a day already in the landing zone is kept as it is, and
only days not yet delivered are written. A lender who corrects a source file redelivers that
day on purpose: the old landing copy is kept under ``replaced/`` and the replacement is
recorded (old and new sha256, who, when, why) in the day's delivery record,
``<model>/landing/<kind>/<day>.delivery.json``, which also names the user's source file so that
every later message can quote it; the audit ledger gets a ``redelivered`` record too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ml_platform_assets.core import layout
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.registry import ModelRegistry
from ml_platform_assets.registry.ledger_records import Artifact
from ml_platform_assets.services.actors import current_actor
from resources.object_store import ObjectNotFound, ObjectStore

RECORD_VERSION = 1


@dataclass
class Delivery:
    """What a delivery wrote, kept, replaced, and found missing or changed (landing keys)."""

    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    # Days whose source file differs from the landing copy that was kept.
    changed: dict[dt.date, str] = field(default_factory=dict)
    missing_days: list[dt.date] = field(default_factory=list)
    empty_days: list[dt.date] = field(default_factory=list)  # a file with a header, no rows
    # Days without an outcome file (outcomes in files of their own): none known yet.
    missing_outcome_days: list[dt.date] = field(default_factory=list)
    # Days that arrived after they were ingested without applications, and the outcome day each
    # brings labels to (the derived outcome files follow their application days).
    late_days: dict[dt.date, dt.date | None] = field(default_factory=dict)
    # Landing keys of days first delivered as a file without rows, now replaced by one with.
    filled: list[str] = field(default_factory=list)
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


def delivery_record(store: ObjectStore, model: str, kind: str, day: dt.date) -> dict | None:
    """The day's delivery record, or None for a file dropped into the landing zone by hand."""
    try:
        return store.get_json(layout.delivery_record_key(model, kind, day))
    except ObjectNotFound:
        return None


def landing_days(keys: list[str]) -> list[dt.date]:
    """The application days among landing keys, in order (outcome files are bookkeeping)."""
    parsed = (layout.parse_landing_key(key) for key in keys)
    return sorted({p[2] for p in parsed if p is not None and p[1] == "applications"})


def _parts(key: str) -> tuple[str, str, dt.date]:
    parsed = layout.parse_landing_key(key)
    if parsed is None:
        raise ValueError(f"{key!r} is not a landing file's key")
    return parsed


def landed_through(store: ObjectStore, model: str) -> dt.date | None:
    """The last day whose applications are in the model's landing zone; None before any."""
    days = [
        parsed[2]
        for key in store.list(f"{model}/landing/applications/")
        if (parsed := layout.parse_landing_key(key)) and parsed[0] == model
    ]
    return max(days, default=None)


def landing_sha256(store: ObjectStore, model: str, kind: str, day: dt.date) -> str | None:
    """sha256 of the day's landing file of ``kind`` (the one ingestion reads), None without one."""
    for key in layout.landing_keys(model, kind, day):
        if store.exists(key):
            return hashlib.sha256(store.get_bytes(key)).hexdigest()
    return None


def landing_etag(store: ObjectStore, model: str, kind: str, day: dt.date) -> str | None:
    """The store's etag of the day's landing file of ``kind``, None without one; no download."""
    for key in layout.landing_keys(model, kind, day):
        try:
            return store.etag(key)
        except ObjectNotFound:
            continue
    return None


def parquet_bytes(rows: pd.DataFrame | pa.Table) -> bytes:
    """``rows`` as the bytes of a parquet file."""
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pandas(rows, preserve_index=False)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def deliver_bytes(
    store: ObjectStore,
    keys: list[str],
    data: bytes,
    source: str,
    delivery: Delivery,
    redelivery: Redelivery | None = None,
    derived: bool = False,
    ingested: Callable[[dt.date], bool] | None = None,
    placeholder: bool = False,
    rows: int | None = None,
) -> None:
    """Write ``data`` to ``keys[0]`` unless the day was delivered under any of ``keys``.

    ``keys`` are a day's candidate landing keys (``layout.landing_keys``). A day already
    delivered with other content is replaced only when it is in ``redelivery``. A ``derived``
    file (outcomes made from the applications' target column) follows its applications, so
    its changes are not reported on their own. A day that ``ingested`` says was never ingested
    is replaced without asking: nothing was built from it (e.g. it was refused), so a corrected
    file simply takes its place, and the replacement is recorded all the same. So is a
    ``placeholder`` (the empty file landed for a day without one), and a file delivered without
    rows (the record keeps ``rows``), when a file with rows for that day arrives late.
    """
    model, kind, day = _parts(keys[0])
    sha = hashlib.sha256(data).hexdigest()
    present = next((k for k in keys if store.exists(k)), None)
    record = {
        "record_version": RECORD_VERSION,
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
    if placeholder:
        record["placeholder"] = True
    if rows is not None:
        record["rows"] = rows
    if present is not None:
        previous = delivery_record(store, model, kind, day)
        # The record's checksum spares reading the file; a file dropped in by hand is hashed.
        old_sha = (previous or {}).get("sha256") or hashlib.sha256(
            store.get_bytes(present)
        ).hexdigest()
        if old_sha != sha and ingested is not None and not ingested(day):
            reason = "the delivered file was never ingested; the corrected file replaces it"
            redelivery = Redelivery(frozenset({day}), current_actor(), reason)
        elif old_sha != sha and (previous or {}).get("placeholder") and not placeholder:
            reason = "a file arrived for a day first delivered without one; it takes its place"
            redelivery = Redelivery(frozenset({day}), current_actor(), reason)
        elif old_sha != sha and (previous or {}).get("rows") == 0 and rows:
            reason = "a file with rows arrived for a day first delivered without any"
            redelivery = Redelivery(frozenset({day}), current_actor(), reason)
            delivery.filled.append(keys[0])
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


def outcome_files(
    store: ObjectStore,
    spec: ModelSpec,
    outcomes: pd.DataFrame,
    days: list[dt.date],
    d: Delivery,
    source: str,
    redelivery: Redelivery | None = None,
    late: Redelivery | None = None,
) -> None:
    """One outcome file per day, empty on days when nothing matured; the days of ``late``
    (outcome days of applications that arrived late) are derived again."""
    by_day = {k.date(): g for k, g in outcomes.groupby(outcomes["outcome_date"].dt.normalize())}
    empty = outcomes.iloc[0:0]
    for day in days:
        frame = by_day.get(day, empty).reset_index(drop=True)
        keys = layout.landing_keys(spec.name, "outcomes", day)
        again = late if late is not None and day in late.days else redelivery
        deliver_bytes(store, keys, parquet_bytes(frame), source, d, again, derived=True)


def record_replacements(store: ObjectStore, registry: ModelRegistry, delivery: Delivery) -> int:
    """A ``redelivered`` audit ledger record per day ``delivery`` replaced: the new file, the
    kept copy of the old one and the delivery record, each with its sha256. Returns how many."""
    recorded = 0
    for key in delivery.replaced:
        model, kind, day = _parts(key)
        record = delivery_record(store, model, kind, day)
        if record is None:
            continue
        replaced = record["replaces"][-1]
        record_key = layout.delivery_record_key(model, kind, day)
        record_sha = hashlib.sha256(store.get_bytes(record_key)).hexdigest()
        artifacts = [
            Artifact(record["key"], store.uri(record["key"]), record["sha256"]),
            Artifact(replaced["kept_at"], store.uri(replaced["kept_at"]), replaced["sha256"]),
            Artifact(record_key, store.uri(record_key), record_sha),
        ]
        registry.record_redelivery(
            model, actor=record["delivered_by"], delivery=record, artifacts=artifacts
        )
        recorded += 1
    return recorded
