"""Running a job and following it to the end, where the deployment runs its steps.

On an instance whose run launcher is Dagster's default (the embedded setup, tests) a run
executes in this process. On any other (``K8sRunLauncher`` in production) the run is submitted
to the instance with Dagster's own ``dagster job launch``, so its steps run where the
deployment runs steps, and this process follows it through the instance's event log. Either
way, what a caller reads of the finished run comes from the instance.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

# A run's console logs stay off the terminal: they are in the instance's event log (the UI),
# and the command line prints a summary instead.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
LOCATION = "ml_platform"
POLL_SECONDS = 2.0
TERMINAL = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}

# Called with each of the run's events as the instance records it.
EventListener = Callable[[dg.EventLogEntry], None]


class LifecycleError(RuntimeError):
    """A run that failed for a reason other than a challenger failing its gates, or that could
    not be submitted; the message names the failed steps and their errors."""


@dataclass
class FinishedRun:
    """A run that ended, with the events the instance recorded for it."""

    run_id: str
    success: bool
    events: list[dg.EventLogEntry]

    @classmethod
    def read(cls, instance: dg.DagsterInstance, run_id: str) -> FinishedRun:
        """The run ``run_id`` as the instance recorded it."""
        run = instance.get_run_by_id(run_id)
        success = run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        return cls(run_id, success, list(instance.all_logs(run_id)))

    def _data(self, event_type: str) -> list[dg.DagsterEvent]:
        return [
            e.dagster_event
            for e in self.events
            if e.dagster_event is not None and e.dagster_event.event_type_value == event_type
        ]

    def materializations(self) -> list[dg.AssetMaterialization]:
        """Every asset materialization of the run, in order."""
        return [
            e.step_materialization_data.materialization for e in self._data("ASSET_MATERIALIZATION")
        ]

    def observations(self) -> list[dg.AssetObservation]:
        """Every asset observation of the run, in order."""
        return [e.asset_observation_data.asset_observation for e in self._data("ASSET_OBSERVATION")]

    def failed_checks(self) -> list[str]:
        """The names of the asset checks that did not pass."""
        return [
            e.asset_check_evaluation_data.check_name
            for e in self._data("ASSET_CHECK_EVALUATION")
            if not e.asset_check_evaluation_data.passed
        ]

    def failure_message(self, what: str) -> str:
        """'<what> failed at <step>: <the step's own error sentence>; ...', never a traceback."""
        failures = []
        for event in self._data("STEP_FAILURE"):
            data = event.step_failure_data
            detail = _root_cause(data.error) if data.error else "unknown error"
            if data.user_failure_data and data.user_failure_data.description:
                detail = data.user_failure_data.description
            failures.append(f"{event.step_key}: {detail}")
        if not failures:
            return f"{what} failed (run {self.run_id})"
        return f"{what} failed at " + "; ".join(failures)


def _root_cause(error) -> str:
    """The user's error sentence: Dagster wraps the exception an asset raised in its own."""
    while error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    message = error.message.strip().splitlines()[0]
    # "resources.database.DatabaseError: Cannot connect ..." -> "Cannot connect ..."
    return re.sub(r"^[\w.]+(Error|Exception|Failure): ", "", message)


class InProcessRunner:
    """Executes runs in this process, on ``defs``, recorded in ``instance``."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance):
        self.defs, self.instance = defs, instance

    def launch(
        self,
        job_name: str,
        run_config: dict | None = None,
        tags: dict[str, str] | None = None,
        listener: EventListener | None = None,
    ) -> FinishedRun:
        """Runs ``job_name`` to its end; ``listener`` hears each event as it is recorded."""
        run_id = str(uuid.uuid4())
        if listener is not None:
            self.instance.add_event_listener(run_id, listener)
        self.defs.resolve_job_def(job_name).execute_in_process(
            instance=self.instance,
            run_config={**QUIET, **(run_config or {})},
            tags=tags or {},
            raise_on_error=False,
            run_id=run_id,
        )
        return FinishedRun.read(self.instance, run_id)


class SubmittingRunner:
    """Submits runs to the instance (``dagster job launch``) and follows them to their end.

    ``workspace`` names the code location as the deployment loads it; by default this package,
    loaded as the location ``ml_platform``.
    """

    def __init__(
        self,
        instance: dg.DagsterInstance,
        dagster_home: Path,
        workspace: str | None = None,
        poll_seconds: float = POLL_SECONDS,
    ):
        self.instance, self.dagster_home = instance, dagster_home
        self.workspace, self.poll_seconds = workspace, poll_seconds

    def launch(
        self,
        job_name: str,
        run_config: dict | None = None,
        tags: dict[str, str] | None = None,
        listener: EventListener | None = None,
    ) -> FinishedRun:
        """Submits ``job_name`` and waits for its end; ``listener`` hears each event as the
        instance records it.

        Raises:
            LifecycleError: Dagster refused the submission (its last line says why).
        """
        run_id = str(uuid.uuid4())
        with tempfile.TemporaryDirectory() as folder:
            workspace = self.workspace or _package_workspace(Path(folder))
            command = [
                str(Path(sys.executable).with_name("dagster")),
                "job",
                "launch",
                "--workspace",
                workspace,
                "--location",
                LOCATION,
                "--job",
                job_name,
                "--run-id",
                run_id,
                "--tags",
                json.dumps(tags or {}),
                "--config-json",
                json.dumps(run_config or {}),
            ]
            env = {**os.environ, "DAGSTER_HOME": str(self.dagster_home)}
            done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
            raise LifecycleError(f"Dagster refused to launch {job_name}: {last}")
        self._follow(run_id, listener)
        return FinishedRun.read(self.instance, run_id)

    def _follow(self, run_id: str, listener: EventListener | None) -> None:
        cursor = None
        while True:
            run = self.instance.get_run_by_id(run_id)
            page = self.instance.get_records_for_run(run_id, cursor=cursor)
            cursor = page.cursor
            if listener is not None:
                for record in page.records:
                    listener(record.event_log_entry)
            if run is not None and run.status in TERMINAL and not page.has_more:
                return
            if not page.has_more:
                time.sleep(self.poll_seconds)


def _package_workspace(folder: Path) -> str:
    """A workspace file loading this package's definitions as the location ``ml_platform``."""
    path = folder / "workspace.yaml"
    path.write_text(
        "load_from:\n  - python_module:\n      module_name: ml_platform_assets.definitions\n"
        f"      location_name: {LOCATION}\n"
    )
    return str(path)


Runner = InProcessRunner | SubmittingRunner


def runner_for(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    dagster_home: Path,
    workspace: str | None = None,
) -> Runner:
    """In process on Dagster's default run launcher; through the instance on any other."""
    if isinstance(instance.run_launcher, dg.DefaultRunLauncher):
        return InProcessRunner(defs, instance)
    return SubmittingRunner(instance, dagster_home, workspace)
