"""Verifying the audit ledger against itself, the registry's rows and the stored artifacts.

``verify_ledger`` answers a reviewer's question "can I trust this history?" for one model or
all: each chain is recomputed (``chain.check_chain``); each record is compared with the
registry row it speaks for (a version, an evaluation, an alias move, a reviewer's decision, a
retraining decision), field by field; every registry row must have its record; the champion
pointer and the versions marked champion must be what the last recorded move made them; and
the newest SHA-256 on record for each artifact (model files, the training-set splits, reports,
delivered files) must match the object store's bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ml_platform_assets.registry import ledger
from ml_platform_assets.registry.chain import (
    ChainCheck,
    Problem,
    check_artifacts,
    check_chain,
    plain,
)
from ml_platform_assets.registry.ledger_records import LedgerEvent, LedgerRecord
from ml_platform_assets.registry.records import CHAMPION, Status, loads
from resources.schema import (
    alias_events,
    approvals,
    evaluations,
    model_aliases,
    model_versions,
    retrain_decisions,
)


@dataclass(frozen=True)
class _Source:
    """A registry table a ledger event speaks for, and the fields both must agree on."""

    table: sa.Table
    fields: tuple[str, ...]


_MOVES = (LedgerEvent.PROMOTED, LedgerEvent.OVERRIDE, LedgerEvent.ROLLED_BACK)
_DECISIONS = (LedgerEvent.APPROVED, LedgerEvent.REJECTED)
_VERSION_FIELDS = (
    *("version", "model_sha256", "artifact_uri", "training_set_fingerprint", "code_version"),
    *("git_commit", "trained_by", "params", "windows", "features", "spec"),
)
_SOURCES: dict[str, _Source] = {
    LedgerEvent.REGISTERED: _Source(model_versions, _VERSION_FIELDS),
    LedgerEvent.EVALUATED: _Source(evaluations, ("version", "passed", "gates", "metrics")),
    LedgerEvent.REPORT_COMPLETED: _Source(evaluations, ("version",)),
    **{
        move: _Source(alias_events, ("from_version", "to_version", "action", "reason", "actor"))
        for move in _MOVES
    },
    **{
        decision: _Source(approvals, ("version", "decision", "reviewer", "note"))
        for decision in _DECISIONS
    },
    LedgerEvent.RETRAIN_TRIGGERED: _Source(
        retrain_decisions, ("triggered", "reason", "run_key", "champion_version")
    ),
}
# Registry rows that must each have a ledger record.
_MUST_BE_RECORDED = {
    model_versions: (LedgerEvent.REGISTERED,),
    evaluations: (LedgerEvent.EVALUATED,),
    alias_events: _MOVES,
    approvals: _DECISIONS,
}

# JSON columns by the name a record gives their content.
_JSON_COLUMNS = {
    "gates": "gates_json",
    "metrics": "metrics_json",
    "params": "params_json",
    "windows": "windows_json",
    "features": "feature_list_json",
    "spec": "spec_json",
}


def _row_value(row: Any, name: str) -> Any:
    if name in _JSON_COLUMNS:
        return loads(getattr(row, _JSON_COLUMNS[name]))
    value = getattr(row, name)
    return bool(value) if name in ("passed", "triggered") else value


def _same(recorded: Any, stored: Any) -> bool:
    # Both sides went through JSON: compare as JSON would (floats exactly, ints as ints).
    return plain(recorded) == plain(stored)


def _check_row(conn: Connection, record: LedgerRecord) -> str | None:
    source = _SOURCES.get(record.event_type)
    if source is None:
        return None
    reference = record.payload.get("registry_row") or {}
    row_id = reference.get("id")
    if reference.get("table") != source.table.name or row_id is None:
        return f"it names no {source.table.name} row, though a {record.event_type} record must"
    row = conn.execute(sa.select(source.table).where(source.table.c.id == row_id)).first()
    if row is None:
        return f"{source.table.name} row {row_id} it records no longer exists"
    if row.model != record.model:
        return f"{source.table.name} row {row_id} belongs to model {row.model}"
    recorded = record.payload.get("row", {})
    for name in source.fields:
        if name not in recorded:
            return f"it leaves out {name}, which a {record.event_type} record must carry"
        if not _same(recorded[name], _row_value(row, name)):
            return (
                f"{source.table.name} row {row_id} no longer says what was recorded: {name} differs"
            )
    return None


def _unrecorded_rows(conn: Connection, model: str, records: list[LedgerRecord]) -> list[Problem]:
    """Returns a problem for each of ``model``'s registry rows that no record speaks for."""
    problems = []
    for table, events in _MUST_BE_RECORDED.items():
        recorded = {
            r.payload.get("registry_row", {}).get("id") for r in records if r.event_type in events
        }
        query = sa.select(table.c.id, table.c.created_at).where(table.c.model == model)
        for row_id, created_at in conn.execute(query.order_by(table.c.id)):
            if row_id not in recorded:
                problems.append(
                    Problem(
                        model,
                        None,
                        f"{table.name} row {row_id} (written {created_at:%Y-%m-%d %H:%M:%S} "
                        "UTC) has no ledger record: it was added around the ledger, or its "
                        "record was removed",
                    )
                )
    return problems


def _evaluation_reports(records: list[LedgerRecord]) -> dict[int, str | None]:
    """Returns each evaluation row's newest report SHA-256 on record (None: none given)."""
    newest: dict[int, str] = {}
    for record in records:
        if record.event_type in (LedgerEvent.EVALUATED, LedgerEvent.REPORT_COMPLETED):
            row_id = record.payload.get("registry_row", {}).get("id")
            if row_id is not None:
                newest[row_id] = record.payload.get("report_sha256")
    return newest


def _report_mismatches(conn: Connection, model: str, records: list[LedgerRecord]) -> list[Problem]:
    problems = []
    for row_id, sha in _evaluation_reports(records).items():
        row = conn.execute(
            sa.select(evaluations.c.report_sha256).where(evaluations.c.id == row_id)
        ).first()
        if row is not None and row.report_sha256 != sha:
            problems.append(
                Problem(
                    model,
                    None,
                    f"evaluations row {row_id} names a report sha256 that no record gave",
                )
            )
    return problems


def _champion_mismatch(conn: Connection, model: str, records: list[LedgerRecord]) -> list[Problem]:
    """Compares the champion pointer and the versions' statuses with the last recorded move.

    The pointer decides which model serves, so an edit to it must not pass unseen.
    """
    moves = [r for r in records if r.event_type in _MOVES]
    pointer = conn.execute(
        sa.select(model_aliases).where(
            model_aliases.c.model == model, model_aliases.c.alias == CHAMPION
        )
    ).first()
    holders = set(
        conn.execute(
            sa.select(model_versions.c.version).where(
                model_versions.c.model == model, model_versions.c.status == Status.CHAMPION
            )
        ).scalars()
    )
    if not moves:
        if pointer is not None:
            return [
                Problem(
                    model,
                    None,
                    f"the champion pointer names v{pointer.version}, but no record made it "
                    "champion",
                )
            ]
        if holders:
            listed = ", ".join(f"v{v}" for v in sorted(holders))
            return [
                Problem(
                    model,
                    None,
                    f"versions marked champion are {listed}, but no record made any champion",
                )
            ]
        return []
    last = moves[-1]
    expected = last.payload.get("row", {}).get("to_version")
    event_id = last.payload.get("registry_row", {}).get("id")
    where = f"record #{last.sequence} made v{expected} champion"
    if pointer is None:
        return [Problem(model, None, f"the champion pointer is missing, but {where}")]
    if pointer.version != expected or pointer.event_id != event_id:
        return [
            Problem(
                model,
                None,
                f"the champion pointer names v{pointer.version} (alias event "
                f"{pointer.event_id}), but {where} (alias event {event_id})",
            )
        ]
    if holders != {expected}:
        listed = ", ".join(f"v{v}" for v in sorted(holders)) or "none"
        return [Problem(model, None, f"versions marked champion are {listed}, but {where}")]
    return []


def _models(conn: Connection) -> list[str]:
    """Returns every model with a ledger record or a registry row that needs one."""
    models = set(ledger.ledger_models(conn))
    for table in _MUST_BE_RECORDED:
        models.update(conn.execute(sa.select(table.c.model).distinct()).scalars())
    return sorted(models)


def verify_ledger(
    engine: Engine,
    read_sha256: Callable[[str], str | None] | None,
    model: str | None = None,
) -> list[ChainCheck]:
    """Checks every model's ledger, or ``model``'s.

    Args:
        engine: The registry database.
        read_sha256: Returns an artifact's current SHA-256 in the object store by key (None
            when missing); None leaves the artifacts unchecked.
        model: Only this model; otherwise every model with records or registry rows.

    Returns:
        One ``ChainCheck`` per model, by name, its problems oldest record first.
    """
    with engine.connect() as conn:
        models = [model] if model else _models(conn)
        checks = []
        for name in models:
            check = check_chain(conn, name)
            records = ledger.history(conn, name)
            for record in records:
                message = _check_row(conn, record)
                if message:
                    check.problems.append(Problem(name, record.sequence, message))
            check.problems += _unrecorded_rows(conn, name, records)
            check.problems += _champion_mismatch(conn, name, records)
            check.problems += _report_mismatches(conn, name, records)
            if read_sha256 is not None:
                check.problems += check_artifacts(records, read_sha256)
            check.problems.sort(key=lambda p: (p.sequence is None, p.sequence or 0))
            checks.append(check)
    return checks
