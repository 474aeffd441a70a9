"""Drift results per day and the drift retrain sensor's decisions, on the platform database.

Both tables are append-only. A rerun of a day's drift report adds a row and readers take the
newest one per (day, champion version), so the sensor's cursor (the highest row id) notices a
rerun, and what each decision rested on stays on record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ml_platform_assets.registry import ledger
from ml_platform_assets.registry.ledger_records import LedgerEvent
from ml_platform_assets.registry.records import dumps, loads
from resources.database import transaction
from resources.schema import drift_results, retrain_decisions, utcnow


@dataclass(frozen=True)
class DriftRecord:
    """One day's drift of a model's production data against its champion's reference."""

    id: int
    model: str
    day: dt.date
    champion_version: int
    share: float
    drifted_columns: list[str]
    columns: list[dict]
    rows_reference: int
    rows_current: int
    report_uri: str
    run_id: str | None
    created_at: dt.datetime


@dataclass(frozen=True)
class RetrainDecisionRecord:
    """One evaluation of the drift retrain sensor: triggered or not, and why."""

    id: int
    model: str
    evaluated_at: dt.datetime
    triggered: bool
    reason: str
    window_start: dt.date | None
    window_end: dt.date | None
    run_key: str | None
    drift_share: float | None
    champion_version: int | None
    tags: dict


def _drift_record(row: Any) -> DriftRecord:
    values = dict(row._mapping)
    values["drifted_columns"] = loads(values.pop("drifted_json"))
    values["columns"] = loads(values.pop("columns_json"))
    return DriftRecord(**values)


def _decision(row: Any) -> RetrainDecisionRecord:
    values = dict(row._mapping)
    values["tags"] = loads(values.pop("tags_json"))
    values["triggered"] = bool(values["triggered"])
    return RetrainDecisionRecord(**values)


class DriftStore:
    """Drift results and retrain decisions on one database engine (schema already migrated)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def record_result(
        self,
        model: str,
        day: dt.date,
        champion_version: int,
        *,
        share: float,
        drifted_columns: list[str],
        columns: list[dict],
        rows_reference: int,
        rows_current: int,
        report_uri: str,
        run_id: str | None = None,
    ) -> int:
        """Appends a day's drift result and returns its id."""
        values = dict(model=model, day=day, champion_version=champion_version, share=share)
        values.update(drifted_json=dumps(drifted_columns), columns_json=dumps(columns))
        values.update(rows_reference=rows_reference, rows_current=rows_current)
        values.update(report_uri=report_uri, run_id=run_id, created_at=utcnow())
        with transaction(self.engine, write=True) as conn:
            return conn.execute(drift_results.insert().values(**values)).inserted_primary_key[0]

    def latest_result_id(self, model: str) -> int:
        """Returns the highest drift result id of ``model``; 0 before the first result."""
        query = sa.select(sa.func.max(drift_results.c.id)).where(drift_results.c.model == model)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar() or 0

    def results(
        self, model: str, champion_version: int | None = None, limit: int = 90
    ) -> list[DriftRecord]:
        """Returns the newest result per day (and champion version), newest day first.

        Args:
            model: The model.
            champion_version: Only results measured against this champion; all when None.
            limit: At most this many days.
        """
        query = sa.select(drift_results).where(drift_results.c.model == model)
        if champion_version is not None:
            query = query.where(drift_results.c.champion_version == champion_version)
        query = query.order_by(drift_results.c.day.desc(), drift_results.c.id.desc())
        newest: dict[tuple[dt.date, int], DriftRecord] = {}
        with self.engine.connect() as conn:
            # Reruns are few, so a bounded read holds every kept day's newest row.
            for row in conn.execute(query.limit(limit * 4)):
                newest.setdefault((row.day, row.champion_version), _drift_record(row))
        return list(newest.values())[:limit]

    def record_decision(
        self,
        model: str,
        *,
        triggered: bool,
        reason: str,
        window: tuple[dt.date, dt.date] | None = None,
        run_key: str | None = None,
        drift_share: float | None = None,
        champion_version: int | None = None,
        tags: dict | None = None,
        actor: str = "drift retrain sensor",
    ) -> RetrainDecisionRecord:
        """Appends one decision of the drift retrain sensor and returns it.

        A decision that requests a retraining is also a ``retrain_triggered`` record of the
        audit ledger, written in the same transaction (``actor`` names the sensor); the many
        decisions to wait are kept here only.
        """
        values = dict(model=model, evaluated_at=utcnow(), triggered=triggered, reason=reason)
        values.update(window_start=window[0] if window else None)
        values.update(window_end=window[1] if window else None)
        values.update(run_key=run_key, drift_share=drift_share, champion_version=champion_version)
        attempt = 1
        while True:
            try:
                with transaction(self.engine, write=True) as conn:
                    row_id = conn.execute(
                        retrain_decisions.insert().values(tags_json=dumps(tags or {}), **values)
                    ).inserted_primary_key[0]
                    if triggered:
                        _ledger_trigger(conn, row_id, values, tags or {}, actor)
                break
            except sa.exc.IntegrityError:
                # Another writer took the ledger's next place first: the whole decision retries.
                if attempt == 5:
                    raise
                attempt += 1
        return RetrainDecisionRecord(id=row_id, tags=tags or {}, **values)

    def decisions(
        self, model: str, limit: int = 20, triggered: bool | None = None
    ) -> list[RetrainDecisionRecord]:
        """Returns the newest decisions about ``model``, newest first.

        Args:
            model: The model.
            limit: At most this many decisions.
            triggered: Only those that requested a retraining run (True) or only the others
                (False); all when None.
        """
        query = sa.select(retrain_decisions).where(retrain_decisions.c.model == model)
        if triggered is not None:
            query = query.where(retrain_decisions.c.triggered == triggered)
        query = query.order_by(retrain_decisions.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_decision(row) for row in conn.execute(query)]

    def last_trigger(self, model: str) -> RetrainDecisionRecord | None:
        """Returns the newest decision about ``model`` that requested a retraining run, or None."""
        query = (
            sa.select(retrain_decisions)
            .where(retrain_decisions.c.model == model, retrain_decisions.c.triggered)
            .order_by(retrain_decisions.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _decision(row)


def _ledger_trigger(conn, row_id: int, values: dict, tags: dict, actor: str) -> None:
    window = [values["window_start"], values["window_end"]]
    ledger.append(
        conn,
        model=values["model"],
        version=values["champion_version"],
        event_type=LedgerEvent.RETRAIN_TRIGGERED,
        actor=actor,
        payload={
            "registry_row": {"table": "retrain_decisions", "id": row_id},
            "row": {
                "triggered": True,
                "reason": values["reason"],
                "run_key": values["run_key"],
                "champion_version": values["champion_version"],
            },
            "drift_window": window,
            "drift_share": values["drift_share"],
            "drift_start": tags.get("ml_platform/drift_start"),
            "training_windows": tags.get("ml_platform/training_windows"),
        },
    )
