"""Bringing the registry database's schema to the newest migration (Alembic).

Kept apart from ``resources.database`` so that code reading an existing registry (the command
line's read-only commands) never loads Alembic.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.engine import Connection, Engine

from resources.database import DatabaseError, describe

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    """Returns an Alembic config for this package's migrations, bound to ``connection``."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Brings the schema to the newest migration; safe to repeat and to run concurrently."""
    is_mysql = engine.dialect.name in ("mysql", "mariadb")
    lock_name = f"ml_platform_migrate_{engine.url.database}"[:64]
    with engine.connect() as connection:
        if is_mysql:
            # MySQL DDL is not transactional, so concurrent migrators queue on a named lock.
            got = connection.execute(sa.text("SELECT GET_LOCK(:n, 120)"), {"n": lock_name})
            if got.scalar() != 1:
                raise DatabaseError(f"Timed out waiting to migrate {describe(engine.url)}.")
            connection.commit()
        try:
            connection.execution_options(ml_platform_write=True)
            with connection.begin():
                command.upgrade(alembic_config(connection), "head")
        finally:
            # A lost connection releases the lock itself; keep the original error visible.
            with suppress(sa.exc.DBAPIError):
                if is_mysql:
                    connection.execute(sa.text("SELECT RELEASE_LOCK(:n)"), {"n": lock_name})
                    connection.commit()
    logger.info("Database schema of %s is up to date.", describe(engine.url))
