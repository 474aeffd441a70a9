"""The promotion decision: a challenger that passed every gate becomes the champion, and its
evaluation report is completed with that decision."""

from collections.abc import Callable

import dagster as dg

from ml_platform_assets.assets.common import MANIFEST_IO, asset_key, compute, owners, registry
from ml_platform_assets.assets.model_document import publish_model_document
from ml_platform_assets.core import layout
from ml_platform_assets.core.evaluation_record import (
    Deployment,
    Evaluation,
    Override,
    Review,
    evaluation_to_json,
    with_promotion,
    with_review,
)
from ml_platform_assets.core.gates import GateResult, failed_summary
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.pages.evaluation import render_evaluation_html
from ml_platform_assets.registry import AliasEvent, ModelRegistry, Status
from ml_platform_assets.registry.ledger import Artifact
from resources.database import DatabaseResource
from resources.object_store import ObjectStore, StoredObject
from resources.object_store_resource import ObjectStoreResource


def promotion_reason(evaluation: dict) -> str:
    """The sentence recorded with the alias move."""
    passed = "; ".join(g["description"] for g in evaluation["gates"])
    return f"v{evaluation['version']} passed every promotion gate: {passed}"


def rewrite_report(
    store: ObjectStore,
    reg: ModelRegistry,
    model: str,
    version: int,
    change: Callable[[Evaluation], Evaluation],
    actor: str,
) -> StoredObject:
    """Rewrites the version's evaluation report (JSON and HTML) with ``change`` applied to its
    record, then points the registry's record of the report at the new JSON, with a
    ``report_completed`` ledger record carrying both documents' SHA-256.

    The documents are written first and the registry last, in one transaction: if that fails,
    the registry still names the earlier checksum, and doing it again writes the same
    documents. The same change again writes the same bytes and records nothing new.
    """
    json_key = layout.report_key(model, version, "evaluation.json")
    record = change(store.get_json(json_key))
    html_key = layout.report_key(model, version, "evaluation.html")
    html = store.put_bytes(html_key, render_evaluation_html(record).encode())
    stored = store.put_bytes(json_key, evaluation_to_json(record).encode())
    on_record = reg.latest_evaluation(model, version) or {}
    if on_record.get("report_sha256") != stored.sha256:
        reg.record_report(
            model,
            version,
            report_uri=stored.uri,
            report_sha256=stored.sha256,
            actor=actor,
            artifacts=[Artifact(o.key, o.uri, o.sha256) for o in (stored, html)],
        )
    return stored


def complete_report(
    store: ObjectStore,
    reg: ModelRegistry,
    model: str,
    version: int,
    promotion: AliasEvent,
    recorded_by: str,
    override: Override | None = None,
) -> StoredObject:
    """The report completed with the alias move that made the version champion (and the
    override that allowed it, when a gate failed); ``recorded_by`` names who completed it (a
    Dagster run id, or a person's decision). See ``rewrite_report``."""
    deployment = Deployment(
        champion_since=promotion.created_at.isoformat(timespec="seconds"),
        promoted_by=promotion.actor,
        previous_champion_version=promotion.from_version,
        reason=promotion.reason,
        recorded_by_run=recorded_by,
    )
    if override is not None:
        deployment["override"] = override
    return rewrite_report(
        store,
        reg,
        model,
        version,
        lambda record: with_promotion(record, deployment),
        promotion.actor,
    )


def review_report(
    store: ObjectStore,
    reg: ModelRegistry,
    model: str,
    version: int,
    review: Review,
    actor: str,
) -> StoredObject:
    """The report saying the version awaits a reviewer, or that a reviewer rejected it."""
    return rewrite_report(
        store, reg, model, version, lambda record: with_review(record, review), actor
    )


def ledger_metadata(reg: ModelRegistry, model: str, version: int) -> dg.MetadataValue:
    """The version's ledger records as the UI shows them: sequence, event and SHA-256."""
    return dg.MetadataValue.json(
        [
            {
                "record": r.sequence,
                "event": r.event_type,
                "actor": r.actor,
                "at": r.created_at.isoformat(timespec="seconds"),
                "sha256": r.record_sha256,
            }
            for r in reg.audit_history(model, version=version)
        ]
    )


def build_deployed_model(spec: ModelSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=asset_key(spec, "deployed_model"),
        ins={"model_evaluation": dg.AssetIn(asset_key(spec, "model_evaluation"))},
        io_manager_key=MANIFEST_IO,
        op_tags=compute("deployment"),
        group_name=spec.name,
        kinds={"lightgbm"},
        owners=owners(spec),
        description=f"The {spec.name} champion serving decisions: the registry's champion alias, "
        "moved only for a challenger that passed every gate; the previous one stays for rollback.",
    )
    def deployed_model(
        context: dg.AssetExecutionContext,
        model_evaluation: dict,
        object_store: ObjectStoreResource,
        database: DatabaseResource,
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
        run_actor = f"dagster run {context.run.run_id}"
        if spec.decision.requires_approval and previous != version:
            return _awaiting_approval(
                context, object_store.get_store(), reg, spec, version, previous, run_actor
            )
        # Promoting the champion again moves nothing and returns the move that made it so.
        promotion = reg.promote(
            spec.name, version, reason=promotion_reason(model_evaluation), actor=run_actor
        )
        if previous != version:
            was = f"v{previous}" if previous else "none"
            context.log.info(f"{spec.name}: champion moved from {was} to v{version}")
        store = object_store.get_store()
        report = complete_report(store, reg, spec.name, version, promotion, context.run.run_id)
        document = publish_model_document(store, reg, spec.name, version)
        champion = reg.champion(spec.name)
        manifest = {
            "model": spec.name,
            "champion_version": champion.version,
            "previous_version": previous,
            "artifact_uri": champion.artifact_uri,
            "model_sha256": champion.model_sha256,
            "decision": "promoted",
        }
        return dg.Output(
            manifest,
            metadata={
                "decision": "promoted",
                "champion_version": champion.version,
                "previous_version": previous if previous is not None else "none",
                "artifact_uri": dg.MetadataValue.path(champion.artifact_uri),
                "model_sha256": champion.model_sha256,
                "auc": float(model_evaluation["metrics"]["auc"]),
                "ks": float(model_evaluation["metrics"]["ks"]),
                "report_uri": dg.MetadataValue.path(model_evaluation["report_uri"]),
                "report_sha256": report.sha256,
                "model_document": dg.MetadataValue.path(document.uri),
                "ledger_records": ledger_metadata(reg, spec.name, version),
            },
        )

    return deployed_model


def _awaiting_approval(
    context: dg.AssetExecutionContext,
    store: ObjectStore,
    reg: ModelRegistry,
    spec: ModelSpec,
    version: int,
    previous: int | None,
    run_actor: str,
) -> dg.Output[dict]:
    """The spec asks a reviewer to decide: the version waits, the champion stays."""
    reg.request_approval(spec.name, version, actor=run_actor)
    status = reg.get_version(spec.name, version).status
    if status == Status.PENDING_APPROVAL:
        awaited = Review(reviewer=None, note=None, decided_at=None)
        review_report(store, reg, spec.name, version, awaited, run_actor)
        context.log.info(
            f"{spec.name} v{version} passed every gate and awaits a reviewer: "
            f"ml-platform approve {spec.name} {version} --reviewer NAME --note TEXT"
        )
    document = publish_model_document(store, reg, spec.name, version)
    champion = reg.champion(spec.name)
    manifest = {
        "model": spec.name,
        "champion_version": champion.version if champion else None,
        "previous_version": previous,
        "artifact_uri": champion.artifact_uri if champion else None,
        "model_sha256": champion.model_sha256 if champion else None,
        "decision": status,
        "awaiting_version": version,
    }
    return dg.Output(
        manifest,
        metadata={
            "decision": status,
            "awaiting_version": version,
            "champion_version": champion.version if champion else "none",
            "model_document": dg.MetadataValue.path(document.uri),
            "ledger_records": ledger_metadata(reg, spec.name, version),
        },
    )
