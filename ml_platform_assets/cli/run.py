"""``ml-platform run``: a spec's lifecycle over its own data source, without generating data."""

from __future__ import annotations

import datetime as dt

import click

from ml_platform_assets.cli.common import Context, one_sentence
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.spec_source import FilesSource

REBUILD = click.option(
    "--rebuild",
    is_flag=True,
    help="Ingest every day again, even those already ingested from the same files by the same "
    "code.",
)


def parse_day(value: str | None, spec: ModelSpec, option: str) -> dt.date | None:
    """An ISO date, or a day number counted from the spec's first day (0-based)."""
    if value is None:
        return None
    if value.isdigit():
        return spec.start_date + dt.timedelta(days=int(value))
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.ClickException(
            f"{option} must be a date (YYYY-MM-DD) or a day number, not '{value}'"
        ) from None


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
    help="Replace DAY's delivered files (applications and outcomes) with the corrected source "
    "files (repeatable; DAY..DAY for a range); the old copies are kept and the replacement "
    "recorded.",
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
    ctx = Context()
    spec = ctx.spec(model)
    first = parse_day(start, spec, "--start") or spec.start_date
    last = parse_day(end, spec, "--end") or dt.date.today() - dt.timedelta(days=1)
    if last < first:
        raise click.ClickException(f"--end {last} is before --start {first}")
    if first < spec.start_date:
        raise click.ClickException(
            f"--start {first} is before {spec.name}'s first day of data, {spec.start_date}"
        )
    days = [
        day
        for given in redeliver
        for day in _day_range(*(parse_day(d, spec, "--redeliver") for d in given.split("..", 1)))
    ]
    if days and not isinstance(spec.data_source, FilesSource):
        raise click.ClickException(
            f"--redeliver needs a files data source; {model}'s is {spec.data_source.kind}"
        )
    if any(not first <= day <= last for day in days):
        raise click.ClickException(f"--redeliver days must fall within {first}..{last}")
    if days and not reason.strip():
        raise click.ClickException(
            "--redeliver needs --reason: a replaced delivery is recorded with why"
        )
    # Dagster and the definitions load only once the arguments are known to be good.
    from ml_platform_assets.cli import lifecycle

    platform = lifecycle.open_platform(ctx)
    if isinstance(spec.data_source, FilesSource):
        last = lifecycle.deliver_files(
            platform, spec, first, last, days, actor, reason, end is not None
        )
    else:
        last = lifecycle.landed_range(platform, spec, first, last, end is not None)
    lifecycle.run_lifecycle(platform, spec, first, last, rebuild=rebuild, actor=actor)


def _day_range(first: dt.date, last: dt.date | None = None) -> list[dt.date]:
    """``first``..``last`` inclusive, or ``first`` alone."""
    last = last or first
    if last < first:
        raise click.ClickException(f"--redeliver {first}..{last}: the range ends before it starts")
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
