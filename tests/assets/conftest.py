"""A small platform for asset tests: a short-window credit_default on the backend fixtures.

``small_platform`` runs the real chain on a real (ephemeral) Dagster instance, over whichever
object store and database the ``object_store_resource`` and ``database_resource`` fixtures
give, so each chain test runs once per backend.
"""

import datetime as dt
from dataclasses import dataclass

import dagster as dg
import pytest

from ml_platform_assets.assets.common import registry
from ml_platform_assets.cli.lifecycle import TrainingOutcome, ingest, train
from ml_platform_assets.core.simulate import DriftPlan
from ml_platform_assets.core.spec import ModelSpec, load_specs
from ml_platform_assets.core.spec_policies import Windows
from ml_platform_assets.definitions import build_definitions
from ml_platform_assets.landing import land_simulated
from resources.database import DatabaseResource, dispose_engine
from resources.object_store_resource import ObjectStoreResource

ROWS_PER_DAY = 1500


def small_spec(**lightgbm) -> ModelSpec:
    """credit_default with windows short enough for a test: 6 + 3 days, labels mature in 3."""
    spec = load_specs()["credit_default"]
    return spec.model_copy(
        update={
            "windows": Windows(
                training_days=6, validation_days=2, oot_days=3, label_maturity_days=3
            ),
            "lightgbm": {**spec.lightgbm, "num_boost_round": 60, **lightgbm},
        }
    )


@dataclass
class SmallPlatform:
    spec: ModelSpec
    resources: dict
    instance: dg.DagsterInstance

    @property
    def defs(self) -> dg.Definitions:
        return build_definitions({self.spec.name: self.spec}, self.resources)

    @property
    def store(self):
        return self.resources["object_store"].get_store()

    @property
    def registry(self):
        return registry(self.resources["database"])

    def day(self, n: int) -> dt.date:
        return self.spec.start_date + dt.timedelta(days=n)

    def land(self, days: int, drift: DriftPlan | None = None, rows: int = ROWS_PER_DAY):
        return land_simulated(self.store, self.spec, days, rows, drift)

    def ingest(self, first: int, last: int) -> None:
        ingest(self.defs, self.spec, self.instance, self.day(first), self.day(last))

    def train(self, as_of: int | None = None) -> TrainingOutcome:
        cutoff = self.day(as_of) if as_of is not None else None
        return train(self.defs, self.spec, self.instance, cutoff)

    def evaluate_sensor(self, name: str, cursor: str | None = None):
        """One evaluation of the named sensor, as the daemon would run it."""
        defs = self.defs
        with dg.build_sensor_context(
            instance=self.instance, definitions=defs, resources=defs.resources, cursor=cursor
        ) as context:
            return defs.resolve_sensor_def(name).evaluate_tick(context)

    def with_spec(self, spec: ModelSpec) -> "SmallPlatform":
        """The same storage and instance under another spec of the same model."""
        return SmallPlatform(spec, self.resources, self.instance)

    def with_resources(self, **replaced) -> "SmallPlatform":
        """The same spec and instance with some resources replaced (e.g. a broken database)."""
        return SmallPlatform(self.spec, {**self.resources, **replaced}, self.instance)


@pytest.fixture(params=["embedded", "real"])
def platform_resources(request, tmp_path) -> dict:
    """Local folder + SQLite, or SeaweedFS S3 + MariaDB: the two ways the platform runs."""
    if request.param == "embedded":
        return {
            "object_store": ObjectStoreResource(uri=str(tmp_path / "store")),
            "database": DatabaseResource(url=f"sqlite:///{tmp_path / 'registry.db'}"),
        }
    url = request.getfixturevalue("make_mysql_database")()
    request.addfinalizer(lambda: dispose_engine(url))
    return {
        "object_store": request.getfixturevalue("make_s3_resource")(),
        "database": DatabaseResource(url=url),
    }


@pytest.fixture
def small_platform(platform_resources):
    with dg.DagsterInstance.ephemeral() as instance:
        yield SmallPlatform(small_spec(), platform_resources, instance)
