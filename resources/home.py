"""Whether a platform exists where the environment points, and creating one on purpose.

A platform exists when its registry database holds the platform's schema. Commands that run
the lifecycle create it (the home folder, the embedded Dagster instance's ``dagster.yaml``,
the migrated registry); every other command refuses with a sentence when there is none, and
never creates a file or a table in finding out.
"""

from __future__ import annotations

from resources.database import get_engine, schema_revision
from resources.environment import Environment
from resources.schema import SCHEMA_REVISION

# The embedded Dagster instance: storage under its own folder (Dagster's defaults), and no
# telemetry. The same settings as the repository's dagster.yaml (a test keeps them equal).
INSTANCE_YAML = """\
# The embedded Dagster instance of this ml-platform home (written by ml-platform).
# Runs, event logs and schedules are kept in SQLite under this folder.
telemetry:
  enabled: false
nux:
  enabled: false
"""


class NoPlatformError(RuntimeError):
    """No platform where the environment points; the message says where and how to make one."""


def platform_exists(environment: Environment) -> bool:
    """Whether the registry database holds the platform's schema.

    A SQLite registry that is not there is not created to find out.

    Raises:
        resources.database.DatabaseError: a database server that cannot be reached.
    """
    return _revision(environment) is not None


def _revision(environment: Environment) -> str | None:
    local = environment.local_database
    if local is not None and not local.is_file():
        return None
    return schema_revision(get_engine(environment.database_url))


def require_platform(environment: Environment) -> None:
    """Raises ``NoPlatformError`` unless a platform of this release exists where
    ``environment`` points (an older release's registry is upgraded by the commands that run
    the lifecycle, never by one that reads)."""
    revision = _revision(environment)
    if revision is None:
        raise NoPlatformError(
            f"no ml-platform {environment.where()}: `ml-platform demo` or `ml-platform run "
            "MODEL` creates one in the current folder; set ML_PLATFORM_HOME to use one kept "
            "elsewhere"
        )
    if revision != SCHEMA_REVISION:
        raise NoPlatformError(
            f"the registry {environment.where()} has the schema of another release "
            f"({revision}, this one reads {SCHEMA_REVISION}): `ml-platform home --create` "
            "upgrades it"
        )


def create_platform(environment: Environment) -> None:
    """Makes the platform ``environment`` points at ready: the home folder, the embedded
    instance's ``dagster.yaml`` (unless ``DAGSTER_HOME`` names another instance) and the
    registry's schema. Safe to repeat."""
    if environment.instance_is_embedded:
        environment.dagster_home.mkdir(parents=True, exist_ok=True)
        config = environment.dagster_home / "dagster.yaml"
        if not config.exists():
            config.write_text(INSTANCE_YAML)
    if environment.local_database is not None:
        environment.local_database.parent.mkdir(parents=True, exist_ok=True)
    # Alembic loads here only: reading an existing registry never needs it.
    from resources.migration import migrate

    migrate(get_engine(environment.database_url))
