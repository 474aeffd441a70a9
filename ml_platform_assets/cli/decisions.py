"""Decisions people make about models: approve, reject, promote (an override when a gate
failed) and roll back, each through the one promotion workflow (``services.promotion``) and
recorded on the asset graph as a materialization of ``deployed_model``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ml_platform_assets.cli.common import VERSION, Context, one_sentence
from ml_platform_assets.services.actors import current_actor
from resources.stores import open_object_store

if TYPE_CHECKING:
    from ml_platform_assets.services.promotion import Decision


def _promotion():
    """The promotion workflow, loaded when a decision is taken: --help stays light."""
    from ml_platform_assets.services import promotion

    return promotion


def _decide(ctx: Context, model: str, decide) -> Decision:
    """``decide(store, registry)`` on the command's existing platform, then the decision
    recorded in the Dagster instance when the champion moved."""
    ctx.spec(model)  # the same sentence for an unknown model as every other command
    # Dagster loads only for a decision to record, so --help stays light.
    from ml_platform_assets.orchestration.decisions import record_decision
    from resources.wiring import dagster_instance

    decision = ctx.read(lambda registry: decide(open_object_store(ctx.environment), registry))
    if decision.move is not None and decision.previous != decision.move.to_version:
        try:
            record_decision(dagster_instance(ctx.environment), ctx.registry(), decision)
        except Exception as error:  # noqa: BLE001 - the decision itself is stored
            raise click.ClickException(
                f"{decision.model} v{decision.version}: {decision.decision} and stored with "
                "its audit-ledger record, but recording it as a deployed_model "
                f"materialization in the Dagster instance failed: {error}"
            ) from error
    return decision


def _moved(decision) -> str:
    if decision.previous == decision.move.to_version:
        since = decision.move.created_at.isoformat(timespec="seconds")
        return f"v{decision.previous} already was champion (since {since}); nothing moved"
    was = f"v{decision.move.from_version}" if decision.move.from_version else "none"
    return f"champion is v{decision.move.to_version} (was {was})"


def _known(registry, model: str, version: int) -> None:
    registry.get_version(model, version)


@click.command()
@click.argument("model")
@click.argument("version", type=VERSION)
@click.option("--reviewer", required=True, help="Who approves (not the version's trainer).")
@click.option("--note", required=True, help="What was reviewed and why it is approved.")
@one_sentence
def approve(model: str, version: int, reviewer: str, note: str) -> None:
    """Approve MODEL VERSION, waiting for a reviewer, and promote it to champion."""
    ctx = Context()

    def decide(store, registry):
        _known(registry, model, version)
        return _promotion().approve(store, registry, model, version, reviewer, note)

    decision = _decide(ctx, model, decide)
    click.echo(f"{model} v{version} approved by {reviewer.strip()}; {_moved(decision)}")


@click.command()
@click.argument("model")
@click.argument("version", type=VERSION)
@click.option("--reviewer", required=True, help="Who rejects (not the version's trainer).")
@click.option("--note", required=True, help="Why it is rejected.")
@one_sentence
def reject(model: str, version: int, reviewer: str, note: str) -> None:
    """Reject MODEL VERSION, waiting for a reviewer; the champion stays."""
    ctx = Context()

    def decide(store, registry):
        _known(registry, model, version)
        return _promotion().reject(store, registry, model, version, reviewer, note)

    decision = _decide(ctx, model, decide)
    kept = f"v{decision.champion.version}" if decision.champion else "none"
    click.echo(f"{model} v{version} rejected by {reviewer.strip()}; champion stays {kept}")


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
    ctx = Context()

    def decide(store, registry):
        _known(registry, model, version)
        return _promotion().promote_by_hand(
            store, registry, model, version, approver, reason, override
        )

    decision = _decide(ctx, model, decide)
    if decision.previous == version:
        click.echo(f"{model}: {_moved(decision)}; its report and model document are complete")
        return
    kind = "override by" if override else "promoted by"
    click.echo(f"{model} v{version} {kind} {approver.strip()}; {_moved(decision)}")


@click.command()
@click.argument("model")
@click.option("--to", "to_version", type=VERSION, help="The earlier champion to restore.")
@click.option("--reason", required=True, help="Why the champion goes back (recorded).")
@click.option("--approver", required=True, help="Who approves the rollback (recorded).")
@one_sentence
def rollback(model: str, to_version: int | None, reason: str, approver: str) -> None:
    """Move MODEL's champion back to an earlier champion (default: the one before)."""
    ctx = Context()

    def decide(store, registry):
        return _promotion().roll_back(
            store, registry, model, approver, reason, current_actor(), to_version
        )

    decision = _decide(ctx, model, decide)
    click.echo(f"{model} rolled back by {approver.strip()}; {_moved(decision)}")
