"""Daily feature partitions, computed by the functions a planned online scorer will share.

The features asset is materialized with raw_applications in one step (see ``ingestion``), so a
day's validated rows are featurized without a round trip through storage.
"""

import datetime as dt
from dataclasses import dataclass

import dagster as dg
import pyarrow as pa

from ml_platform_assets.assets.common import asset_key, column_schema, owners, preview
from ml_platform_assets.core import layout
from ml_platform_assets.core.features import (
    build_features,
    feature_schema,
    features_code_version,
)
from ml_platform_assets.core.spec import ModelSpec
from resources.object_store import ObjectStore


def features_spec(spec: ModelSpec, raw: dg.AssetKey) -> dg.AssetSpec:
    return dg.AssetSpec(
        asset_key(spec, "features"),
        deps=[raw],
        code_version=features_code_version(spec),
        group_name=spec.name,
        kinds={"parquet", "pyarrow"},
        owners=owners(spec),
        description=f"Model features of {spec.name} per application day; the planned online "
        "scorer is to compute the same values from the same code.",
        metadata={
            "dagster/column_schema": column_schema(feature_schema(spec)),
            "features": len(spec.model_features),
        },
    )


@dataclass
class FeatureDay:
    day: dt.date
    uri: str
    table: pa.Table


def featurize_day(store: ObjectStore, spec: ModelSpec, day: dt.date, rows: pa.Table) -> FeatureDay:
    """Features of one day's validated applications, replacing that day's partition."""
    table = build_features(rows, spec)
    return FeatureDay(day, store.put_table(layout.features_key(spec.name, day), table).uri, table)


def record_feature_days(
    context: dg.AssetExecutionContext, key: dg.AssetKey, spec: ModelSpec, days: list[FeatureDay]
) -> None:
    """Each partition's rows, URI and most-missing features; a preview on the last day only."""
    for f in days:
        metadata = {
            "dagster/row_count": f.table.num_rows,
            "uri": dg.MetadataValue.path(f.uri),
            "missing_share_top": dg.MetadataValue.json(_missing_shares(f.table, spec)),
        }
        if f is days[-1]:
            metadata["preview"] = preview(f.table)
        context.add_asset_metadata(metadata, asset_key=key, partition_key=f.day.isoformat())


def _missing_shares(table: pa.Table, spec: ModelSpec, top: int = 5) -> dict[str, float]:
    """The model features most often missing that day, with their share of rows."""
    rows = max(table.num_rows, 1)
    shares = {col: table[col].null_count / rows for col in spec.model_features}
    worst = sorted(shares.items(), key=lambda kv: -kv[1])[:top]
    return {col: round(share, 4) for col, share in worst}
