"""Daily ingestion: delivered application and outcome files become validated raw partitions,
and applications become features."""

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import dagster as dg
import pyarrow as pa

from ml_platform_assets.assets.common import (
    asset_key,
    column_schema,
    compute,
    daily_partitions,
    ingestion_backfill_policy,
    ingestion_pool,
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
from ml_platform_assets.core.parsing import LandingFileError
from ml_platform_assets.core.quarantine import Validation, reason_counts
from ml_platform_assets.core.schemas import (
    application_schema,
    ingestion_code_version,
    outcome_schema,
)
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.spec_source import FilesSource
from ml_platform_assets.core.validation import read_table, validate_applications, validate_outcomes
from ml_platform_assets.landing import delivery_record
from resources.object_store import ObjectNotFound, ObjectStore
from resources.object_store_resource import ObjectStoreResource

Validator = Callable[[pa.Table, dt.date, str], Validation]
QUARANTINE_CHECK = "quarantine_share"


@dataclass
class _Landed:
    """A day's landing file as parsed, and the names to quote: the user's source file and the
    landing copy's URI."""

    rows: pa.Table | None  # None: no file was delivered for the day
    source: str
    uri: str | None
    sha256: str | None
    etag: str | None = None  # the store's tag of the file read (see ObjectStore.etag)


def _read_landing(store: ObjectStore, spec: ModelSpec, kind: str, day: dt.date) -> _Landed:
    for key in layout.landing_keys(spec.name, kind, day):
        if store.exists(key):
            # The tag before the bytes: a file replaced in between is then seen as changed by
            # the landing sensor, never as already ingested.
            etag = store.etag(key)
            data, uri = store.get_bytes(key), store.uri(key)
            sha = hashlib.sha256(data).hexdigest()
            record = delivery_record(store, spec.name, kind, day) or {}
            # Messages quote the user's own file when the record vouches for these bytes; a
            # file dropped straight into the landing zone is its own source.
            source = record["source"] if record.get("sha256") == sha else uri
            rows = read_table(data, source, spec, key.rsplit(".", 1)[-1])
            return _Landed(rows, source, uri, sha, etag)
    source = spec.data_source
    if not isinstance(source, FilesSource):
        expected = " or ".join(store.uri(k) for k in layout.landing_keys(spec.name, kind, day))
        raise LandingFileError(f"no {kind} file delivered for {day}: expected {expected}")
    if source.missing_days == "empty":
        return _Landed(None, f"no file delivered for {day}", None, None)
    raise LandingFileError(
        f"no {kind} file delivered for {day}: deliver it, start the run after it (--start), or "
        "set data_source.missing_days: empty to ingest such days as days without applications"
    )


@dataclass
class _DayResult:
    day: dt.date
    uri: str
    delivered_from: str
    valid: pa.Table
    quarantined: pa.Table
    delivered: int
    notes: dict[str, int]
    landing_sha256: str | None
    landing_etag: str | None

    @property
    def quarantine_share(self) -> float:
        return self.quarantined.num_rows / self.delivered if self.delivered else 0.0


def _ingest_day(
    store: ObjectStore,
    spec: ModelSpec,
    kind: str,
    validate: Validator,
    out_key: Callable[[str, dt.date], str],
    schema: pa.Schema,
    day: dt.date,
) -> _DayResult:
    """Validate one day's file and replace that day's partition and quarantine.

    A day without a file is an empty day (a feed that skips weekends and holidays), unless the
    spec's ``data_source.missing_days`` is ``fail``.
    """
    try:
        landed = _read_landing(store, spec, kind, day)
        if landed.rows is None:
            checked = Validation(schema.empty_table(), pa.table({}), {"no file delivered": 1})
        else:
            checked = validate(landed.rows, day, landed.source)
    except LandingFileError as exc:
        # A Failure shows the sentence in the UI instead of a traceback.
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    quarantine = layout.quarantine_key(spec.name, kind, day)
    bad = checked.quarantined
    if bad.num_rows == 0:
        store.delete(quarantine)  # a rerun of a now-clean file clears its old quarantine
    else:
        store.put_table(quarantine, bad)
    stored = store.put_table(out_key(spec.name, day), checked.valid)
    delivered = landed.rows.num_rows if landed.rows is not None else 0
    return _DayResult(
        day,
        stored.uri,
        landed.source,
        checked.valid,
        bad,
        delivered,
        checked.notes,
        landed.sha256,
        landed.etag,
    )


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
            "quarantine_share": float(r.quarantine_share),
            "quarantine_reasons": dg.MetadataValue.json(reason_counts(r.quarantined)),
            "notes": dg.MetadataValue.json(r.notes),
            "delivered_from": dg.MetadataValue.path(r.delivered_from),
            "uri": dg.MetadataValue.path(r.uri),
        }
        # What the file was: its sha256 for `ml-platform run`, its etag for the landing
        # sensor, which compares it with a listing instead of reading every file.
        if r.landing_sha256:
            metadata["landing_sha256"] = r.landing_sha256
        if r.landing_etag:
            metadata["landing_etag"] = r.landing_etag
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


def quarantine_check(spec: ModelSpec, key: dg.AssetKey, results: list[_DayResult]):
    """A warning-level check: the days whose quarantined share exceeds the spec's ceiling."""
    limit = spec.data_quality.max_quarantine_share
    over = [r for r in results if r.quarantine_share > limit]
    worst = sorted(over, key=lambda r: -r.quarantine_share)[:5]
    lines = [
        f"{r.day} ({r.delivered_from}): {r.quarantined.num_rows} of {r.delivered} rows "
        f"({r.quarantine_share:.0%}) quarantined, mostly {top_reasons(r.quarantined)}"
        for r in worst
    ]
    if over:
        description = (
            f"{len(over)} of {len(results)} day(s) quarantined more than {limit:.0%} of their "
            "rows: " + " | ".join(lines)
        )
    else:
        description = f"every one of {len(results)} day(s) quarantined at most {limit:.0%}"
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=QUARANTINE_CHECK,
        passed=not over,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "days_over_limit": len(over),
            "max_quarantine_share": float(max((r.quarantine_share for r in results), default=0)),
            "limit": float(limit),
        },
    )


def top_reasons(quarantined: pa.Table, n: int = 2) -> str:
    """'channel: unknown value (75); applied_at: ... (3)': the commonest reasons first."""
    counts = list(reason_counts(quarantined).items())[:n]
    return "; ".join(f"{reason} ({count})" for reason, count in counts)


def _check_spec(spec: ModelSpec, key: dg.AssetKey, what: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        QUARANTINE_CHECK,
        asset=key,
        description=f"No day quarantines more than data_quality.max_quarantine_share "
        f"({spec.data_quality.max_quarantine_share:.0%}) of its delivered {what}.",
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
        code_version=ingestion_code_version(spec, "applications"),
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
        check_specs=[_check_spec(spec, raw, "applications")],
        partitions_def=daily_partitions(spec),
        backfill_policy=ingestion_backfill_policy(),
        can_subset=True,
        op_tags=compute("ingestion"),
        pool=ingestion_pool(),
    )
    def applications(
        context: dg.AssetExecutionContext, object_store: ObjectStoreResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        store, selected = object_store.get_store(), context.selected_asset_keys

        def validate(frame, day, uri):
            return validate_applications(frame, spec, day, uri)

        def one_day(day: dt.date) -> tuple[_DayResult | None, FeatureDay | None]:
            ingested = None
            if raw in selected:
                ingested = _ingest_day(
                    store,
                    spec,
                    "applications",
                    validate,
                    layout.raw_key,
                    application_schema(spec),
                    day,
                )
            if features not in selected:
                return ingested, None
            rows = ingested.valid if ingested else _stored_raw(store, spec, day)
            return ingested, featurize_day(store, spec, day, rows)

        results = parallel_map(one_day, partition_days(context))
        if raw in selected:
            _record_days(context, raw, [r for r, _ in results])
            yield dg.MaterializeResult(asset_key=raw)
            if dg.AssetCheckKey(raw, QUARANTINE_CHECK) in context.selected_asset_check_keys:
                yield quarantine_check(spec, raw, [r for r, _ in results])
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

    key = asset_key(spec, "loan_outcomes")

    @dg.asset(
        key=key,
        code_version=ingestion_code_version(spec, "outcomes"),
        check_specs=[_check_spec(spec, key, "outcomes")],
        partitions_def=daily_partitions(spec),
        backfill_policy=ingestion_backfill_policy(),
        op_tags=compute("ingestion"),
        pool=ingestion_pool(),
        group_name=spec.name,
        kinds={"parquet", "pyarrow"},
        owners=owners(spec),
        description=f"Repayment outcomes of {spec.name} that became known on each day.",
        metadata={"dagster/column_schema": column_schema(outcome_schema(spec))},
    )
    def loan_outcomes(
        context: dg.AssetExecutionContext, object_store: ObjectStoreResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        def validate(frame, day, uri):
            return validate_outcomes(frame, spec, day, uri, date_column)

        store, schema = object_store.get_store(), outcome_schema(spec)
        results = parallel_map(
            lambda day: _ingest_day(
                store, spec, "outcomes", validate, layout.outcomes_key, schema, day
            ),
            partition_days(context),
        )
        _record_days(context, key, results)
        yield dg.MaterializeResult(asset_key=key)
        yield quarantine_check(spec, key, results)

    return loan_outcomes
