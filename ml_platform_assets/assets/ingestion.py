"""Daily ingestion: delivered application and outcome files become validated raw partitions."""

import datetime as dt
from collections.abc import Callable
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
from resources.object_store import ObjectStore, ObjectStoreResource

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


def _ingest_days(
    context: dg.AssetExecutionContext,
    store: ObjectStore,
    spec: ModelSpec,
    kind: str,
    validate: Validator,
    out_key: Callable[[str, dt.date], str],
) -> dg.MaterializeResult:
    """Ingest every day of the run; days are independent, so they run side by side.

    Each partition's materialization carries that day's own counts, reasons and URIs; a
    preview of the rows rides on the run's last day only.
    """
    results = parallel_map(
        lambda day: _ingest_day(store, spec, kind, validate, out_key, day),
        partition_days(context),
    )
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
        context.add_asset_metadata(metadata, partition_key=r.day.isoformat())
    if len(results) > 1:
        valid = sum(r.valid.num_rows for r in results)
        quarantined = sum(r.quarantined.num_rows for r in results)
        context.log.info(f"{len(results)} days: {valid} valid row(s), {quarantined} quarantined")
    return dg.MaterializeResult()


def build_raw_applications(spec: ModelSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=asset_key(spec, "raw_applications"),
        partitions_def=daily_partitions(spec),
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name=spec.name,
        kinds={"parquet", "pyarrow"},
        owners=owners(spec),
        description=f"Validated loan applications of {spec.name}, one partition per day; rows "
        "that break the spec are quarantined with a reason.",
        metadata={"dagster/column_schema": column_schema(application_schema(spec))},
    )
    def raw_applications(
        context: dg.AssetExecutionContext, object_store: ObjectStoreResource
    ) -> dg.MaterializeResult:
        def validate(frame, day, uri):
            return validate_applications(frame, spec, day, uri)

        return _ingest_days(
            context, object_store.get_store(), spec, "applications", validate, layout.raw_key
        )

    return raw_applications


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

        return _ingest_days(
            context, object_store.get_store(), spec, "outcomes", validate, layout.outcomes_key
        )

    return loan_outcomes
