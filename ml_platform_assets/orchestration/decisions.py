"""People's decisions on the asset graph: a champion moved outside a run is recorded as a
materialization of ``deployed_model``, so the asset's history in the Dagster UI shows it beside
the runs' decisions."""

import dagster as dg

from ml_platform_assets.assets.deployment import decision_metadata
from ml_platform_assets.registry import ModelRegistry
from ml_platform_assets.services.promotion import Decision


def record_decision(
    instance: dg.DagsterInstance, registry: ModelRegistry, decision: Decision
) -> None:
    """Reports ``decision`` (an approval, override or rollback) as a runless materialization
    of its model's ``deployed_model``."""
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=[decision.model, "deployed_model"],
            metadata=decision_metadata(registry, decision),
        )
    )
