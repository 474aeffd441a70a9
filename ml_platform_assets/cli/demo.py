"""``ml-platform demo``: synthetic days of a pay-over-time lender through the whole lifecycle."""

from __future__ import annotations

import click

from ml_platform_assets.cli.common import Context, one_sentence, plural
from ml_platform_assets.cli.run import REBUILD, parse_day

DEMO_MODEL = "credit_default"
# ml_platform_assets.core.simulate.SCENARIOS, spelled out so that --help loads no simulator.
SCENARIOS = ("income_shock", "merchant_mix", "bureau_shift")


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
    if (drift_from is None) != (drift is None):
        raise click.ClickException("--drift-from and --drift go together")
    if days < 1 or rows_per_day < 1:
        raise click.ClickException("--days and --rows-per-day must be positive")
    ctx = Context()
    spec = ctx.spec(DEMO_MODEL)
    start = parse_day(drift_from, spec, "--drift-from") if drift else None
    last = spec.start_date + spec.start_date.resolution * (days - 1)
    if start is not None and not spec.start_date < start <= last:
        raise click.ClickException(
            f"--drift-from must fall within the delivered days {spec.start_date}..{last}"
        )
    # Dagster, the simulator and the definitions load only once the arguments are good.
    from ml_platform_assets.cli import lifecycle
    from ml_platform_assets.core.simulate import DriftPlan

    plan = DriftPlan(drift, start) if drift else None
    click.echo(
        f"Delivering {plural(days, 'day')} x {plural(rows_per_day, 'application')} of {spec.name}"
        + (f" with {drift} drift from {plan.start}" if plan else "")
    )
    lifecycle.run_demo(ctx, spec, days, rows_per_day, plan, rebuild)
