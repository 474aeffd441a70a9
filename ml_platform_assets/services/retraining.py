"""Whether drift warrants retraining the champion now, decided and put on record.

Reads the drift results ``drift_report`` recorded, counts (when the rules ask) the matured
outcomes of applications made since the drift began, leaves the rules to
``core.retrain.decide_retrain``, and records every decision, triggered or not, with its reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from ml_platform_assets.core import layout
from ml_platform_assets.core.retrain import LabelCounter, RetrainDecision, decide_retrain
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.training_set import labelled_applications
from ml_platform_assets.registry import ModelRegistry
from ml_platform_assets.registry.drift import DriftRecord, DriftStore
from ml_platform_assets.services.run_tags import ACTOR_TAG
from resources.object_store import ObjectStore

HISTORY_DAYS = 90


@dataclass
class Retraining:
    """The decision: ``run_key`` is set when a retraining run is to be requested, as of
    ``as_of`` with ``tags``; ``reason`` says why, or why not."""

    reason: str
    run_key: str | None = None
    as_of: dt.date | None = None
    tags: dict[str, str] = field(default_factory=dict)


def retrain_run_key(spec: ModelSpec, champion: int, window: tuple[dt.date, dt.date]) -> str:
    """One key per model, champion and drift window: the same window never runs twice."""
    return f"{spec.name}:drift-retrain:v{champion}:{window[0]}..{window[1]}"


def label_counter(store: ObjectStore, spec: ModelSpec) -> LabelCounter:
    """``labelled(first, last, as_of)`` over the stored days: applications dated
    ``first``..``last`` (features partitions) whose last outcome known by the end of ``as_of``
    (loan_outcomes partitions ``first``..``as_of``; an outcome is never dated before its
    application) is bad or good. Reads the id and timestamp columns and the outcomes only;
    a day not ingested yet counts nothing."""

    def stored(key_of, first: dt.date, last: dt.date, columns=None) -> list[pa.Table]:
        days = (first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        keys = [key_of(spec.name, d) for d in days]
        return [store.get_table(k, columns) for k in keys if store.exists(k)]

    def labelled(first: dt.date, last: dt.date, as_of: dt.date) -> int:
        columns = [spec.entity_id_column, spec.event_timestamp_column]
        features = stored(layout.features_key, first, last, columns)
        outcomes = stored(layout.outcomes_key, first, as_of)
        if not features or not outcomes:
            return 0
        return labelled_applications(
            pa.concat_tables(features), pa.concat_tables(outcomes), spec, as_of
        )

    return labelled


def _tags(spec: ModelSpec, champion: int, decision: RetrainDecision, latest: DriftRecord) -> dict:
    start, end = decision.window
    windows = decision.training_windows
    return {
        "ml_platform/trigger": "drift",
        # The retrained version's trainer on record: the sensor, not whoever runs the daemon.
        ACTOR_TAG: f"sensor {spec.name}__drift_retrain_sensor",
        "ml_platform/drift_start": str(decision.drift_start),
        "ml_platform/training_windows": (
            f"train {windows.train_start}..{windows.valid_start - dt.timedelta(days=1)}, "
            f"valid {windows.valid_start}..{windows.train_end}, "
            f"oot {windows.oot_start}..{windows.oot_end}"
        ),
        "ml_platform/model": spec.name,
        "ml_platform/champion_version": str(champion),
        "ml_platform/drift_window": f"{start}..{end}",
        "ml_platform/drift_share": f"{latest.share:.3f}",
        "ml_platform/drifted_columns": ",".join(latest.drifted_columns)[:250],
        "ml_platform/reason": decision.reason[:500],
    }


def decide_retraining(
    store: ObjectStore,
    registry: ModelRegistry,
    spec: ModelSpec,
    requested: Callable[[str], str | None],
    actor: str,
) -> Retraining:
    """Decides whether to retrain ``spec``'s champion now and records the decision (by
    ``actor``). ``requested(run_key)`` describes the run already requested under that key
    (``"run 1a2b3c4d (started)"``), None when there is none: a window never runs twice."""
    drift = DriftStore(registry.engine)
    champion = registry.champion(spec.name)
    if champion is None:
        reason = f"{spec.name} has no champion yet, so there is no model to retrain for drift."
        drift.record_decision(spec.name, triggered=False, reason=reason)
        return Retraining(reason)
    results = drift.results(spec.name, champion.version, limit=HISTORY_DAYS)
    if not results:
        reason = f"No drift has been measured against champion v{champion.version} yet."
        drift.record_decision(
            spec.name, triggered=False, reason=reason, champion_version=champion.version
        )
        return Retraining(reason)
    latest, last = results[0], drift.last_trigger(spec.name)
    decision = decide_retrain(
        {r.day: r.share for r in results},
        spec,
        label_counter(store, spec),
        last.window_end if last else None,
        latest.day,
    )
    outcome = Retraining(decision.reason)
    if decision.trigger:
        key = retrain_run_key(spec, champion.version, decision.window)
        tags = _tags(spec, champion.version, decision, latest)
        earlier = requested(key)
        if earlier is None:
            outcome = Retraining(decision.reason, key, decision.window[1], tags)
        else:
            outcome = Retraining(
                f"Retraining for the drift window {tags['ml_platform/drift_window']} was "
                f"already requested as {earlier}; no second run.",
                tags=tags,
            )
    drift.record_decision(
        spec.name,
        triggered=outcome.run_key is not None,
        reason=outcome.reason,
        window=decision.window,
        run_key=outcome.run_key,
        drift_share=latest.share,
        champion_version=champion.version,
        tags=outcome.tags,
        actor=actor,
    )
    return outcome
