"""The landing sensor: newly delivered files ask for their days' ingestion, a backlog in a few
ranged runs.

Each tick lists the landing zone with the store's etags (one listing, no file read) and asks
the instance, for the days it has not yet seen ingested from the files there now, whether each
ingestion asset's newest materialization recorded the same file (``landing_etag``). Stale days
are requested in runs over consecutive days, at most ``MAX_RANGE_DAYS`` each, of the assets they
need: applications feed raw_applications and features, outcomes loan_outcomes. Turned on over
a history already ingested, it requests nothing.

The cursor keeps, per day, the signature of its landing files when the day was last seen
ingested or requested, so a day in flight is not requested twice and a day seen ingested is not
looked up again until one of its files changes. Code changes are not the sensor's business:
``ml-platform run`` redoes days ingested by older code, or a backfill in the UI.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import dagster as dg

from ml_platform_assets.assets.common import asset_key, daily_partitions, partition_range_tags
from ml_platform_assets.assets.factory import ingestion_job_name
from ml_platform_assets.assets.ingestion_plan import LANDING_ETAG, compare_days, day_ranges
from ml_platform_assets.core.layout import LANDING_FORMATS, parse_landing_key
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.spec_source import FilesSource
from ml_platform_assets.services.run_tags import TRIGGER_TAG
from resources.object_store_resource import ObjectStoreResource
from sensors.cursor import decode_cursor

TICK_SECONDS = 30
MAX_RANGE_DAYS = 30  # one run ingests at most a month: a failure redoes little, logs stay short
ASSETS_BY_KIND = {
    "applications": ("raw_applications", "features"),
    "outcomes": ("loan_outcomes",),
}

# day -> kind -> etag of that day's landing file of that kind
Landed = dict[dt.date, dict[str, str]]


def landing_sensor_name(spec: ModelSpec) -> str:
    """``<model>__landing_sensor``."""
    return f"{spec.name}__landing_sensor"


def landed_days(spec: ModelSpec, etags: Mapping[str, str]) -> Landed:
    """The days of a landing-zone listing (key -> etag) with each kind's etag.

    A day has one file per kind; when both formats exist, the etag is that of the file
    ingestion reads (``layout.landing_keys`` order). For a files source whose missing days are
    empty days, the days without a file between the first and last delivered day are landed
    too, with no files: ingestion records them as days without rows.
    """
    parsed = {key: parse_landing_key(key) for key in etags}
    files = [key for key, found in parsed.items() if found is not None and found[0] == spec.name]
    landed: Landed = {}
    for key in sorted(files, key=lambda k: LANDING_FORMATS.index(k.rsplit(".", 1)[-1])):
        _, kind, day = parsed[key]
        landed.setdefault(day, {}).setdefault(kind, etags[key])
    source = spec.data_source
    if landed and isinstance(source, FilesSource) and source.missing_days == "empty":
        first, last = min(landed), max(landed)
        for i in range((last - first).days + 1):
            landed.setdefault(first + dt.timedelta(days=i), {})
    return dict(sorted(landed.items()))


def signature(files: Mapping[str, str]) -> str:
    """A short fingerprint of a day's landing files (kind -> etag) for the cursor."""
    text = json.dumps(dict(sorted(files.items())))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def ingestible(spec: ModelSpec, stale: frozenset[str], kinds: set[str]) -> frozenset[str]:
    """The stale assets a run can ingest from the day's files (``kinds`` present).

    A simulator's day without its outcomes file cannot be ingested yet; a files source reads a
    missing day as empty when its spec says so. Features can always be rebuilt from stored raw.
    """
    source = spec.data_source
    empty = isinstance(source, FilesSource) and source.missing_days == "empty"
    assets = set()
    for kind, names in ASSETS_BY_KIND.items():
        if kind in kinds or empty:
            assets |= stale & set(names)
    if "features" in stale and "raw_applications" not in stale:
        assets.add("features")
    return frozenset(assets)


@dataclass
class LandingTick:
    """A tick's outcome: the runs to request as (assets, first day, last day, signatures) and
    the counts that go into the skip reason."""

    runs: list[tuple[frozenset[str], dt.date, dt.date, str]] = field(default_factory=list)
    ingested: dict[str, str] = field(default_factory=dict)  # day -> signature
    requested: dict[str, str] = field(default_factory=dict)  # day -> signature
    in_flight: int = 0
    waiting: int = 0  # days whose file is incomplete (a simulator day without outcomes yet)

    @property
    def cursor(self) -> str:
        """The cursor the tick leaves: days seen ingested and days requested, by signature."""
        return json.dumps({"ingested": self.ingested, "requested": self.requested})


def decide(
    spec: ModelSpec,
    landed: Landed,
    cursor: Mapping,
    stale_of: Callable[[list[dt.date]], dict[dt.date, frozenset[str]]],
) -> LandingTick:
    """Which landed days to request, given the previous cursor and ``stale_of(days)``, the
    stale ingestion assets of each of ``days`` (absent: up to date)."""
    known, pending = cursor.get("ingested") or {}, cursor.get("requested") or {}
    signatures = {day: signature(files) for day, files in landed.items()}
    tick = LandingTick()
    unseen = []
    for day, sig in signatures.items():
        if known.get(day.isoformat()) == sig:
            tick.ingested[day.isoformat()] = sig
        else:
            unseen.append(day)
    stale = stale_of(unseen) if unseen else {}
    todo: dict[frozenset[str], list[dt.date]] = {}
    for day in unseen:
        key, sig = day.isoformat(), signatures[day]
        if day not in stale:
            tick.ingested[key] = sig
        elif pending.get(key) == sig:
            tick.requested[key] = sig
            tick.in_flight += 1
        elif assets := ingestible(spec, stale[day], set(landed[day])):
            todo.setdefault(assets, []).append(day)
        else:
            tick.waiting += 1
    for assets, days in todo.items():
        for first, last in day_ranges(days, MAX_RANGE_DAYS):
            span = {
                d.isoformat(): signatures[d]
                for d in (first + dt.timedelta(days=i) for i in range((last - first).days + 1))
            }
            tick.requested.update(span)
            tick.runs.append((assets, first, last, signature(span)))
    return tick


def _run_request(spec: ModelSpec, assets: frozenset[str], first, last, sig) -> dg.RunRequest:
    names = [n for n in ("raw_applications", "features", "loan_outcomes") if n in assets]
    return dg.RunRequest(
        run_key=f"{spec.name}:landing:{first}..{last}:{'+'.join(names)}:{sig}",
        asset_selection=[asset_key(spec, name) for name in names],
        tags={
            **partition_range_tags(first, last),
            TRIGGER_TAG: "landing",
            "ml_platform/landing_days": f"{first}..{last}",
        },
    )


def _skip_reason(spec: ModelSpec, tick: LandingTick, early: int) -> str:
    parts = [f"{len(tick.ingested)} day(s) ingested from the files there now"]
    if tick.in_flight:
        parts.append(
            f"{tick.in_flight} requested and not yet ingested (their runs are in flight, or "
            "failed: a corrected file is requested again)"
        )
    if tick.waiting:
        parts.append(f"{tick.waiting} wait for their other landing file")
    if early:
        parts.append(f"{early} wait for their day's partition to exist")
    return f"Nothing new to ingest in {spec.name}'s landing zone: {'; '.join(parts)}."


def build_landing_sensor(spec: ModelSpec) -> dg.SensorDefinition:
    """The sensor that ingests ``spec``'s delivered files as they land.

    Default status STOPPED: it starts ingestion runs, so each deployment turns it on
    deliberately; over a history already ingested it requests nothing.
    """
    partitions = daily_partitions(spec)

    @dg.sensor(
        name=landing_sensor_name(spec),
        job_name=ingestion_job_name(spec),
        minimum_interval_seconds=TICK_SECONDS,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=f"Ingests the days of {spec.name}'s landing zone not yet ingested from the "
        "files there now (applications into raw_applications and features, outcomes into "
        f"loan_outcomes), in runs over at most {MAX_RANGE_DAYS} consecutive days.",
    )
    def landing_sensor(
        context: dg.SensorEvaluationContext, object_store: ObjectStoreResource
    ) -> dg.SensorResult:
        store = object_store.get_store()
        landed = landed_days(spec, store.list_etags(f"{spec.name}/landing/"))
        ready = {d: f for d, f in landed.items() if partitions.has_partition_key(d.isoformat())}

        def stale_of(days: list[dt.date]) -> dict[dt.date, frozenset[str]]:
            def landing(kind: str, day: dt.date) -> str | None:
                return landed[day].get(kind)

            plan = compare_days(context.instance, spec, days, landing, LANDING_ETAG)
            return plan.stale

        tick = decide(spec, ready, decode_cursor(context.cursor), stale_of)
        if tick.runs:
            requests = [_run_request(spec, *run) for run in tick.runs]
            return dg.SensorResult(run_requests=requests, cursor=tick.cursor)
        return dg.SensorResult(
            skip_reason=_skip_reason(spec, tick, len(landed) - len(ready)), cursor=tick.cursor
        )

    return landing_sensor
