"""What ``demo`` and ``run`` do once their arguments are checked: deliver, ingest and train
through Dagster, printing what was kept, quarantined, trained and decided.

This module loads Dagster and the definitions; the commands import it only when they run, so
``--help`` and the read-only commands never pay for it.
"""

from __future__ import annotations

import datetime as dt

import click

from ml_platform_assets.cli.common import Context, plural
from ml_platform_assets.cli.delivery_output import echo_delivery, echo_stale_versions
from ml_platform_assets.cli.progress import Progress, day_progress, delivery_progress
from ml_platform_assets.core import layout
from ml_platform_assets.core.simulate import DriftPlan
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.orchestration.drift_loop import pre_drift_cutoff, run_drift_loop
from ml_platform_assets.orchestration.lifecycle import (
    StageSummary,
    TrainingOutcome,
    ingest,
    train,
)
from ml_platform_assets.orchestration.platform import Platform
from ml_platform_assets.services.demo_delivery import land_simulated
from ml_platform_assets.services.file_delivery import land_files
from ml_platform_assets.services.landing_zone import (
    landed_through,
    landing_days,
    record_replacements,
)
from ml_platform_assets.services.run_tags import ACTOR_TAG


def open_platform(ctx: Context) -> Platform:
    """The platform of the command's environment, created if it does not exist yet."""
    return Platform(ctx.environment, ctx.specs)


def run_lifecycle(
    platform: Platform,
    spec: ModelSpec,
    first: dt.date,
    last: dt.date,
    as_of: dt.date | None = None,
    rebuild: bool = False,
    actor: str | None = None,
) -> None:
    """Ingests ``first``..``last`` and runs the training chain, printing each stage."""
    total = (last - first).days + 1
    click.echo(f"Ingesting {spec.name} {first}..{last} ({plural(total, 'day')}) through Dagster")
    with day_progress("ingested", total) as progress:
        summaries = ingest(
            platform.runner,
            platform.defs,
            spec,
            platform.store,
            first,
            last,
            lambda _start, end: progress.update((end - first).days + 1, end.isoformat()),
            rebuild=rebuild,
        )
    unchanged = summaries["raw_applications"].unchanged if "raw_applications" in summaries else 0
    if unchanged:
        click.echo(
            f"  {unchanged} of {plural(total, 'day')} unchanged since they were ingested from "
            "the same files by the same code: not redone (--rebuild redoes them)"
        )
    for name in ("raw_applications", "features", "loan_outcomes"):
        if name in summaries:
            _echo_stage(summaries[name], spec.data_quality.max_quarantine_share)
    raw = summaries.get("raw_applications")
    if raw and raw.delivered and not raw.kept:
        top = "; ".join(f"{reason} ({n:,})" for reason, n in raw.reasons.most_common(3))
        raise click.ClickException(
            f"every one of the {raw.delivered:,} delivered applications was quarantined "
            f"({top}), so there is nothing to train on; check the spec against the files"
        )
    click.echo("Training, evaluating and deciding promotion")
    with Progress(
        "  training", 4, lambda done, total, stage: f"  stage {done}/{total}: {stage}"
    ) as progress:

        def stage(name: str, done: int, total: int) -> None:
            # A stage is reported as it starts ('stage 2/4: challenger_model').
            progress.update(done + 1 if name else done, name, total)

        tags = {ACTOR_TAG: actor} if actor else None
        outcome = train(
            platform.runner,
            spec,
            platform.store,
            platform.environment.database_url,
            as_of or last,
            tags,
            progress=stage,
        )
    _summarize(platform, spec, outcome)


def _echo_stage(stage: StageSummary, limit: float) -> None:
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
    click.echo(line + f" over {plural(stage.days, 'day')}")
    for note, n in sorted(stage.notes.items(), key=lambda kv: -kv[1]):
        click.echo(f"    {note}: {n:,}")
    over = stage.over(limit)
    if over:
        worst = ", ".join(f"{day} {share:.0%}" for day, share in list(over.items())[:3])
        click.secho(
            f"  Warning: {stage.asset}: {len(over)} of {plural(stage.days, 'day')} quarantined "
            f"more than {limit:.0%} of their rows (data_quality.max_quarantine_share), worst "
            f"{worst}; the quarantined rows and their reasons are under quarantine/ in the "
            "object store",
            fg="yellow",
            err=True,
        )


def _echo_losses(losses: dict) -> None:
    """The rows the training set's days lost at ingestion, and the days accepted nonetheless."""
    quarantined = losses["quarantined"]
    if quarantined:
        top = "; ".join(f"{reason} ({n:,})" for reason, n in list(quarantined.items())[:2])
        click.echo(
            f"  without {sum(quarantined.values()):,} rows its days quarantined at ingestion: {top}"
        )
    if losses.get("accepted_reasons"):
        click.echo(
            "  trained without the rows of reasons data_quality.accepted_reasons accepts: "
            + "; ".join(losses["accepted_reasons"])
        )
    if losses["accepted_days"]:
        click.echo(
            f"  trained on {len(losses['accepted_days'])} day(s) over "
            f"data_quality.max_quarantine_share, as data_quality.accepted_days accepts: "
            f"{', '.join(losses['accepted_days'])}"
        )


def _summarize(platform: Platform, spec: ModelSpec, outcome: TrainingOutcome) -> None:
    """The training set, the challenger's judgement and the champion afterwards."""
    store, registry = platform.store, platform.registry
    training_set = store.get_json(layout.manifest_key([spec.name, "training_set"]))
    w, rows = training_set["windows"], training_set["summary"]
    click.echo(
        f"Training set {training_set['fingerprint'][:12]}… as of {w['as_of']}: "
        + ", ".join(
            f"{name} {rows[name]['rows']:,} rows ({rows[name]['bad_rate']:.1%} bad)"
            for name in ("train", "valid", "oot")
        )
    )
    _echo_losses(training_set["losses"])
    champion = registry.champion(spec.name)
    kept = f"v{champion.version}" if champion else "none"
    if outcome.already_trained:
        # Nothing was trained, evaluated or deployed: the existing version and its report.
        known = outcome.already_trained
        click.echo(f"{spec.name} {known['summary']}; champion stays {kept}")
        report = layout.report_key(spec.name, int(known["version"]), "evaluation.html")
        click.echo(f"Report: {store.uri(report)}")
        return
    evaluation = outcome.evaluation
    version, m = evaluation["version"], evaluation["metrics"]
    click.echo(f"{spec.name} v{version}: AUC {m['auc']:.4f}, KS {m['ks']:.4f} on out-of-time rows")
    if outcome.promoted:
        click.echo(f"  promoted: champion is {kept} (run {outcome.run_id})")
    else:
        failed = [g["description"] for g in evaluation["gates"] if not g["passed"]]
        status = registry.get_version(spec.name, version).status
        if failed:
            click.echo(f"  rejected by gates ({'; '.join(failed)}); champion stays {kept}")
        elif status == "pending_approval":
            click.echo(
                f"  passed every gate; awaits a reviewer's approval (ml-platform approve "
                f"{spec.name} {version} --reviewer NAME --note TEXT); champion stays {kept}"
            )
        else:
            click.echo(f"  passed every gate, but this run did not move the champion ({kept})")
    if champion:
        record = registry.latest_evaluation(spec.name, champion.version) or {}
        cm = record.get("metrics", {})
        click.echo(
            f"Champion v{champion.version}: AUC {cm.get('auc', float('nan')):.4f}, "
            f"KS {cm.get('ks', float('nan')):.4f}"
        )
    click.echo(f"Report: {evaluation['report_uri']}")


def run_demo(
    ctx: Context,
    spec: ModelSpec,
    days: int,
    rows_per_day: int,
    plan: DriftPlan | None,
    rebuild: bool,
) -> None:
    """Delivers the simulator's days, runs the lifecycle, and with ``plan`` watches the drift
    arrive day by day as the daemon would."""
    platform = open_platform(ctx)
    with day_progress("delivered", days) as progress:
        delivery = land_simulated(
            platform.store, spec, days, rows_per_day, plan, delivery_progress(progress)
        )
    kept = landing_days(delivery.kept)
    if kept:
        click.echo(f"  {plural(len(kept), 'day')} already delivered, kept as delivered")
    last = spec.start_date + dt.timedelta(days=days - 1)
    if plan is None:
        run_lifecycle(platform, spec, spec.start_date, last, rebuild=rebuild)
        return
    # The champion is trained as of the eve of the drift, then the loop watches the drift
    # arrive day by day, as the daemon would.
    cutoff = pre_drift_cutoff(spec, plan.start)
    run_lifecycle(platform, spec, spec.start_date, last, cutoff, rebuild=rebuild)
    watch_from = max(plan.start - dt.timedelta(days=2), spec.start_date)
    run_drift_loop(platform.runner, platform.defs, spec, watch_from, last, echo=click.echo)


def deliver_files(
    platform: Platform,
    spec: ModelSpec,
    first: dt.date,
    last: dt.date,
    redeliver: list[dt.date],
    actor: str | None,
    reason: str,
    explicit_end: bool,
) -> dt.date:
    """Lands the source's files of ``first``..``last``; returns the last day with data."""
    if explicit_end:
        click.echo(f"Delivering {spec.name}'s files {first}..{last}")
    else:  # ``last`` is only a bound: the source's last file decides
        click.echo(f"Delivering {spec.name}'s files from {first} to the last one")
    # The count of files is known once the source is listed; until then, the days asked for.
    with day_progress("delivered", (last - first).days + 1) as progress:
        delivery = land_files(
            platform.store,
            spec,
            first,
            last,
            redeliver,
            actor,
            reason,
            delivery_progress(progress),
        )
    undelivered = [d for d in redeliver if delivery.last_day is None or d > delivery.last_day]
    if undelivered:
        raise click.ClickException(
            f"--redeliver {undelivered[0]}: the source has no file for that day (its last day "
            f"of applications is {delivery.last_day or 'none'})"
        )
    record_replacements(platform.store, platform.registry, delivery)
    echo_delivery(spec, delivery, redeliver)
    echo_stale_versions(platform.registry, spec, delivery)
    return delivery.last_day


def landed_range(
    platform: Platform, spec: ModelSpec, first: dt.date, last: dt.date, explicit_end: bool
) -> dt.date:
    """The last day to ingest for a source that is not files: the landing zone's last day."""
    landed = landed_through(platform.store, spec.name)
    if landed is None:
        raise click.ClickException(
            f"nothing has been delivered for {spec.name} yet: its data source is the "
            f"{spec.data_source.kind}, and 'ml-platform demo' delivers its days"
        )
    if landed < first:
        raise click.ClickException(
            f"nothing delivered for {spec.name} from {first}: its last delivered day is {landed}"
        )
    if landed < last and explicit_end:
        click.echo(f"  {spec.name}'s last delivered day is {landed}; the run ends there")
    return min(last, landed)
