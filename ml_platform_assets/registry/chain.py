"""The audit ledger's hash chain: the canonical form a record is hashed in, and its checks.

Each record of a model carries the SHA-256 of the model's previous record, so altering,
removing, inserting or reordering a record breaks the chain at that point. The hash is taken
over a canonical serialisation (``canonical_bytes``):

    UTF-8 JSON (RFC 8259) of the object
      {"actor", "artifacts", "created_at", "event_type", "model", "payload",
       "previous_sha256", "sequence", "version"}
    with keys sorted at every level, no whitespace (separators "," and ":"), non-ASCII
    characters written as themselves, no NaN or infinity (stored as null), and
    ``created_at`` as UTC ISO 8601 with microseconds and a "Z" suffix
    (``2026-11-30T21:05:07.123456Z``).

``sequence`` numbers a model's records 1, 2, ... without gaps. ``payload_json`` stores the
payload in the same serialisation, so a reader recomputes the hash from the row alone.

A chain proves the records agree with each other, not that nobody rewrote all of them: anyone
able to recompute every hash could forge a consistent history. ``registry.audit`` therefore
also cross-checks each record against the registry rows it speaks for and the artifacts' bytes
in the object store, and reports each model's head hash so a reviewer can keep it elsewhere and
compare later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ml_platform_assets.registry.ledger_records import LedgerRecord, timestamp
from resources.schema import audit_ledger


def plain(value: Any) -> Any:
    """Returns a JSON-native copy: NumPy scalars become numbers, dates ISO text, NaN/inf None."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime):
        return timestamp(value) if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def canonical_json(value: Any) -> str:
    """Returns ``value`` (already ``plain``) as canonical JSON text: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes(
    *,
    model: str,
    sequence: int,
    version: int | None,
    event_type: str,
    actor: str,
    created_at: dt.datetime,
    payload: Mapping,
    artifacts: Sequence[Mapping],
    previous_sha256: str | None,
) -> bytes:
    """Returns the bytes a record's SHA-256 is taken over (see the module docstring)."""
    document = {
        "model": model,
        "sequence": sequence,
        "version": version,
        "event_type": event_type,
        "actor": actor,
        "created_at": timestamp(created_at),
        "payload": plain(payload),
        "artifacts": plain(list(artifacts)),
        "previous_sha256": previous_sha256,
    }
    return canonical_json(document).encode("utf-8")


def record_hash(row: LedgerRecord | Row) -> str:
    """Returns the recomputed SHA-256 (hex) of a ``LedgerRecord`` or an ``audit_ledger`` row."""
    stored = isinstance(row, Row)
    data = canonical_bytes(
        model=row.model,
        sequence=row.sequence,
        version=row.version,
        event_type=row.event_type,
        actor=row.actor,
        created_at=row.created_at,
        payload=json.loads(row.payload_json) if stored else row.payload,
        artifacts=json.loads(row.artifacts_json) if stored else row.artifacts,
        previous_sha256=row.previous_sha256,
    )
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Problem:
    """What is wrong with one record (``sequence`` None: with the model's chain as a whole)."""

    model: str
    sequence: int | None
    message: str

    def __str__(self) -> str:
        where = f"record #{self.sequence}" if self.sequence is not None else "its chain"
        return f"{self.model} {where}: {self.message}"


@dataclass
class ChainCheck:
    """The outcome of checking one model's chain; ``head`` is its last record's SHA-256."""

    model: str
    records: int = 0
    head: str | None = None
    problems: list[Problem] = field(default_factory=list)


def check_chain(conn: Connection, model: str) -> ChainCheck:
    """Recomputes ``model``'s hash chain from its rows.

    Finds a record whose content no longer matches its hash (altered), a gap in the sequence
    (removed), a record whose previous-hash is not its predecessor's hash (inserted, removed or
    reordered), and rows whose database ids run against the sequence (reordered).
    """
    rows = conn.execute(
        sa.select(audit_ledger)
        .where(audit_ledger.c.model == model)
        .order_by(audit_ledger.c.sequence, audit_ledger.c.id)
    ).all()
    check = ChainCheck(model=model, records=len(rows))
    previous_hash: str | None = None
    previous_id = 0
    for expected, row in enumerate(rows, start=1):
        problem = None
        if row.sequence != expected:
            problem = (
                f"sequence number {row.sequence} where {expected} was expected: "
                f"record #{expected} was removed or renumbered"
            )
        elif record_hash(row) != row.record_sha256:
            problem = "its content no longer matches its SHA-256: the record was altered"
        elif row.previous_sha256 != previous_hash:
            problem = (
                "it does not follow the record before it (previous-record hash differs): "
                "a record was inserted, removed or reordered here"
            )
        elif row.id < previous_id:
            problem = "it was written before the record preceding it: records were reordered"
        if problem:
            check.problems.append(Problem(model, row.sequence, problem))
        previous_hash, previous_id = row.record_sha256, row.id
    check.head = previous_hash
    return check


def latest_artifacts(records: Iterable[LedgerRecord]) -> dict[str, tuple[LedgerRecord, dict]]:
    """Returns, for each artifact key, the last record that named it and the artifact it gave.

    Some documents are rewritten on purpose (the evaluation report once the decision is made):
    each rewrite is its own record, and the store must hold the bytes of the newest one.
    """
    latest: dict[str, tuple[LedgerRecord, dict]] = {}
    for record in records:
        for artifact in record.artifacts:
            latest[artifact["key"]] = (record, artifact)
    return latest


def check_artifacts(
    records: Sequence[LedgerRecord], read_sha256: Callable[[str], str | None]
) -> list[Problem]:
    """Compares each artifact's newest recorded SHA-256 with the store's bytes.

    Args:
        records: One model's records, in chain order.
        read_sha256: Returns the SHA-256 of an object's current bytes by key, or None when it
            is missing.

    Returns:
        One problem per artifact missing or changed, named by the record that gave it.
    """
    problems = []
    for key, (record, artifact) in latest_artifacts(records).items():
        actual = read_sha256(key)
        if actual is None:
            message = f"artifact {artifact['uri']} is missing from the object store"
        elif actual != artifact["sha256"]:
            message = (
                f"artifact {artifact['uri']} no longer matches: sha256 {actual[:12]}… in the "
                f"store, {artifact['sha256'][:12]}… on record"
            )
        else:
            continue
        problems.append(Problem(record.model, record.sequence, message))
    return problems
