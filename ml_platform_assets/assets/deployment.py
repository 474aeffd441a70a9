"""The deployment decision: a challenger that passed every gate becomes the champion (or waits
for a reviewer when the spec asks for one), and its report is completed with the decision."""

import dagster as dg

from ml_platform_assets.assets.common import (
    MANIFEST_IO,
    asset_key,
    refusals_as_failures,
    registry,
)
from ml_platform_assets.assets.policy import AssetPolicy
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.registry import ModelRegistry
from ml_platform_assets.services.manifests import (
    MANIFEST_VERSION,
    DeploymentManifest,
    EvaluationManifest,
)
from ml_platform_assets.services.promotion import Decision, decide_deployment
from resources.database_resource import DatabaseResource
from resources.object_store_resource import ObjectStoreResource


def ledger_metadata(registry: ModelRegistry, model: str, version: int) -> dg.MetadataValue:
    """The version's ledger records as the UI shows them: sequence, event and sha256."""
    return dg.MetadataValue.json(
        [
            {
                "record": r.sequence,
                "event": r.event_type,
                "actor": r.actor,
                "at": r.created_at.isoformat(timespec="seconds"),
                "sha256": r.record_sha256,
            }
            for r in registry.audit_history(model, version=version)
        ]
    )


def decision_metadata(registry: ModelRegistry, decision: Decision) -> dict:
    """What ``deployed_model`` shows of a decision, whether a run or a person made it."""
    champion = decision.champion
    metadata = {
        "decision": decision.decision,
        "champion_version": champion.version if champion else "none",
        "previous_version": decision.previous if decision.previous is not None else "none",
        "model_document": dg.MetadataValue.path(decision.document.uri),
        "ledger_records": ledger_metadata(registry, decision.model, decision.version),
    }
    if decision.decision == "pending_approval":
        metadata["awaiting_version"] = decision.version
    if champion is not None:
        metadata["artifact_uri"] = dg.MetadataValue.path(champion.artifact_uri)
        metadata["model_sha256"] = champion.model_sha256
    if decision.move is not None:
        metadata["decided_by"] = decision.move.actor
        metadata["reason"] = decision.move.reason
    if decision.report is not None:
        metadata["report_sha256"] = decision.report.sha256
    return metadata


def _manifest(decision: Decision) -> DeploymentManifest:
    champion = decision.champion
    manifest: DeploymentManifest = {
        "record_version": MANIFEST_VERSION,
        "model": decision.model,
        "champion_version": champion.version if champion else None,
        "previous_version": decision.previous,
        "artifact_uri": champion.artifact_uri if champion else None,
        "model_sha256": champion.model_sha256 if champion else None,
        "decision": decision.decision,
    }
    if decision.decision == "pending_approval":
        manifest["awaiting_version"] = decision.version
    return manifest


def build_deployed_model(spec: ModelSpec, policy: AssetPolicy) -> dg.AssetsDefinition:
    """``deployed_model`` of ``spec``: the registry's champion after each decision."""

    @dg.asset(
        key=asset_key(spec, "deployed_model"),
        ins={"model_evaluation": dg.AssetIn(asset_key(spec, "model_evaluation"))},
        io_manager_key=MANIFEST_IO,
        op_tags=policy.op_tags("deployment"),
        kinds={"lightgbm"},
        description=f"The {spec.name} champion serving decisions: the registry's champion alias, "
        "moved only for a challenger that passed every gate; the previous one stays for rollback.",
    )
    def deployed_model(
        context: dg.AssetExecutionContext,
        model_evaluation: EvaluationManifest,
        object_store: ObjectStoreResource,
        database: DatabaseResource,
    ) -> dg.Output[DeploymentManifest]:
        reg = registry(database)
        with refusals_as_failures():
            decision = decide_deployment(
                object_store.get_store(), reg, spec, model_evaluation, context.run.run_id
            )
        version = decision.version
        if decision.decision == "pending_approval":
            context.log.info(
                f"{spec.name} v{version} passed every gate and awaits a reviewer: "
                f"ml-platform approve {spec.name} {version} --reviewer NAME --note TEXT"
            )
        elif decision.previous != version and decision.decision == "promoted":
            was = f"v{decision.previous}" if decision.previous else "none"
            context.log.info(f"{spec.name}: champion moved from {was} to v{version}")
        metadata = decision_metadata(reg, decision)
        if decision.decision == "promoted":
            metadata["auc"] = float(model_evaluation["metrics"]["auc"])
            metadata["ks"] = float(model_evaluation["metrics"]["ks"])
            metadata["report_uri"] = dg.MetadataValue.path(model_evaluation["report_uri"])
        return dg.Output(_manifest(decision), metadata=metadata)

    return deployed_model
