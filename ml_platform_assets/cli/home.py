"""``ml-platform home``: where this environment's platform lives, and creating it on purpose."""

from __future__ import annotations

import json

import click

from ml_platform_assets.cli.common import Context, one_sentence
from resources.home import create_platform, platform_exists, require_platform


@click.command()
@click.option("--create", is_flag=True, help="Create the platform here if there is none.")
@click.option(
    "--dagster-home",
    "dagster_home",
    is_flag=True,
    help="Print only the Dagster instance's folder (for DAGSTER_HOME).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@one_sentence
def home(create: bool, dagster_home: bool, as_json: bool) -> None:
    """Where the platform lives: its home (ML_PLATFORM_HOME), object store, registry and
    Dagster instance, and whether it exists."""
    environment = Context().environment
    if create:
        create_platform(environment)
    if dagster_home:
        require_platform(environment)  # `make ui` shows a platform, never makes an empty one
        click.echo(str(environment.dagster_home))
        return
    found = {
        "home": str(environment.home),
        "object_store": environment.object_store,
        "registry": environment.local_database and str(environment.local_database),
        "dagster_home": str(environment.dagster_home),
        "exists": platform_exists(environment),
    }
    if not environment.local_database:
        found["registry"] = "ML_PLATFORM_DATABASE_URL"
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for name, value in found.items():
        click.echo(f"{name + ':':<14}{value}")
