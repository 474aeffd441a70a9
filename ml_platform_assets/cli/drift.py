"""``ml-platform drift``: a model's recent drift and every retraining decision, with reasons."""

from __future__ import annotations

import json

import click

from ml_platform_assets.cli.common import Context, one_sentence
from ml_platform_assets.registry.drift import DriftStore

DAY_LIMIT = 14
DECISION_LIMIT = 10


def _decision(d) -> dict:
    return {
        "evaluated_at": d.evaluated_at.isoformat(timespec="seconds"),
        "triggered": d.triggered,
        "reason": d.reason,
        "window": [str(d.window_start), str(d.window_end)] if d.window_end else None,
        "run_key": d.run_key,
        "champion_version": d.champion_version,
    }


def _status(model: str, days: int, decisions: int, triggered_only: bool) -> dict:
    """The drift results and decisions of ``model`` from the configured database.

    ``decisions`` holds the newest decisions that triggered a retraining, then (unless
    ``triggered_only``) the newest that did not, at most ``decisions`` of each.
    """
    ctx = Context()
    spec = ctx.spec(model)

    def query(reg) -> dict:
        store, champion = DriftStore(reg.engine), reg.champion(model)
        found = store.decisions(model, limit=decisions, triggered=True)
        if not triggered_only:
            found += store.decisions(model, limit=decisions, triggered=False)
        return {
            "model": model,
            "champion_version": champion.version if champion else None,
            "guardrails": spec.drift.model_dump(),
            "days": [
                {
                    "day": r.day.isoformat(),
                    "champion_version": r.champion_version,
                    "share": r.share,
                    "drifted_columns": r.drifted_columns,
                    "report_uri": r.report_uri,
                }
                for r in store.results(model, limit=days)
            ],
            "decisions": [_decision(d) for d in found],
        }

    return ctx.read(query)


def _print(status: dict, triggered_only: bool) -> None:
    g = status["guardrails"]
    champion = status["champion_version"]
    click.echo(
        f"{status['model']}: champion {f'v{champion}' if champion else 'none'}; retrains after "
        f"{g['consecutive_days']} days at >= {g['share_threshold']:.0%} drifted columns, "
        f"{g['min_matured_labels']:,} new outcomes, {g['cooldown_days']} days apart"
    )
    click.echo(f"\n{'DAY':<12}{'CHAMPION':>9}{'SHARE':>8}  DRIFTED COLUMNS")
    if not status["days"]:
        click.echo("none yet")
    for d in status["days"]:
        columns = ", ".join(d["drifted_columns"]) or "-"
        click.echo(
            f"{d['day']:<12}{'v' + str(d['champion_version']):>9}{d['share']:>8.1%}  {columns}"
        )
    triggered = [d for d in status["decisions"] if d["triggered"]]
    skipped = [d for d in status["decisions"] if not d["triggered"]]
    sections = [("RETRAINING TRIGGERED (newest first)", triggered)]
    if not triggered_only:
        sections.append(("NOT TRIGGERED (newest first)", skipped))
    for title, found in sections:
        click.echo(f"\n{title}")
        if not found:
            click.echo("none yet")
        for d in found:
            click.echo(f"{d['evaluated_at']}  {d['reason']}")
            if d["run_key"]:
                click.echo(f"{'':>21}run key {d['run_key']}")


@click.group()
def drift() -> None:
    """Data drift against the champion and the drift-triggered retraining decisions."""


@drift.command("status")
@click.argument("model")
@click.option("--days", default=DAY_LIMIT, show_default=True, help="Most recent days to list.")
@click.option(
    "--decisions",
    default=DECISION_LIMIT,
    show_default=True,
    help="Most recent decisions to list of each kind, triggered and not.",
)
@click.option(
    "--triggered", "triggered_only", is_flag=True, help="List only the decisions that triggered."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@one_sentence
def status(model: str, days: int, decisions: int, triggered_only: bool, as_json: bool) -> None:
    """MODEL's recent drift (share, drifted columns) and retraining decisions with reasons:
    those that triggered a retraining first."""
    result = _status(model, days, decisions, triggered_only)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        _print(result, triggered_only)
