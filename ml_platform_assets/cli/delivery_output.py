"""What a delivery did, as ``ml-platform run`` prints it: new, kept and redelivered days, days
without a file, rows without a timestamp, and versions trained on data since replaced."""

from __future__ import annotations

import datetime as dt

import click

from ml_platform_assets.cli.common import plural
from ml_platform_assets.core import layout
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.registry import ModelRegistry
from ml_platform_assets.services.landing_zone import Delivery, landing_days


def day_list(days: list[dt.date], shown: int = 5) -> str:
    """'2026-01-01, 2026-01-02 and 3 more'."""
    text = ", ".join(day.isoformat() for day in days[:shown])
    return text + (f" and {len(days) - shown} more" if len(days) > shown else "")


def echo_delivery(spec: ModelSpec, delivery: Delivery, redeliver: list[dt.date]) -> None:
    """Prints what ``delivery`` wrote, kept, replaced and found missing or changed."""
    new, kept = landing_days(delivery.written), landing_days(delivery.kept)
    click.echo(
        f"Delivered {plural(delivery.rows, 'application')} through {delivery.last_day}: "
        f"{plural(len(new), 'new day')}, {len(kept):,} already delivered and kept"
    )
    replaced = _replaced_days(delivery)
    for day, kinds in sorted(replaced.items()):
        if day in redeliver or ("applications" in kinds and day not in delivery.late_days):
            click.echo(
                f"  {day}: redelivered ({' and '.join(kinds)}); the replaced files are kept and "
                "the change recorded"
            )
    for day, matured in sorted(delivery.late_days.items()):
        follows = f"; the outcomes derived from it (known {matured}) follow" if matured else ""
        click.echo(f"  {day}: arrived late, after it was ingested without applications{follows}")
    for day in _late_outcome_files(delivery, redeliver):
        click.echo(f"  {day}: an outcome file arrived for a day first delivered without one")
    for day in sorted(set(redeliver) - set(replaced)):
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
            f"({day_list(delivery.missing_days)}): ingested as days without applications"
        )
    if delivery.empty_days:
        click.echo(
            f"  {plural(len(delivery.empty_days), 'file')} with a header and no rows "
            f"({day_list(delivery.empty_days)}): ingested as days without applications"
        )
    if delivery.missing_outcome_days:
        click.echo(
            f"  No outcome file for {plural(len(delivery.missing_outcome_days), 'day')} "
            f"({day_list(delivery.missing_outcome_days)}): no outcomes known on them yet; a "
            "file that arrives later takes their place"
        )
    if delivery.unassigned_rows:
        click.secho(
            f"  Warning: {delivery.unassigned_rows:,} row(s) of {spec.data_source.applications} "
            "have no readable timestamp and belong to no day; they were not delivered",
            fg="yellow",
            err=True,
        )


def _replaced_days(delivery: Delivery) -> dict[dt.date, list[str]]:
    """Each day whose landing files ``delivery`` replaced, with the kinds replaced."""
    days: dict[dt.date, list[str]] = {}
    for key in delivery.replaced:
        parsed = layout.parse_landing_key(key)
        if parsed:
            days.setdefault(parsed[2], []).append(parsed[1])
    return days


def _late_outcome_files(delivery: Delivery, redeliver: list[dt.date]) -> list[dt.date]:
    """Outcome days replaced neither on request nor as a late application day's outcomes."""
    derived = set(delivery.late_days.values())
    days = (layout.parse_landing_key(key) for key in delivery.replaced)
    return sorted(
        p[2]
        for p in days
        if p and p[1] == "outcomes" and p[2] not in derived and p[2] not in redeliver
    )


def echo_stale_versions(registry: ModelRegistry, spec: ModelSpec, delivery: Delivery) -> None:
    """Names the registered versions whose windows held a day that was just replaced."""
    replaced = landing_days(delivery.replaced)
    if not replaced:
        return
    for version in registry.list_versions(spec.name):
        start = dt.date.fromisoformat(version.windows["train_start"])
        end = dt.date.fromisoformat(version.windows["oot_end"])
        stale = [day for day in replaced if start <= day <= end]
        if stale:
            click.echo(
                f"  v{version.version} was trained and evaluated on data of "
                f"{day_list(stale)} as first delivered; its record keeps the old data's "
                "fingerprint, and the next training run uses the corrected data"
            )
