"""The ``ml-platform`` command: the demo, a spec's lifecycle, the registry and decisions.

Importing this loads click and the command modules only, which import no more than the specs,
the registry and the object store; ``demo``, ``run`` and the decisions load Dagster and the
definitions when they run, so ``--help`` and the read-only commands answer in about a second.
"""

from __future__ import annotations

import logging
import sys
import warnings

import click

from ml_platform_assets.cli.audit import audit
from ml_platform_assets.cli.decisions import approve, promote, reject, rollback
from ml_platform_assets.cli.demo import demo
from ml_platform_assets.cli.drift import drift
from ml_platform_assets.cli.home import home
from ml_platform_assets.cli.models import models
from ml_platform_assets.cli.report import report
from ml_platform_assets.cli.run import run

__all__ = ["main"]


@click.group()
def main() -> None:
    """Credit models from landing data to a gated, deployed champion."""
    # Dagster's own run logs go to the UI's event log; the terminal gets the summary.
    logging.getLogger("dagster").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


for command in (demo, run, models, drift, report, approve, reject, promote, rollback, audit, home):
    main.add_command(command)

if __name__ == "__main__":
    sys.exit(main())
