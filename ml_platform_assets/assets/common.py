"""Pieces every asset module uses: keys, partitions, the registry handle, metadata builders,
and turning an operation's refusal into a step failure."""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

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
from ml_platform_assets.services.actors import current_actor
from ml_platform_assets.services.errors import Refused
from ml_platform_assets.services.registry_access import open_registry
from ml_platform_assets.services.run_tags import ACTOR_TAG
from resources.database_resource import DatabaseResource
from resources.env_vars import resolved

MANIFEST_IO = "manifest_io_manager"


def asset_key(spec: ModelSpec, name: str) -> dg.AssetKey:
    """``<model>/<name>``: each model's chain lives under its own key prefix."""
    return dg.AssetKey([spec.name, name])


def daily_partitions(spec: ModelSpec) -> dg.DailyPartitionsDefinition:
    """One partition per day from the spec's first day."""
    return dg.DailyPartitionsDefinition(start_date=spec.start_date.isoformat())


def partition_range_tags(first: dt.date, last: dt.date) -> dict[str, str]:
    """Run tags asking for one run over the daily partitions ``first``..``last``."""
    return {
        ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
    }


def partition_days(context: dg.AssetExecutionContext) -> list[dt.date]:
    """The days a run covers: one for a single partition, many for a single-run backfill."""
    return [dt.date.fromisoformat(key) for key in context.partition_keys]


def run_actor(context: dg.AssetExecutionContext) -> str:
    """Who the run acts for, as the audit ledger records it: its ``ml_platform/actor`` tag,
    else the operating-system user running the step."""
    return context.run.tags.get(ACTOR_TAG) or current_actor()


def registry(database: DatabaseResource) -> ModelRegistry:
    """The model registry on the configured database, migrated once per process."""
    return open_registry(resolved(database.url))


@contextmanager
def refusals_as_failures() -> Iterator[None]:
    """An operation's refusal fails the step with its sentence (no traceback in the UI) and
    without a retry, which would be refused the same way."""
    try:
        yield
    except Refused as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc


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
