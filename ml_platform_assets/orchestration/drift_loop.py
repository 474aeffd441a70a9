"""The daemon's drift loop simulated day by day: drift report, a tick of the retrain sensor,
and the runs it requests.

Everything goes through Dagster as in production: the ``<model>__drift`` job materializes each
day's ``drift_report``, the drift retrain sensor is called as Dagster's testing API calls it
(a context from ``dg.build_sensor_context`` with its cursor carried from tick to tick, as the
daemon would), and a run it requests executes the training job with the request's config and
tags, on the same runner as every other run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

from ml_platform_assets.assets.factory import drift_job_name
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.orchestration.lifecycle import TrainingOutcome, train
from ml_platform_assets.orchestration.runs import LifecycleError, Runner
from ml_platform_assets.pages.drift import HTML_ROWS
from resources.env_vars import resolved
from resources.object_store import ObjectStore
from sensors.drift import RUN_KEY_TAG, drift_sensor_name


@dataclass
class DriftLoopSummary:
    """What the loop saw: each day's share, each decision and each retraining's outcome."""

    shares: dict[dt.date, float] = field(default_factory=dict)
    decisions: list[tuple[dt.date, str]] = field(default_factory=list)
    retrainings: list[TrainingOutcome] = field(default_factory=list)


def pre_drift_cutoff(spec: ModelSpec, drift_start: dt.date) -> dt.date:
    """The cutoff for the champion in service when drift begins: the day before it, or the
    earliest day a training set allows when the drift starts sooner."""
    w = spec.windows
    earliest = spec.start_date + dt.timedelta(
        days=w.training_days + w.oot_days + w.label_maturity_days - 1
    )
    return max(drift_start - dt.timedelta(days=1), earliest)


def _report(runner: Runner, spec: ModelSpec, day: dt.date, rows: int) -> tuple[float, list[str]]:
    """Materializes one day's drift_report; returns (share, drifted columns)."""
    config = {"ops": {f"{spec.name}__drift_report": {"config": {"html_rows": rows}}}}
    tags = {"dagster/partition": day.isoformat()}
    run = runner.launch(drift_job_name(spec), config, tags)
    if not run.success:
        raise LifecycleError(run.failure_message(f"drift report of {spec.name} {day}"))
    metadata = run.materializations()[0].metadata
    return metadata["drift_share"].value, metadata["drifted_column_names"].value


def _retrain(
    runner: Runner,
    spec: ModelSpec,
    store: ObjectStore,
    registry_url: str,
    request: dg.RunRequest,
) -> TrainingOutcome:
    """Runs the sensor's run request: its as_of config, its tags and its run key."""
    as_of = request.run_config["ops"][f"{spec.name}__training_set"]["config"]["as_of"]
    tags = {**request.tags, RUN_KEY_TAG: request.run_key}
    return train(runner, spec, store, registry_url, dt.date.fromisoformat(as_of), tags)


def _outcome_line(outcome: TrainingOutcome) -> str:
    if outcome.already_trained:
        return f"{outcome.already_trained['summary']}; nothing new was trained"
    evaluation = outcome.evaluation or {}
    version, auc = evaluation.get("version"), evaluation.get("metrics", {}).get("auc", float("nan"))
    if outcome.promoted:
        return f"v{version} (AUC {auc:.4f}) passed every gate and is the champion now"
    failed = [g["description"] for g in evaluation.get("gates", []) if not g["passed"]]
    if not evaluation:
        return "no evaluation was recorded"
    if not failed:
        return f"v{version} (AUC {auc:.4f}) passed every gate, but the champion did not move"
    return f"v{version} (AUC {auc:.4f}) was rejected: {'; '.join(failed)}"


def _days_from(first: dt.date, last: dt.date, drift_start: dt.date) -> str:
    total = (last - first).days + 1
    after = max(0, min((last - drift_start).days + 1, total))
    return f"{first}..{last} ({after} of {total} days on or after {drift_start})"


def regime_lines(outcome: TrainingOutcome, drift_start: dt.date) -> list[str]:
    """Where a drift-triggered retrain learnt and was judged, against the drift's first day,
    and how the champion scored on the same out-of-time rows."""
    evaluation = outcome.evaluation or {}
    w = {k: dt.date.fromisoformat(v) for k, v in (evaluation.get("windows") or {}).items()}
    if not w:
        return []
    train_end = w["valid_start"] - dt.timedelta(days=1)
    lines = [
        f"trained on applications of {_days_from(w['train_start'], train_end, drift_start)}",
        f"validated on {_days_from(w['valid_start'], w['train_end'], drift_start)}",
        f"judged on {_days_from(w['oot_start'], w['oot_end'], drift_start)}",
    ]
    metrics, champion = evaluation.get("metrics") or {}, evaluation.get("champion_metrics")
    if champion:
        lines.append(
            f"on those {int(metrics.get('n', 0)):,} out-of-time rows: v{evaluation['version']} "
            f"AUC {metrics['auc']:.4f}, champion v{evaluation['champion_version']} AUC "
            f"{champion['auc']:.4f}"
        )
    return lines


def _tick(
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    defs: dg.Definitions,
    cursor: str | None,
) -> dg.SensorResult:
    """One evaluation of ``sensor`` as the daemon would make it, through Dagster's public way
    of calling a sensor directly."""
    with dg.build_sensor_context(
        instance=instance, definitions=defs, resources=defs.resources, cursor=cursor
    ) as context:
        return sensor(context)


def _kind(reason: str) -> str:
    """A decision's reason with its dates and numbers masked: days that wait for the same thing
    read the same."""
    return re.sub(r"\d[\d,.%-]*", "#", reason)


def run_drift_loop(
    runner: Runner,
    defs: dg.Definitions,
    spec: ModelSpec,
    first: dt.date,
    last: dt.date,
    echo: Callable[[str], None] = lambda _line: None,
    html_rows: int = HTML_ROWS,
) -> DriftLoopSummary:
    """Runs the drift loop for ``first``..``last``; ``echo`` receives one line per event.

    Features of those days and a champion must exist (the normal demo makes both).
    """
    sensor = defs.resolve_sensor_def(drift_sensor_name(spec))
    store = defs.resources["object_store"].get_store()
    registry_url = resolved(defs.resources["database"].url)
    summary, cursor, day, previous = DriftLoopSummary(), None, first, None
    echo(
        f"Simulating the daemon day by day, in process: measuring drift of {spec.name} "
        f"{first}..{last} and ticking {sensor.name}"
    )
    while day <= last:
        share, drifted = _report(runner, spec, day, html_rows)
        summary.shares[day] = share
        echo(f"  {day}: drift share {share:.1%} ({', '.join(drifted) or 'no column drifted'})")
        tick = _tick(sensor, runner.instance, defs, cursor)
        cursor = tick.cursor
        skipped = tick.skip_reason.skip_message if tick.skip_reason else None
        if skipped:
            summary.decisions.append((day, skipped))
            # A wait for the same thing as yesterday is on record; the terminal says it once.
            if _kind(skipped) != previous:
                echo(f"    sensor: {skipped}")
            else:
                echo("    sensor: still waiting, as above")
            previous = _kind(skipped)
        for request in tick.run_requests or []:
            previous = None
            summary.decisions.append((day, request.tags["ml_platform/reason"]))
            echo(f"    sensor fired: {request.tags['ml_platform/reason']}")
            outcome = _retrain(runner, spec, store, registry_url, request)
            summary.retrainings.append(outcome)
            echo(f"    retraining run {outcome.run_id[:8]}: {_outcome_line(outcome)}")
            drift_start = dt.date.fromisoformat(request.tags["ml_platform/drift_start"])
            for line in regime_lines(outcome, drift_start):
                echo(f"      {line}")
        day += dt.timedelta(days=1)
    return summary
