"""``ml-platform drift``: a model's recent drift and every retraining decision, with reasons."""

from __future__ import annotations

import json

import click

from ml_platform_assets.cli.common import Context, one_sentence

DAY_LIMIT = 14
DECISION_LIMIT = 10


def _status(model: str, days: int, decisions: int) -> dict:
    """The drift results and decisions of ``model`` from the configured database."""
    from ml_platform_assets.registry.drift import DriftStore

    ctx = Context()
    spec, reg = ctx.spec(model), ctx.registry()
    store, champion, guard = DriftStore(reg.engine), reg.champion(model), spec.drift
    return {
        "model": model,
        "champion_version": champion.version if champion else None,
        "guardrails": guard.model_dump(),
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
        "decisions": [
            {
                "evaluated_at": d.evaluated_at.isoformat(timespec="seconds"),
                "triggered": d.triggered,
                "reason": d.reason,
                "window": [str(d.window_start), str(d.window_end)] if d.window_end else None,
                "run_key": d.run_key,
                "champion_version": d.champion_version,
            }
            for d in store.decisions(model, limit=decisions)
        ],
    }


def _print(status: dict) -> None:
    g = status["guardrails"]
    champion = status["champion_version"]
    click.echo(
        f"{status['model']}: champion {f'v{champion}' if champion else 'none'}; retrains after "
        f"{g['consecutive_days']} days at >= {g['share_threshold']:.0%} drifted columns, "
        f"{g['min_matured_labels']:,} new outcomes, {g['cooldown_days']} days apart"
    )
    click.echo(f"\n{'DAY':<12}{'CHAMPION':>9}{'SHARE':>8}  DRIFTED COLUMNS")
    for d in status["days"] or [{"day": "(none yet)"}]:
        if "share" not in d:
            click.echo(d["day"])
            continue
        columns = ", ".join(d["drifted_columns"]) or "-"
        click.echo(
            f"{d['day']:<12}{'v' + str(d['champion_version']):>9}{d['share']:>8.1%}  {columns}"
        )
    click.echo("\nRETRAIN DECISIONS (newest first)")
    for d in status["decisions"] or [{"evaluated_at": "(none yet)"}]:
        if "reason" not in d:
            click.echo(d["evaluated_at"])
            continue
        verdict = "TRIGGERED" if d["triggered"] else "skipped"
        click.echo(f"{d['evaluated_at']}  {verdict:<9}  {d['reason']}")
        if d["run_key"]:
            click.echo(f"{'':>27}run key {d['run_key']}")


@click.group()
def drift() -> None:
    """Data drift against the champion and the drift-triggered retraining decisions."""


@drift.command("status")
@click.argument("model")
@click.option("--days", default=DAY_LIMIT, show_default=True, help="Most recent days to list.")
@click.option("--decisions", default=DECISION_LIMIT, show_default=True, help="Decisions to list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@one_sentence
def status(model: str, days: int, decisions: int, as_json: bool) -> None:
    """MODEL's recent drift (share, drifted columns) and retraining decisions with reasons."""
    result = _status(model, days, decisions)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        _print(result)
