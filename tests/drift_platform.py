"""The drift tests' platform: a small credit_default whose champion predates an income shock.

Timeline (days from the spec's start, 1,500 applications a day): the champion is trained as of
day 11 on days 0-8; ``income_shock`` ramps in from day 12 (full from day 14); outcomes mature
after 3 days. Days 0-11 drift only in ``is_weekend`` (a single day is all weekday or all
weekend), a share of 1/39; days 12-25 drift in 4-7 of 39 columns, above the 0.1 threshold here.
A training set cut on day E trains on days E-11..E-8 (E-7..E-6 validate) and is judged on
E-5..E-3, so a drift first measured on day 13 can be learnt (two post-drift days, 3,000
labels, in the training split) from a cut on day 22.
"""

import datetime as dt

import dagster as dg

from ml_platform_assets.assets.factory import drift_job_name
from ml_platform_assets.core.simulate import DriftPlan
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.spec_policies import Drift
from ml_platform_assets.orchestration.runs import QUIET
from ml_platform_assets.registry.drift import DriftStore
from sensors.drift import drift_sensor_name
from tests.platforms import SmallPlatform, small_spec

DAYS = 26
CUTOFF = 11
DRIFT_START = 12
GUARDRAILS = dict(share_threshold=0.1, consecutive_days=3, min_matured_labels=3000, cooldown_days=5)


def drift_spec(**guardrails) -> ModelSpec:
    """The small spec with drift guardrails sized for its 1,500-row days."""
    return small_spec().model_copy(update={"drift": Drift(**(GUARDRAILS | guardrails))})


class DriftPlatform(SmallPlatform):
    """A small platform that also reports drift and ticks the drift retrain sensor."""

    def prepare(self) -> "DriftPlatform":
        """Delivers and ingests every day, and trains the champion as of the cutoff."""
        self.land(DAYS, DriftPlan("income_shock", self.day(DRIFT_START)))
        self.ingest(0, DAYS - 1)
        outcome = self.train(as_of=CUTOFF)
        assert outcome.promoted, outcome.failed_checks
        return self

    def with_spec(self, spec: ModelSpec) -> "DriftPlatform":
        return DriftPlatform(spec, self.resources, self.instance)

    def report_run(self, day: int, html_rows: int = 0) -> dg.ExecuteInProcessResult:
        """One run of the drift job materializing drift_report for ``day``."""
        name = f"{self.spec.name}__drift_report"
        config = {**QUIET, "ops": {name: {"config": {"html_rows": html_rows}}}}
        return self.defs.resolve_job_def(drift_job_name(self.spec)).execute_in_process(
            instance=self.instance,
            partition_key=self.day(day).isoformat(),
            run_config=config,
            raise_on_error=False,
        )

    def report(self, *days: int, html_rows: int = 0) -> None:
        """Materializes drift_report for the given days, one run each."""
        for day in days:
            assert self.report_run(day, html_rows).success

    def tick(self, cursor: str | None = None):
        """One evaluation of the drift retrain sensor."""
        return self.evaluate_sensor(drift_sensor_name(self.spec), cursor)

    @property
    def drift_store(self) -> DriftStore:
        return DriftStore(self.registry.engine)

    def window(self, first: int, last: int) -> tuple[dt.date, dt.date]:
        return self.day(first), self.day(last)
