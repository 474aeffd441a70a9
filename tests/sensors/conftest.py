"""Fixtures for the sensor tests: the drift platform (tests/drift_platform.py), trained once per
module, and handed to each test without drift results or decisions."""

import dagster as dg
import pytest
import sqlalchemy as sa

from resources.database_resource import DatabaseResource
from resources.object_store_resource import ObjectStoreResource
from resources.schema import drift_results, retrain_decisions
from tests.drift_platform import DriftPlatform, drift_spec


@pytest.fixture(scope="module")
def trained_platform(tmp_path_factory) -> DriftPlatform:
    """Embedded backends and a real temporary instance, prepared once for a module's tests."""
    root = tmp_path_factory.mktemp("drift")
    resources = {
        "object_store": ObjectStoreResource(uri=str(root / "store")),
        "database": DatabaseResource(url=f"sqlite:///{root / 'registry.db'}"),
    }
    (root / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(root / "dagster"), set_dagster_home=False) as instance:
        yield DriftPlatform(drift_spec(), resources, instance).prepare()


@pytest.fixture
def drift_platform(trained_platform) -> DriftPlatform:
    """The prepared platform with no drift results or decisions recorded yet."""
    with trained_platform.registry.engine.begin() as conn:
        conn.execute(sa.delete(drift_results))
        conn.execute(sa.delete(retrain_decisions))
    return trained_platform.with_spec(drift_spec())
