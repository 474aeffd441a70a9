"""Daily drift of a model's production data against the training reference of its champion.

In a deployment the automation sensor asks for each day's report once that day's features are
materialized (``drift_report_condition``); a backlog of days is measured in ranged runs.
"""

import datetime as dt
from dataclasses import asdict

import dagster as dg
import pandas as pd
from pydantic import Field

from ml_platform_assets.assets.common import (
    asset_key,
    compute,
    daily_partitions,
    owners,
    partition_days,
    registry,
)
from ml_platform_assets.core import layout
from ml_platform_assets.core.drift import DEFAULT_SAMPLE_ROWS, DriftResult, measure_drift
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.pages.drift import (
    FULL_PRESET_ROWS,
    HTML_ROWS,
    render_drift_html,
    render_full_preset_html,
)
from ml_platform_assets.registry.drift import DriftStore
from resources.database import DatabaseResource
from resources.object_store import ObjectNotFound, ObjectStore
from resources.object_store_resource import ObjectStoreResource

MAX_RUN_DAYS = 31


class DriftReportConfig(dg.Config):
    sample_rows: int = Field(
        default=DEFAULT_SAMPLE_ROWS,
        description="Most rows compared per side; a score too close to its threshold to "
        "decide from the sample is recomputed on all rows.",
    )
    html_rows: int = Field(
        default=HTML_ROWS,
        description="Rows per side drawn for the distributions on drift.html, a small page with "
        "each column's test, score, threshold and decision; 0 skips the page.",
    )
    full_preset_page: bool = Field(
        default=False,
        description="Also write Evidently's full DataDriftPreset page as drift_full.html, drawn "
        f"from {FULL_PRESET_ROWS:,} rows per side (seconds and megabytes a day).",
    )


def _read(store: ObjectStore, key: str, what: str) -> pd.DataFrame:
    try:
        return store.get_parquet(key)
    except ObjectNotFound as exc:
        raise dg.Failure(f"{what} is missing: {exc}", allow_retries=False) from exc


def _scores_table(result: DriftResult) -> dg.MetadataValue:
    """Columns by score relative to threshold, the drifted ones first.

    A score is a distance (drifts at or above its threshold) or a p-value (drifts below it);
    ``noise`` is the distance two calm samples of these sizes would show, which chose the test.
    """
    rows = sorted(result.columns, key=lambda c: (not c.drifted, -c.severity))

    def fmt(value: float | None) -> float | None:
        return None if value is None else float(f"{value:.4g}")

    table = pd.DataFrame(
        {
            "column": [c.column for c in rows],
            "method": [c.method for c in rows],
            "score": [fmt(c.score) for c in rows],
            "threshold": [fmt(c.threshold) for c in rows],
            "drifted": ["yes" if c.drifted else "" for c in rows],
            "noise": [fmt(c.noise) for c in rows],
            "error_bound": [round(c.error_bound, 4) for c in rows],
        }
    )
    return dg.MetadataValue.md(table.to_markdown(index=False))


def _metadata(spec: ModelSpec, result: DriftResult, champion: int, uris: dict) -> dict:
    metadata = {
        "drift_share": float(result.share),
        "drifted_columns": len(result.drifted_columns),
        "drifted_column_names": dg.MetadataValue.json(result.drifted_columns),
        "columns_without_values": dg.MetadataValue.json(result.columns_without_values),
        "dataset_drift": result.share >= spec.drift.share_threshold,
        "share_threshold": float(spec.drift.share_threshold),
        "column_scores": _scores_table(result),
        "champion_version": champion,
        "rows_current": result.rows_current,
        "rows_reference": result.rows_reference,
        "rows_compared": dg.MetadataValue.json(list(result.rows_compared)),
    }
    return metadata | {f"{name}_uri": dg.MetadataValue.path(uri) for name, uri in uris.items()}


def _publish(
    store: ObjectStore,
    spec: ModelSpec,
    day: dt.date,
    champion: int,
    result: DriftResult,
    reference_key: str,
) -> dict[str, str]:
    """Writes drift.json (the result and what it compared) and returns its URI by name."""
    payload = result.to_dict() | {
        "model": spec.name,
        "day": day.isoformat(),
        "champion_version": champion,
        "share_threshold": spec.drift.share_threshold,
        "reference_uri": store.uri(reference_key),
        "current_uri": store.uri(layout.features_key(spec.name, day)),
    }
    return {"json": store.put_json(layout.drift_key(spec.name, day, "drift.json"), payload).uri}


def _report_day(
    context: dg.AssetExecutionContext,
    config: DriftReportConfig,
    store: ObjectStore,
    drift: DriftStore,
    spec: ModelSpec,
    day: dt.date,
    champion: int,
    reference_key: str,
    reference: pd.DataFrame,
) -> dict:
    """Measures one day against the champion's reference, records and publishes it; returns the
    day's metadata."""
    # The day's application features stand for production data until the decision log exists.
    current = _read(store, layout.features_key(spec.name, day), f"Features of {day}")
    if current.empty:
        # A weekend or holiday of a feed that skips them: nothing to compare, and no result
        # is recorded, so the day neither raises nor clears a drift streak's share.
        context.log.info(f"{spec.name} {day}: no applications, so no drift was measured")
        return {"rows_current": 0, "champion_version": champion}
    result = measure_drift(
        reference, current, spec, sample_rows=config.sample_rows, seed=day.toordinal()
    )
    uris = _publish(store, spec, day, champion, result, reference_key)
    # Recorded before the page is drawn: the decision never depends on the page.
    drift.record_result(
        spec.name,
        day,
        champion,
        share=result.share,
        drifted_columns=result.drifted_columns,
        columns=[asdict(c) for c in result.columns],
        rows_reference=result.rows_reference,
        rows_current=result.rows_current,
        report_uri=uris["json"],
        run_id=context.run.run_id,
    )
    if config.html_rows > 0:
        page = render_drift_html(
            reference,
            current,
            spec,
            rows=config.html_rows,
            seed=day.toordinal(),
            result=result,
            title=f"Data drift of {spec.name} on {day} against v{champion}",
        )
        uris["html"] = store.put_bytes(
            layout.drift_key(spec.name, day, "drift.html"), page.encode()
        ).uri
    if config.full_preset_page:
        page = render_full_preset_html(
            reference, current, spec, seed=day.toordinal(), result=result
        )
        uris["html_full"] = store.put_bytes(
            layout.drift_key(spec.name, day, "drift_full.html"), page.encode()
        ).uri
    if result.columns_without_values:
        context.log.warning(
            f"{spec.name} {day}: no values at all in "
            f"{', '.join(result.columns_without_values)}; counted as drifted"
        )
    context.log.info(
        f"{spec.name} {day}: drift share {result.share:.1%} against v{champion} "
        f"({', '.join(result.drifted_columns) or 'no column drifted'})"
    )
    return _metadata(spec, result, champion, uris)


def drift_report_condition(spec: ModelSpec) -> dg.AutomationCondition:
    """When the automation sensor asks for a day's drift report: the day's features were
    materialized since the report was last requested or made, and neither they nor the champion
    are missing or being made. A new champion alone asks for nothing: past days keep the report
    measured against the champion of their time."""
    champion = dg.AssetSelection.assets(asset_key(spec, "deployed_model"))
    return (
        dg.AutomationCondition.any_deps_updated().ignore(champion).since_last_handled()
        & ~dg.AutomationCondition.any_deps_missing()
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    ).with_label("the day's features are new and a champion exists")


def build_drift_report(spec: ModelSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=asset_key(spec, "drift_report"),
        # The champion is an input of every day's report: the lineage shows the loop.
        deps=[asset_key(spec, "features"), asset_key(spec, "deployed_model")],
        partitions_def=daily_partitions(spec),
        # A backlog of new days is measured in runs of up to a month, Evidently loaded once.
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_RUN_DAYS),
        automation_condition=drift_report_condition(spec),
        op_tags=compute("drift"),
        group_name=spec.name,
        kinds={"evidently", "json", "html"},
        owners=owners(spec),
        description=f"How far each day's {spec.name} applications have drifted from the data "
        "the champion was trained on, column by column (Evidently); the drift retrain sensor "
        "decides on these results.",
    )
    def drift_report(
        context: dg.AssetExecutionContext,
        config: DriftReportConfig,
        object_store: ObjectStoreResource,
        database: DatabaseResource,
    ) -> dg.MaterializeResult:
        store, reg = object_store.get_store(), registry(database)
        champion = reg.champion(spec.name)
        if champion is None:
            # Drift is measured against what the champion learned from; without one, there is
            # no reference, and recording "no drift" would be a false statement.
            raise dg.Failure(
                f"{spec.name} has no champion yet: drift is measured against the champion's "
                "training data, so train and promote a model first.",
                allow_retries=False,
            )
        key = layout.model_artifact_key(spec.name, champion.version, "reference.parquet")
        reference = _read(store, key, f"The reference sample of champion v{champion.version}")
        drift = DriftStore(reg.engine)
        for day in partition_days(context):
            metadata = _report_day(
                context, config, store, drift, spec, day, champion.version, key, reference
            )
            context.add_asset_metadata(metadata, partition_key=day.isoformat())
        return dg.MaterializeResult()

    return drift_report
