"""The database resource on SQLite (temp file) and MariaDB (a fresh database per test):
migrations, transactions, engine settings and the errors people see when a server is missing.
"""

import socket
import time

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from resources.database import DatabaseError, dispose_engine, get_engine
from resources.database_resource import DatabaseResource
from resources.migration import alembic_config
from resources.schema import VERSION_TABLE, metadata, model_versions, utcnow

REGISTRY_TABLES = {"model_versions", "evaluations", "model_aliases", "alias_events"}


def _head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_migrate_creates_the_schema_and_is_idempotent(database_resource: DatabaseResource):
    database_resource.migrate()
    database_resource.migrate()

    engine = database_resource.get_engine()
    assert set(sa.inspect(engine).get_table_names()) >= REGISTRY_TABLES
    with engine.connect() as conn:
        versions = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
        assert list(versions) == [_head()]


def test_migrations_match_the_declared_tables(database_resource: DatabaseResource):
    database_resource.migrate()

    with database_resource.get_engine().connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        assert compare_metadata(context, metadata) == []


def test_transaction_commits_or_rolls_back_as_a_whole(database_resource: DatabaseResource):
    database_resource.migrate()
    row = dict(
        artifact_uri="file:///m.txt",
        model_sha256="0" * 64,
        training_set_fingerprint="fp",
        code_version="1",
        created_at=utcnow(),
        status="trained",
        params_json="{}",
        windows_json="{}",
        feature_list_json="[]",
        spec_json="{}",
    )

    with (
        pytest.raises(RuntimeError, match="boom"),
        database_resource.transaction(write=True) as conn,
    ):
        conn.execute(model_versions.insert().values(model="m", version=1, **row))
        raise RuntimeError("boom")
    with database_resource.transaction() as conn:
        conn.execute(model_versions.insert().values(model="m", version=2, **row))

    with database_resource.get_engine().connect() as conn:
        stored = conn.execute(sa.select(model_versions.c.version, model_versions.c.created_at))
        (version, created_at), *rest = stored.all()
    assert (version, rest) == (2, [])
    assert created_at == row["created_at"]  # microseconds and UTC survive the round trip


def test_engine_is_cached_per_url(database_url: str):
    assert get_engine(database_url) is get_engine(database_url)


def test_sqlite_creates_its_folder_and_sets_wal_and_foreign_keys(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'nested' / 'registry.db'}"
    try:
        with get_engine(url).connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert (tmp_path / "new" / "nested" / "registry.db").exists()
    finally:
        dispose_engine(url)


def test_unreachable_mysql_fails_fast_naming_host_and_port():
    with socket.socket() as probe:  # a port nobody listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    resource = DatabaseResource(url=f"mysql+pymysql://ml:secret@127.0.0.1:{port}/registry")

    started = time.monotonic()
    with pytest.raises(DatabaseError) as raised:
        resource.migrate()
    assert time.monotonic() - started < 10
    message = str(raised.value)
    assert f"Cannot connect to mysql at 127.0.0.1:{port} (database 'registry')" in message
    assert "secret" not in message


def test_missing_mysql_database_is_named(make_mysql_database):
    url = sa.make_url(make_mysql_database()).set(database="mlp_no_such_database")

    with pytest.raises(DatabaseError, match="database 'mlp_no_such_database'.*Unknown database"):
        DatabaseResource(url=url.render_as_string(hide_password=False)).migrate()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("nonsense", "is not a database URL"),
        ("mysql+pymysql://ml:secret/registry", "is not a database URL"),  # no @host: a port
        ("mysql://ml:secret@db:notaport/registry", "is not a database URL"),
        ("mysql://ml:se@cret@db/registry", "write an '@' in the password as %40"),
        ("mysql+pymysql://ml:secret@db/registry\n", "starts or ends with blanks"),
        (" sqlite:///registry.db", "starts or ends with blanks"),
        ("mysql+pymysql://ml:secret@/registry", "names no host for mysql"),
        ("postgresql+nosuchdriver://ml:secret@db/registry", "'postgresql+nosuchdriver'"),
        ("oracle2://ml:secret@db/registry", "'oracle2', whose driver is not installed"),
        ("postgresql://ml:secret@db/registry", "'postgresql', whose driver is not installed"),
        ("mysql+mysqldb://ml:secret@db/registry", "'mysql+mysqldb', whose driver is not"),
    ],
)
def test_a_bad_database_url_names_the_setting_and_keeps_the_password(url: str, says: str):
    with pytest.raises(DatabaseError) as raised:
        get_engine(url)
    message = str(raised.value)
    assert "ML_PLATFORM_DATABASE_URL" in message and says in message
    assert "secret" not in message and "cret" not in message


def test_the_schema_revision_the_code_reads_is_alembics_head() -> None:
    """A read-only command compares the registry's revision with SCHEMA_REVISION without
    loading Alembic: the constant must name the newest migration."""
    from resources.schema import SCHEMA_REVISION

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_REVISION
