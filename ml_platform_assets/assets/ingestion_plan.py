"""Which days an ingestion must redo: a day already ingested from the same landing files by the
same code is left as it is.

A day is unchanged when each of raw_applications, loan_outcomes and features has a recorded
materialization of that day whose code version is the asset's current one, and the two raw
assets recorded a fingerprint of the landing file they read equal to that of the landing file
there now (a day ingested as a day without a file stays unchanged while no file arrives).
Anything else is redone: a redelivered or newly delivered file, a changed asset (its
``code_version``), a partition never materialized or wiped.

The raw assets record two fingerprints: ``landing_sha256`` (``ml-platform run`` hashes each
file, which also catches a file rewritten in place) and ``landing_etag`` (the store's tag, read
from a listing without downloading anything: the landing sensor's, every tick).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import dagster as dg

from ml_platform_assets.assets.common import asset_key
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.services.landing_zone import landing_etag, landing_sha256
from resources.object_store import ObjectStore

# Asset name -> the landing kind its partitions are read from (None: derived from raw).
SOURCES = {"raw_applications": "applications", "loan_outcomes": "outcomes", "features": None}
LANDING_SHA = "landing_sha256"
LANDING_ETAG = "landing_etag"
CODE_VERSION_TAG = "dagster/code_version"

# (kind, day) -> the fingerprint of that landing file now, None when there is none.
Fingerprint = Callable[[str, dt.date], str | None]


@dataclass
class IngestionPlan:
    """The days to ingest with the assets each must redo, and the days left as they are with
    their recorded metadata (so a summary still counts their rows)."""

    todo: list[dt.date] = field(default_factory=list)
    unchanged: dict[dt.date, dict[str, dict]] = field(default_factory=dict)  # day -> asset -> md
    stale: dict[dt.date, frozenset[str]] = field(default_factory=dict)  # todo day -> asset names

    def ranges(self, chunk_days: int) -> list[tuple[dt.date, dt.date]]:
        """Consecutive days to ingest as (first, last), at most ``chunk_days`` each."""
        return day_ranges(self.todo, chunk_days)


def day_ranges(days: list[dt.date], chunk_days: int) -> list[tuple[dt.date, dt.date]]:
    """Sorted ``days`` as runs of consecutive days (first, last), at most ``chunk_days`` each."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if ranges:
            first, last = ranges[-1]
            if day == last + dt.timedelta(days=1) and (day - first).days < chunk_days:
                ranges[-1] = (first, day)
                continue
        ranges.append((day, day))
    return ranges


FINGERPRINTS = {LANDING_SHA: landing_sha256, LANDING_ETAG: landing_etag}


def _latest(
    instance: dg.DagsterInstance, key: dg.AssetKey, days: list[dt.date]
) -> dict[dt.date, dg.AssetMaterialization]:
    """The newest recorded materialization of each of ``days`` (missing days absent)."""
    partitions = [d.isoformat() for d in days]
    found: dict[dt.date, dg.AssetMaterialization] = {}
    cursor = None
    while True:
        page = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=partitions),
            limit=1000,
            cursor=cursor,
        )
        for record in page.records:  # newest first
            materialization = record.asset_materialization
            day = dt.date.fromisoformat(materialization.partition)
            found.setdefault(day, materialization)
        if not page.has_more:
            return found
        cursor = page.cursor


def plan_ingestion(
    defs: dg.Definitions,
    spec: ModelSpec,
    instance: dg.DagsterInstance,
    store: ObjectStore,
    first: dt.date,
    last: dt.date,
    rebuild: bool = False,
    *,
    by: str = LANDING_SHA,
) -> IngestionPlan:
    """The days of ``first``..``last`` to ingest; every day when ``rebuild``.

    ``by`` names the recorded fingerprint compared with the landing file now: ``landing_sha256``
    (reads every file) or ``landing_etag`` (asks the store for its tag only).
    """
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    if rebuild:
        return IngestionPlan(todo=days, stale={d: frozenset(SOURCES) for d in days})
    current = {}
    for name in SOURCES:
        key = asset_key(spec, name)
        current[name] = defs.get_assets_def(key).code_versions_by_key.get(key)
    measure = FINGERPRINTS[by]

    def landing(kind: str, day: dt.date) -> str | None:
        return measure(store, spec.name, kind, day)

    return compare_days(instance, spec, days, landing, by, current)


def compare_days(
    instance: dg.DagsterInstance,
    spec: ModelSpec,
    days: list[dt.date],
    landing: Fingerprint,
    by: str,
    code_versions: Mapping[str, str | None] | None = None,
) -> IngestionPlan:
    """Which ingestion assets of each of ``days`` are stale, from their newest materializations.

    Args:
        landing: The fingerprint of each landing file now, ``landing(kind, day)``.
        by: The metadata entry under which the raw assets recorded that fingerprint.
        code_versions: Each asset's current code version; None leaves code versions out (the
            landing sensor asks only whether a day was ingested from the file there now).

    A raw asset is stale without a materialization, under another code version, or with another
    fingerprint recorded; features are stale with raw_applications or without their own.
    """
    recorded = {name: _latest(instance, asset_key(spec, name), days) for name in SOURCES}
    plan = IngestionPlan()
    for day in days:
        stale, metadata = set(), {}
        for name, kind in SOURCES.items():
            materialization = recorded[name].get(day)
            if (
                materialization is None
                or (
                    code_versions is not None
                    and _recorded(materialization, CODE_VERSION_TAG) != code_versions[name]
                )
                or (kind is not None and _recorded(materialization, by) != landing(kind, day))
            ):
                stale.add(name)
            else:
                metadata[name] = materialization.metadata
        if "raw_applications" in stale:
            stale.add("features")
        if stale:
            plan.todo.append(day)
            plan.stale[day] = frozenset(stale)
        else:
            plan.unchanged[day] = metadata
    return plan


def _recorded(materialization: dg.AssetMaterialization, entry: str) -> str | None:
    """A recorded tag (``dagster/code_version``) or metadata entry (a fingerprint) as text."""
    if entry == CODE_VERSION_TAG:
        return (materialization.tags or {}).get(entry)
    value = materialization.metadata.get(entry)
    return getattr(value, "value", value)
