"""The landing sensor: a newly delivered file asks for its day's ingestion.

An application file requests that day's ``raw_applications`` and ``features`` partitions; an
outcome file that day's ``loan_outcomes`` partition. The cursor holds every handled key with its
etag, which the store reports without reading the file; landing files are never modified (the
design's rule), so a known key is not looked at again.
"""

import datetime as dt
import json
import re

import dagster as dg

from ml_platform_assets.assets.common import asset_key, daily_partitions
from ml_platform_assets.assets.factory import ingestion_job_name
from ml_platform_assets.core.layout import LANDING_FORMATS
from ml_platform_assets.core.spec import ModelSpec
from resources.object_store_resource import ObjectStoreResource
from sensors.cursor import decode_cursor

TICK_SECONDS = 60
MAX_REQUESTS_PER_TICK = 100  # a backlog drains over several ticks, each well under the timeout
ASSETS_BY_KIND = {
    "applications": ("raw_applications", "features"),
    "outcomes": ("loan_outcomes",),
}


def landing_sensor_name(spec: ModelSpec) -> str:
    return f"{spec.name}__landing_sensor"


def parse_landing_key(spec: ModelSpec, key: str) -> tuple[str, dt.date] | None:
    """(kind, day) of ``<model>/landing/<kind>/<YYYY-MM-DD>.<ext>``; None for any other key."""
    formats = "|".join(LANDING_FORMATS)
    pattern = rf"{spec.name}/landing/(applications|outcomes)/(\d{{4}}-\d{{2}}-\d{{2}})\.({formats})"
    match = re.fullmatch(pattern, key)
    if match is None:
        return None
    try:
        return match[1], dt.date.fromisoformat(match[2])
    except ValueError:
        return None


def _request(spec: ModelSpec, key: str, kind: str, day: dt.date, tag: str) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=f"{key}@{tag}",
        partition_key=day.isoformat(),
        asset_selection=[asset_key(spec, name) for name in ASSETS_BY_KIND[kind]],
        tags={"ml_platform/landing_key": key, "ml_platform/trigger": "landing"},
    )


def build_landing_sensor(spec: ModelSpec) -> dg.SensorDefinition:
    """The sensor that ingests ``spec``'s delivered files as they land.

    Default status STOPPED: turning it on starts ingestion runs for every file not yet seen,
    backlog included, so each deployment turns it on deliberately.
    """
    partitions = daily_partitions(spec)

    @dg.sensor(
        name=landing_sensor_name(spec),
        job_name=ingestion_job_name(spec),
        minimum_interval_seconds=TICK_SECONDS,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=f"Ingests each new file in {spec.name}'s landing zone: applications into "
        "raw_applications and features, outcomes into loan_outcomes, for the file's day.",
    )
    def landing_sensor(
        context: dg.SensorEvaluationContext, object_store: ObjectStoreResource
    ) -> dg.SensorResult:
        seen = decode_cursor(context.cursor)
        store = object_store.get_store()
        requests, waiting = [], 0
        for key in store.list(f"{spec.name}/landing/"):
            parsed = parse_landing_key(spec, key)
            if key in seen or parsed is None or len(requests) == MAX_REQUESTS_PER_TICK:
                continue
            kind, day = parsed
            if not partitions.has_partition_key(day.isoformat()):
                waiting += 1  # its day's partition does not exist yet: ask on a later tick
                continue
            seen[key] = store.etag(key)
            requests.append(_request(spec, key, kind, day, seen[key]))
        cursor = json.dumps(seen, sort_keys=True)
        if requests:
            return dg.SensorResult(run_requests=requests, cursor=cursor)
        later = f"; {waiting} wait for their day's partition to exist" if waiting else ""
        return dg.SensorResult(
            skip_reason=f"No new files in {spec.name}'s landing zone "
            f"({len(seen)} already handled{later}).",
            cursor=cursor,
        )

    return landing_sensor
