"""The promotion decision: a challenger that passed every gate becomes the champion."""

import dagster as dg

from ml_platform_assets.assets.common import MANIFEST_IO, asset_key, owners, registry
from ml_platform_assets.core.gates import GateResult, failed_summary
from ml_platform_assets.core.spec import ModelSpec
from resources.database import DatabaseResource


def promotion_reason(evaluation: dict) -> str:
    """The sentence recorded with the alias move."""
    passed = "; ".join(g["description"] for g in evaluation["gates"])
    return f"v{evaluation['version']} passed every promotion gate: {passed}"


def build_deployed_model(spec: ModelSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=asset_key(spec, "deployed_model"),
        ins={"model_evaluation": dg.AssetIn(asset_key(spec, "model_evaluation"))},
        io_manager_key=MANIFEST_IO,
        group_name=spec.name,
        kinds={"lightgbm"},
        owners=owners(spec),
        description=f"The {spec.name} champion serving decisions: the registry's champion alias, "
        "moved only for a challenger that passed every gate; the previous one stays for rollback.",
    )
    def deployed_model(
        context: dg.AssetExecutionContext, model_evaluation: dict, database: DatabaseResource
    ) -> dg.Output[dict]:
        reg = registry(database)
        version = model_evaluation["version"]
        if not model_evaluation["passed"]:
            # Reached only by materializing this asset alone: the gates still decide.
            gates = [GateResult(**g) for g in model_evaluation["gates"]]
            current = reg.champion(spec.name)
            raise dg.Failure(
                f"{spec.name} v{version} cannot be deployed: {failed_summary(gates)}; "
                f"champion stays {f'v{current.version}' if current else 'unset'}"
            )
        current = reg.champion(spec.name)
        previous = current.version if current else None
        if previous != version:
            reg.promote(
                spec.name,
                version,
                reason=promotion_reason(model_evaluation),
                actor=f"dagster run {context.run.run_id}",
            )
            was = f"v{previous}" if previous else "none"
            context.log.info(f"{spec.name}: champion moved from {was} to v{version}")
        champion = reg.champion(spec.name)
        manifest = {
            "model": spec.name,
            "champion_version": champion.version,
            "previous_version": previous,
            "artifact_uri": champion.artifact_uri,
            "model_sha256": champion.model_sha256,
        }
        return dg.Output(
            manifest,
            metadata={
                "champion_version": champion.version,
                "previous_version": previous if previous is not None else "none",
                "artifact_uri": dg.MetadataValue.path(champion.artifact_uri),
                "model_sha256": champion.model_sha256,
                "auc": float(model_evaluation["metrics"]["auc"]),
                "ks": float(model_evaluation["metrics"]["ks"]),
            },
        )

    return deployed_model
