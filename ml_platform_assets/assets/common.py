"""Pieces every asset module uses: resource keys, metadata builders, the registry handle."""

import datetime as dt
import getpass
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import dagster as dg
import pandas as pd
import pyarrow as pa

# The one private Dagster import of the platform: a single run over a range of partitions is
# asked for with these tags (as a single-run backfill does), and no public API names them.
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.registry import ModelRegistry
from resources.database import DatabaseResource
from resources.environment import kubernetes_settings
from resources.kubernetes import Stage

MANIFEST_IO = "manifest_io_manager"
# Who a run acts for: set by ``ml-platform run --actor`` and by the sensors that start runs.
ACTOR_TAG = "ml_platform/actor"


def asset_key(spec: ModelSpec, name: str) -> dg.AssetKey:
    return dg.AssetKey([spec.name, name])


def owners(spec: ModelSpec) -> list[str]:
    return [spec.owner]


def daily_partitions(spec: ModelSpec) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=spec.start_date.isoformat())


def partition_range_tags(first: dt.date, last: dt.date) -> dict[str, str]:
    """Run tags asking for one run over the daily partitions ``first``..``last``."""
    return {
        ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
    }


def run_actor(context: dg.AssetExecutionContext) -> str:
    """Who the run acts for, as the audit ledger records it: its ``ml_platform/actor`` tag,
    else the operating-system user running the step."""
    tagged = context.run.tags.get(ACTOR_TAG)
    if tagged:
        return tagged
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return f"uid {os.getuid()}"


def partition_days(context: dg.AssetExecutionContext) -> list[dt.date]:
    """The days a run covers: one for a single partition, many for a single-run backfill."""
    return [dt.date.fromisoformat(key) for key in context.partition_keys]


T = TypeVar("T")
R = TypeVar("R")


def parallel_map(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``fn`` over independent items (days, files) on every core, results in input order.

    Parquet I/O and numpy release the GIL, so threads keep both cores busy on daily files;
    the first exception propagates as it would in a loop.
    """
    items = list(items)
    workers = min(4, os.cpu_count() or 1, len(items))
    if workers <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


def preview(rows: pd.DataFrame | pa.Table, n: int = 5) -> dg.MetadataValue:
    """A markdown table of the first rows, narrow enough to read in the UI."""
    head = rows.slice(0, n).to_pandas() if isinstance(rows, pa.Table) else rows.head(n)
    return dg.MetadataValue.md(head.to_markdown(index=False))


def column_schema(rows: pd.DataFrame | pa.Table | pa.Schema) -> dg.TableSchema:
    """Column names and types: Arrow types for tables and schemas, dtypes for DataFrames."""
    if isinstance(rows, pa.Table | pa.Schema):
        schema = rows if isinstance(rows, pa.Schema) else rows.schema
        types = [(f.name, str(f.type)) for f in schema]
    else:
        types = [(str(c), str(t)) for c, t in rows.dtypes.items()]
    return dg.TableSchema(columns=[dg.TableColumn(name=n, type=t) for n, t in types])


_MIGRATED_URLS: set[str] = set()


def registry(database: DatabaseResource) -> ModelRegistry:
    """The model registry on the configured database, migrated once per process."""
    engine = database.get_engine()
    # Keyed by the resolved URL: the resource may hold an EnvVar reference instead.
    url = engine.url.render_as_string(hide_password=False)
    if url not in _MIGRATED_URLS:
        database.migrate()
        _MIGRATED_URLS.add(url)
    return ModelRegistry(engine)


def compute(stage: Stage) -> dict:
    """The ``op_tags`` of an asset in ``stage``: the pod its step gets on Kubernetes
    (``resources.kubernetes``); other executors ignore them."""
    return kubernetes_settings().op_tags(stage)


def ingestion_backfill_policy() -> dg.BackfillPolicy:
    """Ingestion's backfills: a run per day on Kubernetes, one run over the range elsewhere."""
    return kubernetes_settings().ingestion_backfill_policy()


def ingestion_pool() -> str | None:
    """Ingestion's concurrency pool on Kubernetes (its cap is the instance's); none elsewhere."""
    return kubernetes_settings().ingestion_pool()
