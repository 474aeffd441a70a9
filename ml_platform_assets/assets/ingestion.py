"""Daily ingestion: delivered application and outcome files become validated raw partitions,
and applications become features, in one step per run (a day's validated rows are featurized
while still in memory). Either applications asset can be materialized alone: features alone
read the stored raw days.
"""

from collections.abc import Iterator

import dagster as dg

from ml_platform_assets.assets.common import (
    asset_key,
    column_schema,
    daily_partitions,
    partition_days,
    preview,
    refusals_as_failures,
)
from ml_platform_assets.assets.policy import AssetPolicy
from ml_platform_assets.core.features import feature_schema, features_code_version
from ml_platform_assets.core.quarantine import reason_counts
from ml_platform_assets.core.schemas import (
    application_schema,
    ingestion_code_version,
    outcome_schema,
)
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.services.ingestion import (
    FeatureDay,
    IngestedDay,
    featurize_day,
    ingest_day,
    quarantine_verdict,
)
from ml_platform_assets.services.parallel import parallel_map
from resources.object_store_resource import ObjectStoreResource

QUARANTINE_CHECK = "quarantine_share"


def _record_days(
    context: dg.AssetExecutionContext, key: dg.AssetKey, days: list[IngestedDay]
) -> None:
    """Each partition's own counts, reasons and URIs; a preview rides on the last day only."""
    for day in days:
        if day.quarantined.num_rows:
            context.log.warning(
                f"{day.delivered_from}: {day.quarantined.num_rows} row(s) quarantined"
            )
        metadata = {
            "dagster/row_count": day.valid.num_rows,
            "rows_delivered": day.delivered,
            "rows_quarantined": day.quarantined.num_rows,
            "quarantine_share": float(day.quarantine_share),
            "quarantine_reasons": dg.MetadataValue.json(reason_counts(day.quarantined)),
            "notes": dg.MetadataValue.json(day.notes),
            "delivered_from": dg.MetadataValue.path(day.delivered_from),
            "uri": dg.MetadataValue.path(day.uri),
        }
        # What the file was: its sha256 for `ml-platform run`, its etag for the landing
        # sensor, which compares it with a listing instead of reading every file.
        if day.landing_sha256:
            metadata["landing_sha256"] = day.landing_sha256
        if day.landing_etag:
            metadata["landing_etag"] = day.landing_etag
        if day is days[-1]:
            metadata["preview"] = preview(day.valid)
        context.add_asset_metadata(metadata, asset_key=key, partition_key=day.day.isoformat())


def _record_features(
    context: dg.AssetExecutionContext, key: dg.AssetKey, spec: ModelSpec, days: list[FeatureDay]
) -> None:
    """Each partition's rows, URI and most-missing features; a preview on the last day only."""
    for f in days:
        rows = max(f.table.num_rows, 1)
        shares = {col: f.table[col].null_count / rows for col in spec.model_features}
        worst = sorted(shares.items(), key=lambda kv: -kv[1])[:5]
        metadata = {
            "dagster/row_count": f.table.num_rows,
            "uri": dg.MetadataValue.path(f.uri),
            "missing_share_top": dg.MetadataValue.json({c: round(s, 4) for c, s in worst}),
        }
        if f is days[-1]:
            metadata["preview"] = preview(f.table)
        context.add_asset_metadata(metadata, asset_key=key, partition_key=f.day.isoformat())


def quarantine_check(
    spec: ModelSpec, key: dg.AssetKey, days: list[IngestedDay]
) -> dg.AssetCheckResult:
    """A warning-level check: the days whose quarantined share exceeds the spec's ceiling."""
    passed, description, over, largest = quarantine_verdict(spec, days)
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=QUARANTINE_CHECK,
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "days_over_limit": over,
            "max_quarantine_share": largest,
            "limit": float(spec.data_quality.max_quarantine_share),
        },
    )


def _check_spec(spec: ModelSpec, key: dg.AssetKey, what: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        QUARANTINE_CHECK,
        asset=key,
        description=f"No day quarantines more than data_quality.max_quarantine_share "
        f"({spec.data_quality.max_quarantine_share:.0%}) of its delivered {what}.",
    )


def build_applications(spec: ModelSpec, policy: AssetPolicy) -> dg.AssetsDefinition:
    """``raw_applications`` and ``features``, each a daily partitioned asset of its own."""
    raw, features = asset_key(spec, "raw_applications"), asset_key(spec, "features")
    raw_spec = dg.AssetSpec(
        raw,
        code_version=ingestion_code_version(spec, "applications"),
        kinds={"parquet", "pyarrow"},
        description=f"Validated loan applications of {spec.name}, one partition per day; rows "
        "that break the spec are quarantined with a reason.",
        metadata={"dagster/column_schema": column_schema(application_schema(spec))},
    )
    features_spec = dg.AssetSpec(
        features,
        deps=[raw],
        code_version=features_code_version(spec),
        kinds={"parquet", "pyarrow"},
        description=f"Model features of {spec.name} per application day, computed by the "
        "functions that score one application the same way.",
        metadata={
            "dagster/column_schema": column_schema(feature_schema(spec)),
            "features": len(spec.model_features),
        },
    )

    @dg.multi_asset(
        name=f"{spec.name}__applications",
        specs=[raw_spec, features_spec],
        check_specs=[_check_spec(spec, raw, "applications")],
        partitions_def=daily_partitions(spec),
        backfill_policy=policy.ingestion_backfill_policy(),
        can_subset=True,
        op_tags=policy.op_tags("ingestion"),
        pool=policy.ingestion_pool(),
    )
    def applications(
        context: dg.AssetExecutionContext, object_store: ObjectStoreResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        store, selected = object_store.get_store(), context.selected_asset_keys

        def one_day(day) -> tuple[IngestedDay | None, FeatureDay | None]:
            ingested = ingest_day(store, spec, "applications", day) if raw in selected else None
            if features not in selected:
                return ingested, None
            return ingested, featurize_day(store, spec, day, ingested.valid if ingested else None)

        with refusals_as_failures():
            results = parallel_map(one_day, partition_days(context))
        if raw in selected:
            _record_days(context, raw, [r for r, _ in results])
            yield dg.MaterializeResult(asset_key=raw)
            if dg.AssetCheckKey(raw, QUARANTINE_CHECK) in context.selected_asset_check_keys:
                yield quarantine_check(spec, raw, [r for r, _ in results])
        if features in selected:
            _record_features(context, features, spec, [f for _, f in results])
            yield dg.MaterializeResult(asset_key=features)

    return applications


def build_loan_outcomes(spec: ModelSpec, policy: AssetPolicy) -> dg.AssetsDefinition:
    """``loan_outcomes``: the repayment outcomes that became known each day."""
    key = asset_key(spec, "loan_outcomes")

    @dg.asset(
        key=key,
        code_version=ingestion_code_version(spec, "outcomes"),
        check_specs=[_check_spec(spec, key, "outcomes")],
        partitions_def=daily_partitions(spec),
        backfill_policy=policy.ingestion_backfill_policy(),
        op_tags=policy.op_tags("ingestion"),
        pool=policy.ingestion_pool(),
        kinds={"parquet", "pyarrow"},
        description=f"Repayment outcomes of {spec.name} that became known on each day.",
        metadata={"dagster/column_schema": column_schema(outcome_schema(spec))},
    )
    def loan_outcomes(
        context: dg.AssetExecutionContext, object_store: ObjectStoreResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        store = object_store.get_store()
        with refusals_as_failures():
            days = parallel_map(
                lambda day: ingest_day(store, spec, "outcomes", day), partition_days(context)
            )
        _record_days(context, key, days)
        yield dg.MaterializeResult(asset_key=key)
        yield quarantine_check(spec, key, days)

    return loan_outcomes
