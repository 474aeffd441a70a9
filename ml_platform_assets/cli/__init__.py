"""The ``ml-platform`` command: the demo, a spec's lifecycle, the registry and decisions.

Each command's module is imported only when that command runs (click's lazily loaded
subcommands), so ``ml-platform --help`` lists them from the table below without importing
any; ``demo``, ``run`` and the decisions load Dagster and the definitions only once their
arguments are checked.
"""

from __future__ import annotations

import importlib
import logging
import sys
import warnings

import click

__all__ = ["main"]

# name -> (module:attribute, the command's summary: the first sentence of its help, which a
# test keeps equal to the command's own).
COMMANDS = {
    "demo": (
        "demo:demo",
        "Deliver synthetic data and run credit_default's whole lifecycle through Dagster.",
    ),
    "run": ("run:run", "Run MODEL's lifecycle over its own data source, without generating data."),
    "models": ("models:models", "The model registry: versions, champions, metrics and provenance."),
    "drift": (
        "drift:drift",
        "Data drift against the champion and the drift-triggered retraining decisions.",
    ),
    "report": (
        "report:report",
        "Write MODEL VERSION's model document: one self-contained HTML file (no scripts, no "
        "external resources) with purpose, data, features, metrics, fairness, reason codes, "
        "gates, decisions, deployment history and the audit-ledger records, and print its path.",
    ),
    "approve": (
        "decisions:approve",
        "Approve MODEL VERSION, waiting for a reviewer, and promote it to champion.",
    ),
    "reject": (
        "decisions:reject",
        "Reject MODEL VERSION, waiting for a reviewer; the champion stays.",
    ),
    "promote": ("decisions:promote", "Promote MODEL VERSION to champion by hand."),
    "rollback": (
        "decisions:rollback",
        "Move MODEL's champion back to an earlier champion (default: the one before).",
    ),
    "audit": (
        "audit:audit",
        "A model's audit ledger, oldest first; `audit verify [MODEL]` checks it.",
    ),
    "home": (
        "home:home",
        "Where the platform lives: its home (ML_PLATFORM_HOME), object store, registry and "
        "Dagster instance, and whether it exists.",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when invoked, listed from ``COMMANDS``."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every subcommand's name, in the order of ``COMMANDS``."""
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """The subcommand ``name``, its module imported now; None for an unknown name."""
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name][0].split(":")
        return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands section of --help as click writes it, from the table: no command
        module is imported."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, _shortened(summary, limit)) for name, (_, summary) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _shortened(summary: str, limit: int) -> str:
    """``summary`` cut at a word to ``limit`` characters with "...", as click shortens help."""
    if len(summary) <= limit:
        return summary
    return summary[: limit - 3].rsplit(" ", 1)[0] + "..."


@click.group(cls=LazyGroup)
def main() -> None:
    """Credit models from landing data to a gated, deployed champion."""
    # Dagster's own run logs go to the UI's event log; the terminal gets the summary.
    logging.getLogger("dagster").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


if __name__ == "__main__":
    sys.exit(main())
