"""The ``ml-platform`` command: the demo, a spec's lifecycle, and the model registry."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import warnings

import click

from ml_platform_assets.cli.common import Context, one_sentence
from ml_platform_assets.cli.drift import drift
from ml_platform_assets.core.simulate import SCENARIOS, DriftPlan
from ml_platform_assets.core.spec import ModelSpec

DEMO_MODEL = "credit_default"


def _fail(message: str) -> None:
    raise click.ClickException(message)


@click.group()
def main() -> None:
    """Credit models from landing data to a gated, deployed champion."""
    # Dagster's own run logs go to the UI's event log; the terminal gets the summary.
    logging.getLogger("dagster").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


def _parse_day(value: str | None, spec: ModelSpec, option: str) -> dt.date | None:
    """An ISO date, or a day number counted from the spec's first day (0-based)."""
    if value is None:
        return None
    if value.isdigit():
        return spec.start_date + dt.timedelta(days=int(value))
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} must be a date (YYYY-MM-DD) or a day number, not '{value}'")


def _run_lifecycle(
    ctx: Context, spec: ModelSpec, first: dt.date, last: dt.date, as_of: dt.date | None = None
) -> None:
    from ml_platform_assets.cli.lifecycle import ingest, train

    instance = ctx.instance()
    total = (last - first).days + 1

    def progress(_start: dt.date, end: dt.date) -> None:
        click.echo(f"  ingested {(end - first).days + 1}/{total} days (through {end})")

    click.echo(f"Ingesting {spec.name} {first}..{last} through Dagster")
    summaries = ingest(ctx.defs, spec, instance, first, last, progress)
    for name in ("raw_applications", "features", "loan_outcomes"):
        if name in summaries:
            _echo_stage(summaries[name], spec.data_quality.max_quarantine_share)
    raw = summaries.get("raw_applications")
    if raw and raw.delivered and not raw.kept:
        top = "; ".join(f"{reason} ({n:,})" for reason, n in raw.reasons.most_common(3))
        _fail(
            f"every one of the {raw.delivered:,} delivered applications was quarantined "
            f"({top}), so there is nothing to train on; check the spec against the files"
        )
    click.echo("Training, evaluating and deciding promotion")
    outcome = train(ctx.defs, spec, instance, as_of)
    _summarize(ctx, spec, outcome)


def _echo_stage(stage, limit: float) -> None:
    """'raw_applications: 3,400 delivered, 2,942 kept, 458 quarantined (...)', the notes, and a
    warning when days quarantined more than the spec allows."""
    line = f"  {stage.asset}: "
    if stage.delivered != stage.kept or stage.quarantined:
        line += f"{stage.delivered:,} delivered, "
    line += f"{stage.kept:,} kept"
    excluded = sum(n for note, n in stage.notes.items() if note.endswith("excluded"))
    if excluded:
        line += f" ({stage.kept - excluded:,} labelled bad or good, {excluded:,} excluded)"
    if stage.quarantined:
        top = "; ".join(f"{reason} ({n:,})" for reason, n in stage.reasons.most_common(3))
        line += f", {stage.quarantined:,} quarantined ({top})"
    click.echo(line + f" over {stage.days} day(s)")
    for note, n in sorted(stage.notes.items(), key=lambda kv: -kv[1]):
        click.echo(f"    {note}: {n:,}")
    over = stage.over(limit)
    if over:
        worst = ", ".join(f"{day} {share:.0%}" for day, share in list(over.items())[:3])
        click.secho(
            f"  Warning: {stage.asset}: {len(over)} of {stage.days} day(s) quarantined more than "
            f"{limit:.0%} of their rows (data_quality.max_quarantine_share), worst {worst}; "
            "the quarantined rows and their reasons are under quarantine/ in the object store",
            fg="yellow",
            err=True,
        )


def _summarize(ctx: Context, spec: ModelSpec, outcome) -> None:
    from ml_platform_assets.core import layout

    training_set = ctx.store().get_json(layout.manifest_key([spec.name, "training_set"]))
    w, rows = training_set["windows"], training_set["summary"]
    click.echo(
        f"Training set {training_set['fingerprint'][:12]}… as of {w['as_of']}: "
        + ", ".join(
            f"{name} {rows[name]['rows']:,} rows ({rows[name]['bad_rate']:.1%} bad)"
            for name in ("train", "valid", "oot")
        )
    )
    evaluation = outcome.evaluation or {}
    version, m = evaluation.get("version"), evaluation.get("metrics", {})
    click.echo(
        f"{spec.name} v{version}: AUC {m.get('auc', float('nan')):.4f}, "
        f"KS {m.get('ks', float('nan')):.4f} on out-of-time rows"
    )
    champion = ctx.registry().champion(spec.name)
    if outcome.promoted:
        click.echo(f"  promoted: champion is v{champion.version} (run {outcome.run_id})")
    else:
        failed = [g["description"] for g in evaluation.get("gates", []) if not g["passed"]]
        kept = f"v{champion.version}" if champion else "none"
        if failed:
            click.echo(f"  rejected by gates ({'; '.join(failed)}); champion stays {kept}")
        else:
            click.echo(f"  passed every gate, but this run did not move the champion ({kept})")
    if champion:
        record = ctx.registry().latest_evaluation(spec.name, champion.version) or {}
        cm = record.get("metrics", {})
        click.echo(
            f"Champion v{champion.version}: AUC {cm.get('auc', float('nan')):.4f}, "
            f"KS {cm.get('ks', float('nan')):.4f}"
        )
    click.echo(f"Report: {evaluation.get('report_uri')}")


@main.command()
@click.option("--days", default=120, show_default=True, help="Days of applications to deliver.")
@click.option("--rows-per-day", default=5000, show_default=True, help="Applications per day.")
@click.option("--drift-from", "drift_from", help="First drifted day: a date or a day number.")
@click.option("--drift", type=click.Choice(SCENARIOS), help="Drift scenario to inject.")
@one_sentence
def demo(days: int, rows_per_day: int, drift_from: str | None, drift: str | None) -> None:
    """Deliver synthetic data and run credit_default's whole lifecycle through Dagster."""
    from ml_platform_assets.landing import land_simulated, landing_days

    if (drift_from is None) != (drift is None):
        _fail("--drift-from and --drift go together")
    if days < 1 or rows_per_day < 1:
        _fail("--days and --rows-per-day must be positive")
    ctx = Context()
    spec = ctx.spec(DEMO_MODEL)
    plan = DriftPlan(drift, _parse_day(drift_from, spec, "--drift-from")) if drift else None
    click.echo(
        f"Delivering {days} days x {rows_per_day:,} applications of {spec.name}"
        + (f" with {drift} drift from {plan.start}" if plan else "")
    )
    delivery = land_simulated(ctx.store(), spec, days, rows_per_day, plan)
    kept = landing_days(delivery.kept)
    if kept:
        click.echo(f"  {len(kept)} day(s) were already delivered and are kept as delivered")
    last = spec.start_date + dt.timedelta(days=days - 1)
    if plan is None:
        _run_lifecycle(ctx, spec, spec.start_date, last)
        return
    from ml_platform_assets.cli.drift_loop import pre_drift_cutoff, run_drift_loop

    if not spec.start_date < plan.start <= last:
        _fail(f"--drift-from must fall within the delivered days {spec.start_date}..{last}")
    # The champion is trained as of the eve of the drift, then the loop watches the drift
    # arrive day by day, as the daemon would.
    _run_lifecycle(ctx, spec, spec.start_date, last, pre_drift_cutoff(spec, plan.start))
    watch_from = max(plan.start - dt.timedelta(days=2), spec.start_date)
    run_drift_loop(ctx.defs, spec, ctx.instance(), watch_from, last, echo=click.echo)


@main.command()
@click.argument("model")
@click.option("--start", help="First day to ingest (default: the spec's start date).")
@click.option(
    "--end", help="Last day to ingest (default: the source's last day of data, up to yesterday)."
)
@click.option(
    "--redeliver",
    "redeliver",
    multiple=True,
    metavar="DAY",
    help="Replace DAY's delivered file with the corrected source file (repeatable); the old "
    "copy is kept and the replacement recorded.",
)
@click.option("--reason", default="", help="Why the days are redelivered (recorded).")
@click.option("--actor", help="Who redelivers (recorded; default: the user running this).")
@one_sentence
def run(
    model: str,
    start: str | None,
    end: str | None,
    redeliver: tuple[str, ...],
    reason: str,
    actor: str | None,
) -> None:
    """Run MODEL's lifecycle over its own data source, without generating data."""
    from ml_platform_assets.core.spec import FilesSource
    from ml_platform_assets.landing import land_files

    ctx = Context()
    spec = ctx.spec(model)
    first = _parse_day(start, spec, "--start") or spec.start_date
    last = _parse_day(end, spec, "--end") or dt.date.today() - dt.timedelta(days=1)
    if last < first:
        _fail(f"--end {last} is before --start {first}")
    days = [_parse_day(day, spec, "--redeliver") for day in redeliver]
    if days and not isinstance(spec.data_source, FilesSource):
        _fail(f"--redeliver needs a files data source; {model}'s is {spec.data_source.kind}")
    if any(not first <= day <= last for day in days):
        _fail(f"--redeliver days must fall within {first}..{last}")
    if days and not reason.strip():
        _fail("--redeliver needs --reason: a replaced delivery is recorded with why")
    if isinstance(spec.data_source, FilesSource):
        delivery = land_files(ctx.store(), spec, first, last, days, actor, reason)
        _echo_delivery(spec, delivery, days)
        _echo_stale_versions(ctx, spec, delivery)
        last = delivery.last_day
    _run_lifecycle(ctx, spec, first, last)


def _echo_delivery(spec: ModelSpec, delivery, redeliver: list[dt.date]) -> None:
    from ml_platform_assets.landing import landing_days

    new, kept = landing_days(delivery.written), landing_days(delivery.kept)
    click.echo(
        f"Delivered {delivery.rows:,} applications through {delivery.last_day}: "
        f"{len(new)} new day(s), {len(kept)} already delivered and kept"
    )
    for day in landing_days(delivery.replaced):
        click.echo(f"  {day}: redelivered; the replaced file is kept and the change recorded")
    for day in sorted(set(redeliver) - set(landing_days(delivery.replaced))):
        if day in delivery.missing_days:
            click.echo(f"  {day}: --redeliver asked, but the source has no file for that day")
        else:
            click.echo(f"  {day}: --redeliver asked, but the source file is unchanged; kept")
    for day, source in sorted(delivery.changed.items()):
        click.secho(
            f"  Warning: {source} changed since {day} was delivered; the delivered copy is kept. "
            f"To replace it: ml-platform run {spec.name} --redeliver {day} --reason TEXT",
            fg="yellow",
            err=True,
        )
    if delivery.missing_days:
        click.echo(
            f"  No file for {len(delivery.missing_days)} day(s) "
            f"({_day_list(delivery.missing_days)}): ingested as days without applications"
        )
    if delivery.unassigned_rows:
        click.secho(
            f"  Warning: {delivery.unassigned_rows:,} row(s) of {spec.data_source.applications} "
            "have no readable timestamp and belong to no day; they were not delivered",
            fg="yellow",
            err=True,
        )


def _echo_stale_versions(ctx: Context, spec: ModelSpec, delivery) -> None:
    """Name the registered versions whose windows held a day that was just replaced."""
    from ml_platform_assets.landing import landing_days

    replaced = landing_days(delivery.replaced)
    if not replaced:
        return
    for version in ctx.registry().list_versions(spec.name):
        windows = version.windows or {}
        if not windows.get("train_start") or not windows.get("oot_end"):
            continue
        start = dt.date.fromisoformat(windows["train_start"])
        end = dt.date.fromisoformat(windows["oot_end"])
        stale = [day for day in replaced if start <= day <= end]
        if stale:
            click.echo(
                f"  v{version.version} was trained and evaluated on data of "
                f"{_day_list(stale)} as first delivered; its record keeps the old data's "
                "fingerprint, and the next training run uses the corrected day(s)"
            )


def _day_list(days: list[dt.date], shown: int = 5) -> str:
    text = ", ".join(day.isoformat() for day in days[:shown])
    return text + (f" and {len(days) - shown} more" if len(days) > shown else "")


@main.group()
def models() -> None:
    """The model registry: versions, champions, metrics and provenance."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@one_sentence
def models_list(as_json: bool) -> None:
    """Every model with its versions and champion."""
    ctx = Context()
    reg = ctx.registry()
    rows = []
    for name in sorted(set(ctx.specs) | set(reg.list_models())):
        versions = reg.list_versions(name)
        champion = reg.champion(name)
        rows.append(
            {
                "model": name,
                "versions": len(versions),
                "latest_version": versions[-1].version if versions else None,
                "champion_version": champion.version if champion else None,
                "champion_auc": (champion.metrics or {}).get("auc") if champion else None,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'MODEL':<24}{'VERSIONS':>9}{'LATEST':>8}{'CHAMPION':>10}{'AUC':>8}")
    for r in rows:
        auc = f"{r['champion_auc']:.4f}" if r["champion_auc"] is not None else "-"
        click.echo(
            f"{r['model']:<24}{r['versions']:>9}{r['latest_version'] or '-':>8}"
            f"{r['champion_version'] or '-':>10}{auc:>8}"
        )


def _version_record(reg, version) -> dict:
    return {
        "version": version.version,
        "status": version.status,
        "created_at": version.created_at.isoformat(),
        "artifact_uri": version.artifact_uri,
        "model_sha256": version.model_sha256,
        "training_set_fingerprint": version.training_set_fingerprint,
        "code_version": version.code_version,
        "git_commit": version.git_commit,
        "windows": version.windows,
        "metrics": version.metrics,
        "evaluation": reg.latest_evaluation(version.model, version.version),
    }


@models.command("show")
@click.argument("model")
@click.argument("version", required=False, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@one_sentence
def models_show(model: str, version: int | None, as_json: bool) -> None:
    """MODEL's versions (or one VERSION) with metrics, provenance and champion history."""
    reg = Context().registry()
    versions = [reg.get_version(model, version)] if version else reg.list_versions(model)
    if not versions:
        _fail(f"model '{model}' has no versions yet; run 'ml-platform demo' or 'ml-platform run'")
    champion = reg.champion(model)
    payload = {
        "model": model,
        "champion_version": champion.version if champion else None,
        "versions": [_version_record(reg, v) for v in versions],
        "champion_history": [
            {
                "from": e.from_version,
                "to": e.to_version,
                "reason": e.reason,
                "actor": e.actor,
                "at": e.created_at.isoformat(),
            }
            for e in reg.alias_history(model)
        ],
    }
    if as_json:
        click.echo(json.dumps(payload, indent=2, default=str))
        return
    click.echo(f"{model}: champion v{payload['champion_version']}")
    for v in payload["versions"]:
        m = v["metrics"] or {}
        auc = f"AUC {m['auc']:.4f} KS {m['ks']:.4f}" if "auc" in m else "not evaluated"
        click.echo(f"  v{v['version']} [{v['status']}] {auc} created {v['created_at']}")
        click.echo(f"     model {v['artifact_uri']} sha256 {v['model_sha256'][:16]}…")
        click.echo(
            f"     training set {v['training_set_fingerprint'][:16]}… "
            f"code {v['code_version']} commit {v['git_commit'] or 'unknown'}"
        )
    for e in payload["champion_history"]:
        click.echo(
            f"  champion v{e['from']} -> v{e['to']} at {e['at']} by {e['actor']}: {e['reason']}"
        )


main.add_command(drift)

if __name__ == "__main__":
    sys.exit(main())
