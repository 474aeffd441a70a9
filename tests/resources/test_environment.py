"""Reading the environment into resources: defaults, S3 and MySQL settings, secrets kept as
``dg.EnvVar``; end to end against the run's SeaweedFS inside a Dagster run.
"""

from pathlib import Path

import dagster as dg
import pytest

import ml_platform_assets
import resources
import sensors
from resources.database_resource import DatabaseResource
from resources.environment import read_environment
from resources.object_store import LocalObjectStore
from resources.object_store_resource import ObjectStoreResource
from resources.s3_object_store import S3ObjectStore
from resources.wiring import platform_resources

REPO = Path(__file__).resolve().parents[2]


def test_generic_top_level_packages_resolve_to_this_project():
    for package in (resources, sensors, ml_platform_assets):
        assert Path(package.__file__).resolve().is_relative_to(REPO), package.__file__


def resources_from_env(env: dict[str, str] | None = None) -> dict:
    return platform_resources(read_environment(env))


def test_embedded_defaults_live_in_the_current_folders_platform_home(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    environment = read_environment({})
    home = tmp_path / ".ml_platform"
    assert environment.home == home
    found = platform_resources(environment)
    assert found["object_store"].uri == str(home)
    assert isinstance(found["object_store"].get_store(), LocalObjectStore)
    assert found["database"].url == f"sqlite:///{home}/registry.db"
    assert environment.dagster_home == home / ".dagster"
    assert list(tmp_path.iterdir()) == []  # reading the settings creates nothing


def test_the_home_is_found_from_any_folder_below_it(tmp_path, monkeypatch):
    """As git finds its repository: the nearest .ml_platform of the folder or its parents."""
    (tmp_path / ".ml_platform").mkdir()
    below = tmp_path / "a" / "b"
    below.mkdir(parents=True)
    monkeypatch.chdir(below)
    assert read_environment({}).home == tmp_path / ".ml_platform"
    # The nearest one wins.
    (tmp_path / "a" / ".ml_platform").mkdir()
    assert read_environment({}).home == tmp_path / "a" / ".ml_platform"


def test_one_setting_moves_every_part_of_the_platform(tmp_path):
    environment = read_environment({"ML_PLATFORM_HOME": str(tmp_path / "p")})
    assert environment.object_store == str(tmp_path / "p")
    assert environment.database_url == f"sqlite:///{tmp_path / 'p' / 'registry.db'}"
    assert environment.dagster_home == tmp_path / "p" / ".dagster"
    assert not (tmp_path / "p").exists()  # reading the settings creates nothing


def test_a_relative_home_or_store_is_taken_from_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    environment = read_environment(
        {"ML_PLATFORM_HOME": "platform", "ML_PLATFORM_OBJECT_STORE": "store"}
    )
    assert environment.home == tmp_path / "platform"
    assert environment.object_store == str(tmp_path / "store")


def test_production_settings():
    env = {
        "ML_PLATFORM_OBJECT_STORE": "s3://artifacts/prod",
        "ML_PLATFORM_DATABASE_URL": "mysql+pymysql://ml:pw@db:3306/registry",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "example-secret",
    }

    found = resources_from_env(env)

    store = found["object_store"]
    assert (store.uri, store.endpoint_url, store.region_name) == (
        "s3://artifacts/prod",
        "http://127.0.0.1:1",
        "eu-west-1",
    )
    assert found["database"].url == "mysql+pymysql://ml:pw@db:3306/registry"
    s3 = store.get_store()
    assert isinstance(s3, S3ObjectStore) and s3.uri("m/x") == "s3://artifacts/prod/m/x"
    assert s3.endpoint == "http://127.0.0.1:1"


def test_secrets_from_the_process_stay_environment_references(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-store-me")
    monkeypatch.setenv("ML_PLATFORM_DATABASE_URL", "mysql+pymysql://ml:pw@db/registry")

    found = resources_from_env()

    assert found["object_store"].aws_secret_access_key == "AWS_SECRET_ACCESS_KEY"
    assert isinstance(found["object_store"].aws_secret_access_key, dg.EnvVar)
    assert isinstance(found["database"].url, dg.EnvVar)
    assert "do-not-store-me" not in repr(found)


def test_specs_dir():
    assert read_environment({}).specs_dir is None
    assert read_environment({"ML_PLATFORM_SPECS_DIR": "/specs"}).specs_dir == "/specs"


def test_s3_from_the_environment_works_in_and_out_of_a_run(s3_settings, monkeypatch, tmp_path):
    bucket = s3_settings["ML_PLATFORM_TEST_S3_BUCKET"]
    monkeypatch.setenv("ML_PLATFORM_OBJECT_STORE", f"s3://{bucket}/env-test")
    monkeypatch.setenv("ML_PLATFORM_DATABASE_URL", f"sqlite:///{tmp_path / 'registry.db'}")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_settings["ML_PLATFORM_TEST_S3_ENDPOINT"])
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_settings["ML_PLATFORM_TEST_S3_ACCESS_KEY"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_settings["ML_PLATFORM_TEST_S3_SECRET_KEY"])
    found = resources_from_env()

    @dg.asset
    def card(object_store: ObjectStoreResource, database: DatabaseResource) -> str:
        database.migrate()
        return object_store.get_store().put_json("m/card.json", {"ok": True}).uri

    result = dg.materialize([card], resources=found)

    assert result.output_for_node("card") == f"s3://{bucket}/env-test/m/card.json"
    store = found["object_store"].get_store()  # outside a run the EnvVars resolve too
    assert store.get_json("m/card.json") == {"ok": True}
    store.delete_prefix("")


def test_an_object_store_with_another_scheme_is_refused_where_it_is_read(tmp_path, monkeypatch):
    """The registry's default database sits in the store's folder: a typo'd s4:// must fail
    before anything (a folder named 's4:', a registry in it) is created."""
    monkeypatch.chdir(tmp_path)
    env = {"ML_PLATFORM_OBJECT_STORE": "s4://bucket/x"}
    with pytest.raises(ValueError, match=r"ML_PLATFORM_OBJECT_STORE\) 's4://bucket/x'"):
        read_environment(env)
    assert list(tmp_path.iterdir()) == []
