"""Decisions people make about models: approve, reject, promote (an override when a gate
failed) and roll back. Each is one registry transaction with its audit ledger record."""

from __future__ import annotations

import click

from ml_platform_assets.cli.common import VERSION, Context, one_sentence


def _required(value: str, option: str) -> str:
    if not value or not value.strip():
        raise click.ClickException(f"{option} must not be empty: it goes on the audit record")
    return value.strip()


def _known_version(ctx: Context, model: str, version: int) -> None:
    ctx.spec(model)  # the same sentence for an unknown model as every other command
    ctx.read(lambda reg: reg.get_version(model, version))


def _complete_documents(ctx: Context, model: str, event, recorded_by: str, override=None) -> None:
    """The promoted version's evaluation report completed with the move (and the override
    that allowed it), as the deployment step does after an automatic promotion, and the model
    documents of both versions written again."""
    from ml_platform_assets.assets.deployment import complete_report

    store = ctx.store()
    ctx.read(
        lambda reg: complete_report(
            store, reg, model, event.to_version, event, recorded_by, override
        )
    )
    _refresh_documents(ctx, model, event.to_version, event.from_version)


def _refresh_documents(ctx: Context, model: str, *versions: int | None) -> None:
    """Model documents whose deployment history or decisions just changed."""
    from ml_platform_assets.assets.model_document import publish_model_document

    store = ctx.store()
    for version in {v for v in versions if v}:
        ctx.read(lambda reg, version=version: publish_model_document(store, reg, model, version))


def _record_rejection(ctx: Context, model: str, version: int, reviewer: str, note: str) -> None:
    """The version's evaluation report rewritten to say a reviewer rejected it."""
    from ml_platform_assets.assets.deployment import review_report
    from ml_platform_assets.core.evaluation_record import Review

    decided = ctx.read(lambda reg: reg.approvals(model, version))[-1]["created_at"]
    review = Review(reviewer=reviewer, note=note, decided_at=decided.isoformat())
    ctx.read(lambda reg: review_report(ctx.store(), reg, model, version, review, reviewer))


def _report_champion(ctx: Context, model: str, event, decision: str) -> None:
    """The champion moved outside a run: a materialization of ``deployed_model`` records it,
    so the asset's history in the Dagster UI shows people's decisions beside the runs'."""
    import dagster as dg

    from ml_platform_assets.assets.deployment import ledger_metadata
    from ml_platform_assets.core import layout

    champion = ctx.read(lambda reg: reg.champion(model))
    document = layout.report_key(model, champion.version, "model_document.html")
    metadata = {
        "decision": decision,
        "champion_version": champion.version,
        "previous_version": event.from_version if event.from_version else "none",
        "decided_by": event.actor,
        "reason": event.reason,
        "artifact_uri": dg.MetadataValue.path(champion.artifact_uri),
        "model_sha256": champion.model_sha256,
        "model_document": dg.MetadataValue.path(ctx.store().uri(document)),
        "ledger_records": ctx.read(lambda reg: ledger_metadata(reg, model, champion.version)),
    }
    ctx.instance().report_runless_asset_event(
        dg.AssetMaterialization(asset_key=[model, "deployed_model"], metadata=metadata)
    )


def _moved(event) -> str:
    was = f"v{event.from_version}" if event.from_version else "none"
    return f"champion is v{event.to_version} (was {was})"


@click.command()
@click.argument("model")
@click.argument("version", type=VERSION)
@click.option("--reviewer", required=True, help="Who approves (not the version's trainer).")
@click.option("--note", required=True, help="What was reviewed and why it is approved.")
@one_sentence
def approve(model: str, version: int, reviewer: str, note: str) -> None:
    """Approve MODEL VERSION, waiting for a reviewer, and promote it to champion."""
    ctx = Context()
    _known_version(ctx, model, version)
    reviewer, note = _required(reviewer, "--reviewer"), _required(note, "--note")
    event = ctx.read(
        lambda reg: reg.decide_approval(model, version, approve=True, reviewer=reviewer, note=note)
    )
    _complete_documents(ctx, model, event, f"approval by {reviewer}")
    _report_champion(ctx, model, event, "approved")
    click.echo(f"{model} v{version} approved by {reviewer}; {_moved(event)}")


@click.command()
@click.argument("model")
@click.argument("version", type=VERSION)
@click.option("--reviewer", required=True, help="Who rejects (not the version's trainer).")
@click.option("--note", required=True, help="Why it is rejected.")
@one_sentence
def reject(model: str, version: int, reviewer: str, note: str) -> None:
    """Reject MODEL VERSION, waiting for a reviewer; the champion stays."""
    ctx = Context()
    _known_version(ctx, model, version)
    reviewer, note = _required(reviewer, "--reviewer"), _required(note, "--note")
    ctx.read(
        lambda reg: reg.decide_approval(model, version, approve=False, reviewer=reviewer, note=note)
    )
    _record_rejection(ctx, model, version, reviewer, note)
    _refresh_documents(ctx, model, version)
    champion = ctx.read(lambda reg: reg.champion(model))
    kept = f"v{champion.version}" if champion else "none"
    click.echo(f"{model} v{version} rejected by {reviewer}; champion stays {kept}")


@click.command()
@click.argument("model")
@click.argument("version", type=VERSION)
@click.option("--approver", required=True, help="Who allows it into service.")
@click.option("--reason", required=True, help="Why (recorded with the move).")
@click.option(
    "--override",
    is_flag=True,
    help="Promote although a gate failed: recorded as an override with the failed gates.",
)
@one_sentence
def promote(model: str, version: int, approver: str, reason: str, override: bool) -> None:
    """Promote MODEL VERSION to champion by hand.

    A version that failed a gate needs --override; one that waits for a reviewer is promoted
    by `ml-platform approve`.
    """
    from ml_platform_assets.registry.versions import Override

    ctx = Context()
    _known_version(ctx, model, version)
    approver, reason = _required(approver, "--approver"), _required(reason, "--reason")
    allowed = Override(approver, reason) if override else None
    event = ctx.read(
        lambda reg: reg.promote(
            model,
            version,
            reason=f"override: {reason}" if override else reason,
            actor=approver,
            override=allowed,
        )
    )
    kind = "override by" if override else "promoted by"
    overridden = None
    if override:
        gates = ctx.read(lambda reg: reg.latest_evaluation(model, version))["gates"]
        failed = [g["description"] for g in gates if not g["passed"]]
        overridden = {"approver": approver, "reason": reason, "failed_gates": failed}
    _complete_documents(ctx, model, event, f"{kind} {approver}", overridden)
    _report_champion(ctx, model, event, "override" if override else "promoted")
    click.echo(f"{model} v{version} {kind} {approver}; {_moved(event)}")


@click.command()
@click.argument("model")
@click.option("--to", "to_version", type=VERSION, help="The earlier champion to restore.")
@click.option("--reason", required=True, help="Why the champion goes back (recorded).")
@click.option("--approver", required=True, help="Who approves the rollback (recorded).")
@one_sentence
def rollback(model: str, to_version: int | None, reason: str, approver: str) -> None:
    """Move MODEL's champion back to an earlier champion (default: the one before)."""
    from ml_platform_assets.landing import current_actor

    ctx = Context()
    ctx.spec(model)
    reason, approver = _required(reason, "--reason"), _required(approver, "--approver")
    event = ctx.read(
        lambda reg: reg.rollback(
            model, reason=reason, actor=current_actor(), to_version=to_version, approver=approver
        )
    )
    _refresh_documents(ctx, model, event.to_version, event.from_version)
    _report_champion(ctx, model, event, "rolled_back")
    click.echo(f"{model} rolled back by {approver}; {_moved(event)}")
