"""The platform's database: SQLite embedded, MySQL/MariaDB in production, one migrated schema.

Engines are cached per URL per process. SQLite gets WAL, a busy timeout and foreign keys, and
transactions that can take the write lock up front (``BEGIN IMMEDIATE``) so that concurrent
writers queue instead of failing. A server that cannot be reached raises ``DatabaseError`` with a
sentence naming the host and port.

Nothing here imports Dagster, so the command line's read-only commands open the registry without
it; the Dagster resource is ``resources.database_resource.DatabaseResource``.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

from resources.schema import VERSION_TABLE

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5
SQLITE_BUSY_TIMEOUT_SECONDS = 30

_engines: dict[tuple[int, str], Engine] = {}
_engines_lock = threading.Lock()


class DatabaseError(RuntimeError):
    """The database could not be reached or used; the message says where and why."""


def get_engine(url: str) -> Engine:
    """Returns this process's engine for ``url``, creating it on first use.

    Raises:
        DatabaseError: ``url`` is not a URL SQLAlchemy can read, has blanks around it, an
            unencoded ``@`` in its password, no host (other than SQLite or a MySQL
            ``unix_socket``), or names a database kind whose dialect or driver is not installed;
            the message never repeats the URL, which may hold a password.
    """
    # Keyed by pid too: pooled connections must not be shared with forked children.
    key = (os.getpid(), url)
    with _engines_lock:
        if key not in _engines:
            _engines[key] = _create_engine(_parse(url))
        return _engines[key]


# Where a deployment sets the URL (resources/environment.py reads it), for error messages.
URL_SETTING = "ML_PLATFORM_DATABASE_URL"
URL_EXAMPLES = "mysql+pymysql://user:password@host:3306/registry or sqlite:///path/registry.db"


def _parse(url: str) -> URL:
    """``url`` parsed and checked before any connection; errors name the setting and never
    repeat the URL, which may hold a password."""

    def refuse(why: str) -> DatabaseError:
        return DatabaseError(
            f"the registry's database URL ({URL_SETTING}) {why}: expected the form {URL_EXAMPLES}"
        )

    if url != url.strip():
        raise refuse("starts or ends with blanks (a newline from the file it was read from?)")
    try:
        parsed = make_url(url)
    except (sa.exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise refuse("is not a database URL") from None
    if parsed.host and "@" in parsed.host:
        raise refuse("has an '@' in its host: write an '@' in the password as %40")
    try:
        parsed.get_dialect()
    except (sa.exc.NoSuchModuleError, ImportError):
        raise _not_installed(parsed) from None
    local = parsed.get_backend_name() == "sqlite" or "unix_socket" in parsed.query
    if not local and not parsed.host:
        raise refuse(f"names no host for {parsed.get_backend_name()}")
    return parsed


def _not_installed(url: URL) -> DatabaseError:
    return DatabaseError(
        f"the registry's database URL ({URL_SETTING}) names the database kind "
        f"'{url.drivername}', whose driver is not installed here; supported: {URL_EXAMPLES}"
    )


def dispose_engine(url: str) -> None:
    """Closes this process's pooled connections for ``url`` and forgets the engine."""
    with _engines_lock:
        engine = _engines.pop((os.getpid(), url), None)
    if engine is not None:
        engine.dispose()


def describe(url: URL) -> str:
    """Names a database for people without revealing its password."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database or ':memory:'}"
    return f"{url.get_backend_name()} at {url.host}:{url.port or 3306} (database '{url.database}')"


def _create_engine(url: URL) -> Engine:
    try:
        return _engine(url)
    except ImportError:  # the dialect's DBAPI module (psycopg2, MySQLdb, ...) is not installed
        raise _not_installed(url) from None


def _engine(url: URL) -> Engine:
    backend = url.get_backend_name()
    if backend == "sqlite":
        engine = _sqlite_engine(url)
    elif backend in ("mysql", "mariadb"):
        if "+" not in url.drivername:
            url = url.set(drivername=f"{backend}+pymysql")
        engine = sa.create_engine(
            url,
            pool_pre_ping=True,
            pool_recycle=3600,
            # Fewer gap locks than REPEATABLE READ; row locks still serialize writers.
            isolation_level="READ COMMITTED",
            connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS, "charset": "utf8mb4"},
        )
    else:
        engine = sa.create_engine(url, pool_pre_ping=True)
    where = describe(url)

    @sa.event.listens_for(engine, "handle_error")
    def _explain_connect_failure(context: Any) -> Exception | None:
        if context.connection is not None or context.is_pre_ping:
            return None
        return DatabaseError(f"Cannot connect to {where}: {context.original_exception}")

    return engine


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})

    @sa.event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself; pysqlite's implicit transactions skip DDL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        _enable_wal(cursor)
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("ml_platform_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _enable_wal(cursor: Any) -> None:
    """Switches a database file to WAL once; readers then never block the writer."""
    # The switch needs an exclusive lock and SQLite does not wait for it (no busy handler), so
    # processes opening a new file together retry until one of them has switched it.
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_SECONDS
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def transaction(engine: Engine, *, write: bool = False) -> Iterator[Connection]:
    """Yields a connection inside a transaction committed on success, rolled back on error.

    Args:
        engine: From ``get_engine``.
        write: Take SQLite's write lock at BEGIN. A transaction that reads and then writes
            needs it: otherwise two such transactions can both read and one fails with
            "database is locked". On MySQL use ``SELECT ... FOR UPDATE`` for the same effect.
    """
    with engine.connect() as connection:
        if write:
            connection.execution_options(ml_platform_write=True)
        with connection.begin():
            yield connection


def schema_revision(engine: Engine) -> str | None:
    """The schema's migration revision, None when the database holds no platform schema.

    Raises:
        DatabaseError: the server cannot be reached.
    """
    if not sa.inspect(engine).has_table(VERSION_TABLE):
        return None
    with engine.connect() as connection:
        query = sa.text(f"SELECT version_num FROM {VERSION_TABLE}")
        return connection.execute(query).scalar()
