"""A small platform for the tests that run the chain: a short-window credit_default.

``SmallPlatform`` runs the real chain on a real Dagster instance over the resources it is given;
the ``small_platform`` fixture (tests/conftest.py) gives it an ephemeral instance and each of the
two ways the platform runs, so each chain test runs once per backend.
"""

import datetime as dt
from dataclasses import dataclass

import dagster as dg

from ml_platform_assets.assets.common import registry
from ml_platform_assets.code_location import build_definitions
from ml_platform_assets.core.simulate import DriftPlan
from ml_platform_assets.core.spec import ModelSpec, load_specs
from ml_platform_assets.core.spec_policies import Windows
from ml_platform_assets.orchestration.lifecycle import TrainingOutcome, ingest, train
from ml_platform_assets.orchestration.runs import InProcessRunner
from ml_platform_assets.services.demo_delivery import land_simulated
from resources.env_vars import resolved

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
class Tick:
    """A sensor's evaluation: the runs it requests, or why none, and its next cursor."""

    run_requests: list[dg.RunRequest]
    skip_message: str | None
    cursor: str | None


@dataclass
class SmallPlatform:
    spec: ModelSpec
    resources: dict
    instance: dg.DagsterInstance

    @property
    def defs(self) -> dg.Definitions:
        return build_definitions({self.spec.name: self.spec}, self.resources)

    @property
    def runner(self) -> InProcessRunner:
        return InProcessRunner(self.defs, self.instance)

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
        defs = self.defs
        runner = InProcessRunner(defs, self.instance)
        ingest(runner, defs, self.spec, self.store, self.day(first), self.day(last))

    def train(self, as_of: int | None = None) -> TrainingOutcome:
        cutoff = self.day(as_of) if as_of is not None else None
        url = resolved(self.resources["database"].url)
        return train(self.runner, self.spec, self.store, url, cutoff)

    def evaluate_sensor(self, name: str, cursor: str | None = None) -> "Tick":
        """One evaluation of the named sensor, as the daemon would run it (Dagster's public
        way of calling a sensor directly)."""
        defs = self.defs
        with dg.build_sensor_context(
            instance=self.instance, definitions=defs, resources=defs.resources, cursor=cursor
        ) as context:
            result = defs.resolve_sensor_def(name)(context)
        skipped = result.skip_reason.skip_message if result.skip_reason else None
        return Tick(list(result.run_requests or []), skipped, result.cursor)

    def with_spec(self, spec: ModelSpec) -> "SmallPlatform":
        """The same storage and instance under another spec of the same model."""
        return SmallPlatform(spec, self.resources, self.instance)

    def with_resources(self, **replaced) -> "SmallPlatform":
        """The same spec and instance with some resources replaced (e.g. a broken database)."""
        return SmallPlatform(self.spec, {**self.resources, **replaced}, self.instance)
