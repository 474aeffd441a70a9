"""deploy/mysql/grants.sql on MariaDB: the application's account runs the registry and appends
to the audit ledger, and the server refuses it any UPDATE or DELETE of a ledger row."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ml_platform_assets.registry import ModelRegistry
from ml_platform_assets.registry.audit import verify_ledger
from resources.database import dispose_engine
from resources.migration import migrate
from tests.registry_versions import register_passed

GRANTS = Path(__file__).parents[2] / "deploy" / "mysql" / "grants.sql"
ACCESS_DENIED = 1142  # ER_TABLEACCESS_DENIED_ERROR: "UPDATE command denied to user ..."


def grant_statements(database: str, user: str, host: str, password: str) -> list[str]:
    """The file's statements with its placeholders filled in."""
    text = GRANTS.read_text()
    for name, value in (
        ("DATABASE", database),
        ("APP_USER", user),
        ("APP_HOST", host),
        ("APP_PASSWORD", password),
    ):
        text = text.replace("${" + name + "}", value)
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [statement.strip() for statement in code.split(";") if statement.strip()]


@pytest.fixture
def app_url(make_mysql_database) -> Iterator[str]:
    """A migrated database and an application account holding exactly the documented grants."""
    owner_url = sa.make_url(make_mysql_database())
    migrate(sa.create_engine(owner_url, poolclass=sa.NullPool))
    user, password = f"mlp_app_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    owner = sa.create_engine(owner_url, poolclass=sa.NullPool)
    with owner.begin() as conn:
        for statement in grant_statements(owner_url.database, user, "%", password):
            conn.exec_driver_sql(statement.replace("%", "%%"))  # the driver formats with %
    url = owner_url.set(username=user, password=password).render_as_string(hide_password=False)
    yield url
    dispose_engine(url)
    with owner.begin() as conn:
        conn.exec_driver_sql(f"DROP USER IF EXISTS '{user}'@'%%'")
    owner.dispose()


def test_the_application_account_appends_but_cannot_rewrite_the_ledger(app_url):
    engine = sa.create_engine(app_url, poolclass=sa.NullPool)
    registry = ModelRegistry(engine)
    migrate(engine)  # finds the schema current: reading the version table is all it needs
    version = register_passed(registry, "m", trained_by="alice")
    registry.promote("m", version, reason="passed", actor="run")
    assert len(registry.audit_history("m")) == 3

    for statement in (
        "UPDATE audit_ledger SET actor = 'mallory'",
        "DELETE FROM audit_ledger",
    ):
        with pytest.raises(sa.exc.OperationalError) as refused, engine.begin() as conn:
            conn.exec_driver_sql(statement)
        assert refused.value.orig.args[0] == ACCESS_DENIED

    assert verify_ledger(engine, None, "m")[0].problems == []
