"""``ml-platform demo`` and ``ml-platform run``: delivery, ingestion and training through Dagster.

Dagster, the definitions and the landing code load inside the commands, so that ``--help`` and
the read-only commands never pay for them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from ml_platform_assets.cli.common import Context, one_sentence, plural
from ml_platform_assets.cli.progress import Progress

if TYPE_CHECKING:
    from ml_platform_assets.core.spec import ModelSpec

DEMO_MODEL = "credit_default"
# ml_platform_assets.core.simulate.SCENARIOS, spelled out so that --help loads no simulator.
SCENARIOS = ("income_shock", "merchant_mix", "bureau_shift")
# Plain-line progress (logs) reports every this many days, like ingestion's runs.
LINE_EVERY_DAYS = 30


REBUILD = click.option(
    "--rebuild",
    is_flag=True,
    help="Ingest every day again, even those already ingested from the same files by the same "
    "code.",
)


def _fail(message: str) -> None:
    raise click.ClickException(message)


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


def _day_progress(verb: str, total: int) -> Progress:
    """'  delivered 30/120 days (through 2026-01-30)' lines, or a bar."""

    def line(done: int, total: int, through: str) -> str:
        return f"  {verb} {done}/{plural(total, 'day')} (through {through})"

    return Progress(f"  {verb}", total, line, every=LINE_EVERY_DAYS)


def _delivery_progress(progress: Progress):
    """landing's progress callback, shown by ``progress``."""
    return lambda day, done, total: progress.update(done, day.isoformat(), total)


def _run_lifecycle(
    ctx: Context,
    spec: ModelSpec,
    first: dt.date,
    last: dt.date,
    as_of: dt.date | None = None,
    rebuild: bool = False,
    actor: str | None = None,
) -> None:
    from ml_platform_assets.assets.common import ACTOR_TAG
    from ml_platform_assets.cli.lifecycle import ingest, train

    total = (last - first).days + 1
    click.echo(f"Ingesting {spec.name} {first}..{last} ({plural(total, 'day')}) through Dagster")
    with _day_progress("ingested", total) as progress:
        summaries = ingest(
            ctx.defs,
            spec,
            ctx.instance(),
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
        _fail(
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
        outcome = train(ctx.defs, spec, ctx.instance(), as_of or last, tags, progress=stage)
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
    champion = ctx.read(lambda reg: reg.champion(spec.name))
    kept = f"v{champion.version}" if champion else "none"
    if outcome.already_trained:
        # Nothing was trained, evaluated or deployed: the existing version and its report.
        known = outcome.already_trained
        click.echo(f"{spec.name} {known['summary']}; champion stays {kept}")
        report = layout.report_key(spec.name, int(known["version"]), "evaluation.html")
        click.echo(f"Report: {ctx.store().uri(report)}")
        return
    evaluation = outcome.evaluation or {}
    version, m = evaluation.get("version"), evaluation.get("metrics", {})
    click.echo(
        f"{spec.name} v{version}: AUC {m.get('auc', float('nan')):.4f}, "
        f"KS {m.get('ks', float('nan')):.4f} on out-of-time rows"
    )
    if outcome.promoted:
        click.echo(f"  promoted: champion is {kept} (run {outcome.run_id})")
    else:
        failed = [g["description"] for g in evaluation.get("gates", []) if not g["passed"]]
        status = ctx.read(lambda reg: reg.get_version(spec.name, version).status)
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
        record = ctx.read(lambda reg: reg.latest_evaluation(spec.name, champion.version)) or {}
        cm = record.get("metrics", {})
        click.echo(
            f"Champion v{champion.version}: AUC {cm.get('auc', float('nan')):.4f}, "
            f"KS {cm.get('ks', float('nan')):.4f}"
        )
    click.echo(f"Report: {evaluation.get('report_uri')}")


@click.command()
@click.option("--days", default=120, show_default=True, help="Days of applications to deliver.")
@click.option("--rows-per-day", default=5000, show_default=True, help="Applications per day.")
@click.option("--drift-from", "drift_from", help="First drifted day: a date or a day number.")
@click.option("--drift", type=click.Choice(SCENARIOS), help="Drift scenario to inject.")
@REBUILD
@one_sentence
def demo(
    days: int, rows_per_day: int, drift_from: str | None, drift: str | None, rebuild: bool
) -> None:
    """Deliver synthetic data and run credit_default's whole lifecycle through Dagster."""
    from ml_platform_assets.core.simulate import DriftPlan
    from ml_platform_assets.landing import land_simulated, landing_days

    if (drift_from is None) != (drift is None):
        _fail("--drift-from and --drift go together")
    if days < 1 or rows_per_day < 1:
        _fail("--days and --rows-per-day must be positive")
    ctx = Context()
    spec = ctx.spec(DEMO_MODEL)
    plan = DriftPlan(drift, _parse_day(drift_from, spec, "--drift-from")) if drift else None
    click.echo(
        f"Delivering {plural(days, 'day')} x {plural(rows_per_day, 'application')} of {spec.name}"
        + (f" with {drift} drift from {plan.start}" if plan else "")
    )
    with _day_progress("delivered", days) as progress:
        delivery = land_simulated(
            ctx.store(), spec, days, rows_per_day, plan, _delivery_progress(progress)
        )
    kept = landing_days(delivery.kept)
    if kept:
        click.echo(f"  {plural(len(kept), 'day')} already delivered, kept as delivered")
    last = spec.start_date + dt.timedelta(days=days - 1)
    if plan is None:
        _run_lifecycle(ctx, spec, spec.start_date, last, rebuild=rebuild)
        return
    from ml_platform_assets.cli.drift_loop import pre_drift_cutoff, run_drift_loop

    if not spec.start_date < plan.start <= last:
        _fail(f"--drift-from must fall within the delivered days {spec.start_date}..{last}")
    # The champion is trained as of the eve of the drift, then the loop watches the drift
    # arrive day by day, as the daemon would.
    cutoff = pre_drift_cutoff(spec, plan.start)
    _run_lifecycle(ctx, spec, spec.start_date, last, cutoff, rebuild=rebuild)
    watch_from = max(plan.start - dt.timedelta(days=2), spec.start_date)
    run_drift_loop(ctx.defs, spec, ctx.instance(), watch_from, last, echo=click.echo)


def landed_through(ctx: Context, spec: ModelSpec) -> dt.date | None:
    """The last day whose applications are in the model's landing zone; None before any."""
    from sensors.landing import parse_landing_key

    days = [
        parsed[1]
        for key in ctx.store().list(f"{spec.name}/landing/applications/")
        if (parsed := parse_landing_key(spec, key)) and parsed[0] == "applications"
    ]
    return max(days, default=None)


@click.command()
@click.argument("model")
@click.option("--start", help="First day to ingest (default: the spec's start date).")
@click.option(
    "--end",
    help="Last day to ingest (default: the last delivered day: the source's last file, or for "
    "the simulator the last day in the landing zone).",
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
@click.option(
    "--actor",
    help="Who runs it: recorded as the trainer of a new version and with redeliveries "
    "(default: the user running this).",
)
@REBUILD
@one_sentence
def run(
    model: str,
    start: str | None,
    end: str | None,
    redeliver: tuple[str, ...],
    reason: str,
    actor: str | None,
    rebuild: bool,
) -> None:
    """Run MODEL's lifecycle over its own data source, without generating data."""
    from ml_platform_assets.core.spec_source import FilesSource

    ctx = Context()
    spec = ctx.spec(model)
    first = _parse_day(start, spec, "--start") or spec.start_date
    last = _parse_day(end, spec, "--end") or dt.date.today() - dt.timedelta(days=1)
    if last < first:
        _fail(f"--end {last} is before --start {first}")
    if first < spec.start_date:
        _fail(f"--start {first} is before {spec.name}'s first day of data, {spec.start_date}")
    days = [_parse_day(day, spec, "--redeliver") for day in redeliver]
    if days and not isinstance(spec.data_source, FilesSource):
        _fail(f"--redeliver needs a files data source; {model}'s is {spec.data_source.kind}")
    if any(not first <= day <= last for day in days):
        _fail(f"--redeliver days must fall within {first}..{last}")
    if days and not reason.strip():
        _fail("--redeliver needs --reason: a replaced delivery is recorded with why")
    if isinstance(spec.data_source, FilesSource):
        last = _deliver_files(ctx, spec, first, last, days, actor, reason, end is not None)
    else:
        last = _landed_range(ctx, spec, first, last, explicit_end=end is not None)
    _run_lifecycle(ctx, spec, first, last, rebuild=rebuild, actor=actor)


def _deliver_files(
    ctx: Context,
    spec: ModelSpec,
    first: dt.date,
    last: dt.date,
    redeliver: list[dt.date],
    actor: str | None,
    reason: str,
    explicit_end: bool = True,
) -> dt.date:
    """Lands the source's files of ``first``..``last``; returns the last day with data."""
    from ml_platform_assets.landing import land_files

    if explicit_end:
        click.echo(f"Delivering {spec.name}'s files {first}..{last}")
    else:  # ``last`` is only a bound: the source's last file decides
        click.echo(f"Delivering {spec.name}'s files from {first} to the last one")
    # The count of files is known once the source is listed; until then, the days asked for.
    with _day_progress("delivered", (last - first).days + 1) as progress:
        delivery = land_files(
            ctx.store(),
            spec,
            first,
            last,
            redeliver,
            actor,
            reason,
            _delivery_progress(progress),
        )
    undelivered = [d for d in redeliver if delivery.last_day is None or d > delivery.last_day]
    if undelivered:
        _fail(
            f"--redeliver {undelivered[0]}: the source has no file for that day (its last day "
            f"of applications is {delivery.last_day or 'none'})"
        )
    _record_replacements(ctx, spec, delivery)
    _echo_delivery(spec, delivery, redeliver)
    _echo_stale_versions(ctx, spec, delivery)
    return delivery.last_day


def _record_replacements(ctx: Context, spec: ModelSpec, delivery) -> None:
    """A ``redelivered`` audit ledger record per replaced day: the new file, the kept copy of
    the old one and the delivery record, each with its sha256."""
    import hashlib

    from ml_platform_assets.core import layout
    from ml_platform_assets.landing import replacement_records
    from ml_platform_assets.registry.ledger import Artifact

    store = ctx.store()
    for record in replacement_records(store, delivery):
        day = dt.date.fromisoformat(record["day"])
        replaced = record["replaces"][-1]
        record_key = layout.delivery_record_key(spec.name, record["kind"], day)
        record_sha = hashlib.sha256(store.get_bytes(record_key)).hexdigest()
        artifacts = [
            Artifact(record["key"], store.uri(record["key"]), record["sha256"]),
            Artifact(replaced["kept_at"], store.uri(replaced["kept_at"]), replaced["sha256"]),
            Artifact(record_key, store.uri(record_key), record_sha),
        ]
        ctx.read(
            lambda reg, record=record, artifacts=artifacts: reg.record_redelivery(
                spec.name, actor=record["delivered_by"], delivery=record, artifacts=artifacts
            )
        )


def _landed_range(
    ctx: Context, spec: ModelSpec, first: dt.date, last: dt.date, explicit_end: bool
) -> dt.date:
    """The last day to ingest for a source that is not files: the landing zone's last day."""
    landed = landed_through(ctx, spec)
    if landed is None:
        _fail(
            f"nothing has been delivered for {spec.name} yet: its data source is the "
            f"{spec.data_source.kind}, and 'ml-platform demo' delivers its days"
        )
    if landed < first:
        _fail(f"nothing delivered for {spec.name} from {first}: its last delivered day is {landed}")
    if landed < last and explicit_end:
        click.echo(f"  {spec.name}'s last delivered day is {landed}; the run ends there")
    return min(last, landed)


def _echo_delivery(spec: ModelSpec, delivery, redeliver: list[dt.date]) -> None:
    from ml_platform_assets.landing import landing_days

    new, kept = landing_days(delivery.written), landing_days(delivery.kept)
    click.echo(
        f"Delivered {plural(delivery.rows, 'application')} through {delivery.last_day}: "
        f"{plural(len(new), 'new day')}, {len(kept):,} already delivered and kept"
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
            f"  No file for {plural(len(delivery.missing_days), 'day')} "
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
    for version in ctx.read(lambda reg: reg.list_versions(spec.name)):
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
                "fingerprint, and the next training run uses the corrected data"
            )


def _day_list(days: list[dt.date], shown: int = 5) -> str:
    text = ", ".join(day.isoformat() for day in days[:shown])
    return text + (f" and {len(days) - shown} more" if len(days) > shown else "")
