"""Progress of long stages: a bar on a terminal, plain lines in logs (CI has no terminal)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from ml_platform_assets.cli.common import plural


class Progress:
    """Reports ``done`` of ``total`` steps.

    On a terminal, one bar redrawn in place. Elsewhere, one plain line per ``every`` steps and
    one for the last, as ``line(done, total, detail)`` writes it, so a log never fills with
    carriage returns.
    """

    def __init__(
        self,
        label: str,
        total: int,
        line: Callable[[int, int, str], str],
        every: int = 1,
    ) -> None:
        self.total, self.line, self.every = total, line, every
        self._reported = 0
        self._bar = None
        if sys.stdout.isatty():
            self._bar = click.progressbar(
                length=total, label=label, show_pos=True, item_show_func=lambda item: item
            )

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def update(self, done: int, detail: str = "", total: int | None = None) -> None:
        """``done`` steps finished; ``total`` corrects the count once it is known."""
        if total is not None:
            self.total = total
            if self._bar is not None:
                self._bar.length = total
        if self._bar is not None:
            self._bar.update(done - self._bar.pos, detail)
        elif done > self._reported and (done == self.total or done - self._reported >= self.every):
            self._reported = done
            click.echo(self.line(done, self.total, detail))


# Plain-line progress (logs) reports every this many days, like ingestion's runs.
LINE_EVERY_DAYS = 30


def day_progress(verb: str, total: int) -> Progress:
    """'  delivered 30/120 days (through 2026-01-30)' lines, or a bar."""

    def line(done: int, total: int, through: str) -> str:
        return f"  {verb} {done}/{plural(total, 'day')} (through {through})"

    return Progress(f"  {verb}", total, line, every=LINE_EVERY_DAYS)


def delivery_progress(progress: Progress):
    """A delivery's progress callback ``(day, done, total)``, shown by ``progress``."""
    return lambda day, done, total: progress.update(done, day.isoformat(), total)
