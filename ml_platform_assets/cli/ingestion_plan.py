"""Which days an ingestion must redo: a day already ingested from the same landing files by the
same code is left as it is.

A day is unchanged when each of raw_applications, loan_outcomes and features has a recorded
materialization of that day whose code version is the asset's current one, and the two raw
assets recorded the sha256 of the landing file they read (``landing_sha256``) equal to the
landing file there now (a day ingested as a day without a file stays unchanged while no file
arrives). Anything else is redone: a redelivered or newly delivered file, a changed asset
(its ``code_version``), a partition never materialized or wiped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import dagster as dg

from ml_platform_assets.assets.common import asset_key
from ml_platform_assets.core import layout
from ml_platform_assets.core.spec import ModelSpec
from resources.object_store import ObjectStore

# Asset name -> the landing kind its partitions are read from (None: derived from raw).
SOURCES = {"raw_applications": "applications", "loan_outcomes": "outcomes", "features": None}
LANDING_SHA = "landing_sha256"
CODE_VERSION_TAG = "dagster/code_version"


@dataclass
class IngestionPlan:
    """The days to ingest, and the days left as they are with their recorded metadata (so a
    summary still counts their rows)."""

    todo: list[dt.date] = field(default_factory=list)
    unchanged: dict[dt.date, dict[str, dict]] = field(default_factory=dict)  # day -> asset -> md

    def ranges(self, chunk_days: int) -> list[tuple[dt.date, dt.date]]:
        """Consecutive days to ingest as (first, last), at most ``chunk_days`` each."""
        ranges: list[tuple[dt.date, dt.date]] = []
        for day in self.todo:
            if ranges:
                first, last = ranges[-1]
                if day == last + dt.timedelta(days=1) and (day - first).days < chunk_days:
                    ranges[-1] = (first, day)
                    continue
            ranges.append((day, day))
        return ranges


def landing_sha256(store: ObjectStore, model: str, kind: str, day: dt.date) -> str | None:
    """sha256 of the day's landing file of ``kind`` (the one ingestion reads), None without one."""
    for key in layout.landing_keys(model, kind, day):
        if store.exists(key):
            return hashlib.sha256(store.get_bytes(key)).hexdigest()
    return None


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
) -> IngestionPlan:
    """The days of ``first``..``last`` to ingest; every day when ``rebuild``."""
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    if rebuild:
        return IngestionPlan(todo=days)
    recorded, current = {}, {}
    for name in SOURCES:
        key = asset_key(spec, name)
        recorded[name] = _latest(instance, key, days)
        current[name] = defs.get_assets_def(key).code_versions_by_key.get(key)
    plan = IngestionPlan()
    for day in days:
        metadata = _unchanged(spec, store, day, recorded, current)
        if metadata is None:
            plan.todo.append(day)
        else:
            plan.unchanged[day] = metadata
    return plan


def _unchanged(
    spec: ModelSpec, store: ObjectStore, day: dt.date, recorded: dict, current: dict
) -> dict[str, dict] | None:
    """Each asset's recorded metadata of ``day`` when the day needs no work, else None."""
    metadata = {}
    for name, kind in SOURCES.items():
        materialization = recorded[name].get(day)
        if materialization is None:
            return None
        if (materialization.tags or {}).get(CODE_VERSION_TAG) != current[name]:
            return None
        values = {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
        if kind is not None and values.get(LANDING_SHA) != landing_sha256(
            store, spec.name, kind, day
        ):
            return None
        metadata[name] = materialization.metadata
    return metadata
