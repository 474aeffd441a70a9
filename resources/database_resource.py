"""The platform's database as a Dagster resource; the engines and migrations are
``resources.database``'s, which code without Dagster (the command line's reads) uses directly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from pydantic import Field
from sqlalchemy.engine import Connection, Engine

from resources.database import get_engine, transaction
from resources.env_vars import resolved
from resources.migration import migrate


class DatabaseResource(dg.ConfigurableResource):
    """The platform's relational database (model registry, ledger, decisions)."""

    url: str = Field(
        description=(
            "SQLAlchemy URL: sqlite:///path/to.db (embedded) or "
            "mysql+pymysql://user:password@host:3306/database; pass secrets as dg.EnvVar."
        ),
    )

    def get_engine(self) -> Engine:
        """Returns the cached engine for ``url``."""
        return get_engine(resolved(self.url))

    def migrate(self) -> None:
        """Applies every pending migration; a no-op when the schema is current."""
        migrate(self.get_engine())

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Connection]:
        """Yields a connection in a transaction; see ``resources.database.transaction``."""
        with transaction(self.get_engine(), write=write) as connection:
            yield connection
