"""Daily feature partitions, computed by the same functions the online scorer uses."""

import datetime as dt

import dagster as dg
import pyarrow as pa

from ml_platform_assets.assets.common import (
    asset_key,
    column_schema,
    daily_partitions,
    owners,
    parallel_map,
    partition_days,
    preview,
)
from ml_platform_assets.core import layout
from ml_platform_assets.core.features import (
    build_features,
    feature_schema,
    features_code_version,
)
from ml_platform_assets.core.spec import ModelSpec
from resources.object_store import ObjectStoreResource


def build_features_asset(spec: ModelSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=asset_key(spec, "features"),
        deps=[asset_key(spec, "raw_applications")],
        partitions_def=daily_partitions(spec),
        backfill_policy=dg.BackfillPolicy.single_run(),
        code_version=features_code_version(spec),
        group_name=spec.name,
        kinds={"parquet", "pyarrow"},
        owners=owners(spec),
        description=f"Model features of {spec.name} per application day; the online scorer "
        "computes the same values from the same code.",
        metadata={
            "dagster/column_schema": column_schema(feature_schema(spec)),
            "features": len(spec.model_features),
        },
    )
    def features(
        context: dg.AssetExecutionContext, object_store: ObjectStoreResource
    ) -> dg.MaterializeResult:
        store = object_store.get_store()

        def featurize(day: dt.date) -> tuple[pa.Table, str]:
            table = build_features(store.get_table(layout.raw_key(spec.name, day)), spec)
            return table, store.put_table(layout.features_key(spec.name, day), table).uri

        days = partition_days(context)
        results = parallel_map(featurize, days)
        for day, (table, uri) in zip(days, results, strict=True):
            metadata = {
                "dagster/row_count": table.num_rows,
                "uri": dg.MetadataValue.path(uri),
                "missing_share_top": dg.MetadataValue.json(_missing_shares(table, spec)),
            }
            if day == days[-1]:
                metadata["preview"] = preview(table)
            context.add_asset_metadata(metadata, partition_key=day.isoformat())
        return dg.MaterializeResult()

    return features


def _missing_shares(table: pa.Table, spec: ModelSpec, top: int = 5) -> dict[str, float]:
    """The model features most often missing that day, with their share of rows."""
    rows = max(table.num_rows, 1)
    shares = {col: table[col].null_count / rows for col in spec.model_features}
    worst = sorted(shares.items(), key=lambda kv: -kv[1])[:top]
    return {col: round(share, 4) for col, share in worst}
