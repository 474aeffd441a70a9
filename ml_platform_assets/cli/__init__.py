"""The ``ml-platform`` command: the demo, a spec's lifecycle, and the model registry.

Importing this loads click and the command modules only; each command loads what it needs
(``models`` and ``drift status`` the specs and the registry database, ``run`` and ``demo``
Dagster and the definitions).
"""

from __future__ import annotations

import logging
import sys
import warnings

import click

from ml_platform_assets.cli.audit import audit
from ml_platform_assets.cli.decisions import approve, promote, reject, rollback
from ml_platform_assets.cli.drift import drift
from ml_platform_assets.cli.models import models
from ml_platform_assets.cli.report import report
from ml_platform_assets.cli.runs import demo, run

__all__ = ["main"]


@click.group()
def main() -> None:
    """Credit models from landing data to a gated, deployed champion."""
    # Dagster's own run logs go to the UI's event log; the terminal gets the summary.
    logging.getLogger("dagster").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


main.add_command(demo)
main.add_command(run)
main.add_command(models)
main.add_command(drift)
main.add_command(report)
main.add_command(approve)
main.add_command(reject)
main.add_command(promote)
main.add_command(rollback)
main.add_command(audit)

if __name__ == "__main__":
    sys.exit(main())
