"""Daily drift of a model's production data against the training reference of its champion.

In a deployment the automation sensor asks for each day's report once that day's features are
materialized (``drift_report_condition``); a backlog of days is measured in ranged runs.
"""

import dagster as dg
import pandas as pd
from pydantic import Field

from ml_platform_assets.assets.common import (
    asset_key,
    daily_partitions,
    partition_days,
    refusals_as_failures,
    registry,
)
from ml_platform_assets.assets.policy import AssetPolicy
from ml_platform_assets.core.drift import DEFAULT_SAMPLE_ROWS
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.pages.drift import FULL_PRESET_ROWS, HTML_ROWS
from ml_platform_assets.services.drift import (
    DayDrift,
    PageOptions,
    champion_reference,
    measure_day,
)
from resources.database_resource import DatabaseResource
from resources.object_store_resource import ObjectStoreResource

MAX_RUN_DAYS = 31


class DriftReportConfig(dg.Config):
    """How much of each day is measured and drawn."""

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


def _scores_table(measured: DayDrift) -> dg.MetadataValue:
    """Columns by score relative to threshold, the drifted ones first.

    A score is a distance (drifts at or above its threshold) or a p-value (drifts below it);
    ``noise`` is the distance two calm samples of these sizes would show, which chose the test.
    """
    rows = sorted(measured.result.columns, key=lambda c: (not c.drifted, -c.severity))

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


def _metadata(spec: ModelSpec, measured: DayDrift) -> dict:
    result = measured.result
    if result is None:
        return {"rows_current": 0, "champion_version": measured.champion}
    metadata = {
        "drift_share": float(result.share),
        "drifted_columns": len(result.drifted_columns),
        "drifted_column_names": dg.MetadataValue.json(result.drifted_columns),
        "columns_without_values": dg.MetadataValue.json(result.columns_without_values),
        "dataset_drift": result.share >= spec.drift.share_threshold,
        "share_threshold": float(spec.drift.share_threshold),
        "column_scores": _scores_table(measured),
        "champion_version": measured.champion,
        "rows_current": result.rows_current,
        "rows_reference": result.rows_reference,
        "rows_compared": dg.MetadataValue.json(list(result.rows_compared)),
    }
    uris = {f"{name}_uri": dg.MetadataValue.path(uri) for name, uri in measured.uris.items()}
    return metadata | uris


def _log(context: dg.AssetExecutionContext, spec: ModelSpec, measured: DayDrift) -> None:
    day, result, champion = measured.day, measured.result, measured.champion
    if result is None:
        context.log.info(f"{spec.name} {day}: no applications, so no drift was measured")
        return
    if result.columns_without_values:
        context.log.warning(
            f"{spec.name} {day}: no values at all in "
            f"{', '.join(result.columns_without_values)}; counted as drifted"
        )
    context.log.info(
        f"{spec.name} {day}: drift share {result.share:.1%} against v{champion} "
        f"({', '.join(result.drifted_columns) or 'no column drifted'})"
    )


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


def build_drift_report(spec: ModelSpec, policy: AssetPolicy) -> dg.AssetsDefinition:
    """``drift_report`` of ``spec``, one partition per day."""

    @dg.asset(
        key=asset_key(spec, "drift_report"),
        # The champion is an input of every day's report: the lineage shows the loop.
        deps=[asset_key(spec, "features"), asset_key(spec, "deployed_model")],
        partitions_def=daily_partitions(spec),
        # A backlog of new days is measured in runs of up to a month, Evidently loaded once.
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_RUN_DAYS),
        automation_condition=drift_report_condition(spec),
        op_tags=policy.op_tags("drift"),
        kinds={"evidently", "json", "html"},
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
        options = PageOptions(config.sample_rows, config.html_rows, config.full_preset_page)
        with refusals_as_failures():
            reference = champion_reference(store, reg, spec)
            for day in partition_days(context):
                measured = measure_day(
                    store, reg, spec, day, reference, options, context.run.run_id
                )
                _log(context, spec, measured)
                context.add_asset_metadata(_metadata(spec, measured), partition_key=day.isoformat())
        return dg.MaterializeResult()

    return drift_report
