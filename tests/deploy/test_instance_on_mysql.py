"""The production instance config (deploy/dagster.yaml): the chain's runs and materializations
land in MariaDB through dagster-mysql, configured only from environment variables."""

import shutil
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from resources.database_resource import DatabaseResource
from tests.platforms import SmallPlatform, small_spec

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "dagster.yaml"


def test_deploy_config_has_no_literal_secrets() -> None:
    text = DEPLOY.read_text()
    assert "password:\n        env: DAGSTER_MYSQL_PASSWORD" in text


def test_chain_runs_on_an_instance_stored_in_mariadb(
    tmp_path, monkeypatch, make_mysql_database, make_s3_resource
) -> None:
    url = sa.make_url(make_mysql_database())
    for name, value in {
        "DAGSTER_MYSQL_HOST": url.host,
        "DAGSTER_MYSQL_PORT": str(url.port or 3306),
        "DAGSTER_MYSQL_USER": url.username,
        "DAGSTER_MYSQL_PASSWORD": url.password or "",
        "DAGSTER_MYSQL_DB": url.database,
    }.items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY, home / "dagster.yaml")

    with dg.DagsterInstance.from_config(str(home)) as instance:
        backends = {
            "object_store": make_s3_resource(),
            "database": DatabaseResource(url=make_mysql_database()),
        }
        platform = SmallPlatform(small_spec(), backends, instance)
        platform.land(14)
        platform.ingest(0, 13)
        outcome = platform.train()
        assert outcome.promoted

    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        runs = conn.execute(sa.text("SELECT status FROM runs")).scalars().all()
        materialized = (
            conn.execute(
                sa.text(
                    "SELECT DISTINCT asset_key FROM event_logs "
                    "WHERE dagster_event_type = 'ASSET_MATERIALIZATION'"
                )
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert runs and set(runs) == {"SUCCESS"}
    assert '["credit_default", "deployed_model"]' in materialized
    assert '["credit_default", "raw_applications"]' in materialized
