"""Daily feature partitions, computed by the same functions the online scorer uses."""

import dagster as dg

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
from ml_platform_assets.core.features import build_features, features_code_version
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
    )
    def features(
        context: dg.AssetExecutionContext, object_store: ObjectStoreResource
    ) -> dg.MaterializeResult:
        store = object_store.get_store()

        def featurize(day):
            table = build_features(store.get_table(layout.raw_key(spec.name, day)), spec)
            return table, store.put_table(layout.features_key(spec.name, day), table).uri

        results = parallel_map(featurize, partition_days(context))
        rows = sum(table.num_rows for table, _ in results)
        table, uri = results[-1]
        frame = table.to_pandas()  # one day, for the metadata
        missing = frame[spec.model_features].isna().mean().sort_values(ascending=False)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "days": len(context.partition_keys),
                "uri": dg.MetadataValue.path(uri),
                "features": len(spec.model_features),
                "missing_share_top": dg.MetadataValue.json(missing.head(5).round(4).to_dict()),
                "preview": preview(table),
                "dagster/column_schema": column_schema(table),
            }
        )

    return features
