"""Daily ingestion: delivered application and outcome files become validated raw partitions,
and applications become features."""

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

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
from ml_platform_assets.assets.features import (
    FeatureDay,
    features_spec,
    featurize_day,
    record_feature_days,
)
from ml_platform_assets.core import layout
from ml_platform_assets.core.spec import FilesSource, ModelSpec
from ml_platform_assets.core.validation import (
    LandingFileError,
    application_schema,
    outcome_schema,
    read_table,
    reason_counts,
    validate_applications,
    validate_outcomes,
)
from resources.object_store import ObjectNotFound, ObjectStore, ObjectStoreResource

Validator = Callable[[pa.Table, dt.date, str], tuple[pa.Table, pa.Table]]


def _read_landing(store: ObjectStore, model: str, kind: str, day: dt.date) -> tuple[pa.Table, str]:
    for key in layout.landing_keys(model, kind, day):
        if store.exists(key):
            uri = store.uri(key)
            return read_table(store.get_bytes(key), uri), uri
    expected = " or ".join(store.uri(k) for k in layout.landing_keys(model, kind, day))
    raise LandingFileError(f"no {kind} file delivered for {day}: expected {expected}")


@dataclass
class _DayResult:
    day: dt.date
    uri: str
    delivered_from: str
    valid: pa.Table
    quarantined: pa.Table
    delivered: int


def _ingest_day(
    store: ObjectStore,
    spec: ModelSpec,
    kind: str,
    validate: Validator,
    out_key: Callable[[str, dt.date], str],
    day: dt.date,
) -> _DayResult:
    """Validate one day's file and replace that day's partition and quarantine."""
    try:
        frame, source = _read_landing(store, spec.name, kind, day)
        valid, bad = validate(frame, day, source)
    except LandingFileError as exc:
        # A Failure shows the sentence in the UI instead of a traceback.
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    quarantine = layout.quarantine_key(spec.name, kind, day)
    if bad.num_rows == 0:
        store.delete(quarantine)  # a rerun of a now-clean file clears its old quarantine
    else:
        store.put_table(quarantine, bad)
    stored = store.put_table(out_key(spec.name, day), valid)
    return _DayResult(day, stored.uri, source, valid, bad, frame.num_rows)


def _record_days(
    context: dg.AssetExecutionContext, key: dg.AssetKey, results: list[_DayResult]
) -> None:
    """Give each partition its own day's counts, reasons and URIs; a preview rides on the
    run's last day only."""
    for r in results:
        quarantined = r.quarantined.num_rows
        if quarantined:
            context.log.warning(f"{r.delivered_from}: {quarantined} row(s) quarantined")
        metadata = {
            "dagster/row_count": r.valid.num_rows,
            "rows_delivered": r.delivered,
            "rows_quarantined": quarantined,
            "quarantine_reasons": dg.MetadataValue.json(reason_counts(r.quarantined)),
            "delivered_from": dg.MetadataValue.path(r.delivered_from),
            "uri": dg.MetadataValue.path(r.uri),
        }
        if r is results[-1]:
            metadata["preview"] = preview(r.valid)
        context.add_asset_metadata(metadata, asset_key=key, partition_key=r.day.isoformat())
    if len(results) > 1:
        valid = sum(r.valid.num_rows for r in results)
        quarantined = sum(r.quarantined.num_rows for r in results)
        context.log.info(
            f"{key.to_user_string()}: {len(results)} days, {valid} valid row(s), "
            f"{quarantined} quarantined"
        )


def _stored_raw(store: ObjectStore, spec: ModelSpec, day: dt.date) -> pa.Table:
    try:
        return store.get_table(layout.raw_key(spec.name, day))
    except ObjectNotFound as exc:
        raise dg.Failure(
            description=f"features of {day} need raw_applications of {day}, which is not "
            f"materialized ({exc})",
            allow_retries=False,
        ) from exc


def build_applications(spec: ModelSpec) -> dg.AssetsDefinition:
    """raw_applications and features in one step per run, each a partitioned asset of its own.

    A day's validated rows are featurized while still in memory rather than read back from the
    raw zone. Either asset can be materialized alone: features alone read the stored raw days.
    """
    raw, features = asset_key(spec, "raw_applications"), asset_key(spec, "features")
    raw_spec = dg.AssetSpec(
        raw,
        group_name=spec.name,
        kinds={"parquet", "pyarrow"},
        owners=owners(spec),
        description=f"Validated loan applications of {spec.name}, one partition per day; rows "
        "that break the spec are quarantined with a reason.",
        metadata={"dagster/column_schema": column_schema(application_schema(spec))},
    )

    @dg.multi_asset(
        name=f"{spec.name}__applications",
        specs=[raw_spec, features_spec(spec, raw)],
        partitions_def=daily_partitions(spec),
        backfill_policy=dg.BackfillPolicy.single_run(),
        can_subset=True,
    )
    def applications(
        context: dg.AssetExecutionContext, object_store: ObjectStoreResource
    ) -> Iterator[dg.MaterializeResult]:
        store, selected = object_store.get_store(), context.selected_asset_keys

        def validate(frame, day, uri):
            return validate_applications(frame, spec, day, uri)

        def one_day(day: dt.date) -> tuple[_DayResult | None, FeatureDay | None]:
            ingested = None
            if raw in selected:
                ingested = _ingest_day(store, spec, "applications", validate, layout.raw_key, day)
            if features not in selected:
                return ingested, None
            rows = ingested.valid if ingested else _stored_raw(store, spec, day)
            return ingested, featurize_day(store, spec, day, rows)

        results = parallel_map(one_day, partition_days(context))
        if raw in selected:
            _record_days(context, raw, [r for r, _ in results])
            yield dg.MaterializeResult(asset_key=raw)
        if features in selected:
            record_feature_days(context, features, spec, [f for _, f in results])
            yield dg.MaterializeResult(asset_key=features)

    return applications


def build_loan_outcomes(spec: ModelSpec) -> dg.AssetsDefinition:
    date_column = (
        spec.data_source.outcome_date_column
        if isinstance(spec.data_source, FilesSource)
        else "outcome_date"
    )

    @dg.asset(
        key=asset_key(spec, "loan_outcomes"),
        partitions_def=daily_partitions(spec),
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name=spec.name,
        kinds={"parquet", "pyarrow"},
        owners=owners(spec),
        description=f"Repayment outcomes of {spec.name} that became known on each day.",
        metadata={"dagster/column_schema": column_schema(outcome_schema(spec))},
    )
    def loan_outcomes(
        context: dg.AssetExecutionContext, object_store: ObjectStoreResource
    ) -> dg.MaterializeResult:
        def validate(frame, day, uri):
            return validate_outcomes(frame, spec, day, uri, date_column)

        store = object_store.get_store()
        results = parallel_map(
            lambda day: _ingest_day(store, spec, "outcomes", validate, layout.outcomes_key, day),
            partition_days(context),
        )
        _record_days(context, context.asset_key, results)
        return dg.MaterializeResult()

    return loan_outcomes
