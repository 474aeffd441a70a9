"""The audit ledger: an append-only, hash-chained record of every decision about a model.

Every registry change a reviewer may need to account for — a version registered, an evaluation,
a promotion, a reviewer's approval or rejection, an override, a rollback, a redelivered day, a
drift-triggered retraining — appends one record here *in the same transaction* as the change,
so either both exist or neither. The registry's own tables keep working; the ledger is the proof
over them.

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
able to recompute every hash could forge a consistent history. ``verify`` therefore also
cross-checks each record against the registry rows it speaks for and the artifacts' bytes in
the object store, and reports each model's head hash so a reviewer can keep it elsewhere and
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
from sqlalchemy.engine import Connection

from resources.schema import audit_ledger, utcnow


class LedgerEvent:
    """Event types recorded in the ledger."""

    REGISTERED = "registered"  # a trained version and its artifacts
    EVALUATED = "evaluated"  # metrics and gate results of an out-of-time evaluation
    PENDING_APPROVAL = "pending_approval"  # passed every gate; waits for a reviewer
    APPROVED = "approved"  # a reviewer approved it (the promotion follows as its own record)
    REJECTED = "rejected"  # a reviewer rejected it
    PROMOTED = "promoted"  # the champion alias moved to it after passing every gate
    OVERRIDE = "override"  # promoted although a gate failed: approver and reason on record
    ROLLED_BACK = "rolled_back"  # the champion moved back to an earlier version
    REPORT_COMPLETED = "report_completed"  # the evaluation report rewritten with the decision
    REDELIVERED = "redelivered"  # a lender's corrected file replaced a delivered day
    RETRAIN_TRIGGERED = "retrain_triggered"  # the drift sensor started a retraining

    ALL = (
        REGISTERED,
        EVALUATED,
        PENDING_APPROVAL,
        APPROVED,
        REJECTED,
        PROMOTED,
        OVERRIDE,
        ROLLED_BACK,
        REPORT_COMPLETED,
        REDELIVERED,
        RETRAIN_TRIGGERED,
    )


@dataclass(frozen=True)
class Artifact:
    """An object a record depends on: its key in the object store, URI and SHA-256 (hex)."""

    key: str
    uri: str
    sha256: str

    def as_dict(self) -> dict:
        return {"key": self.key, "uri": self.uri, "sha256": self.sha256}


@dataclass(frozen=True)
class LedgerRecord:
    """One ledger row, decoded. ``version`` is None for model-level events (redeliveries)."""

    id: int
    model: str
    sequence: int
    version: int | None
    event_type: str
    actor: str
    created_at: dt.datetime
    payload: dict
    artifacts: list[dict]
    previous_sha256: str | None
    record_sha256: str

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "model": self.model,
            "sequence": self.sequence,
            "version": self.version,
            "event_type": self.event_type,
            "actor": self.actor,
            "created_at": timestamp(self.created_at),
            "payload": self.payload,
            "artifacts": self.artifacts,
            "previous_sha256": self.previous_sha256,
            "record_sha256": self.record_sha256,
        }


def timestamp(moment: dt.datetime) -> str:
    """The canonical form of a time: UTC, microseconds, 'Z' (naive input is refused)."""
    if moment.tzinfo is None:
        raise ValueError(f"Refusing a naive timestamp {moment!r} in the audit ledger.")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(value: Any) -> Any:
    """JSON-native copy: NumPy scalars become numbers, dates ISO text, NaN/inf None."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
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


def _dumps(value: Any) -> str:
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
    """The bytes a record's SHA-256 is taken over (see the module docstring)."""
    document = {
        "model": model,
        "sequence": sequence,
        "version": version,
        "event_type": event_type,
        "actor": actor,
        "created_at": timestamp(created_at),
        "payload": _plain(payload),
        "artifacts": _plain(list(artifacts)),
        "previous_sha256": previous_sha256,
    }
    return _dumps(document).encode("utf-8")


def record_hash(row: Any) -> str:
    """Recomputes the SHA-256 of a stored row (a ``LedgerRecord`` or a database row)."""
    payload = row.payload if isinstance(row, LedgerRecord) else json.loads(row.payload_json)
    artifacts = row.artifacts if isinstance(row, LedgerRecord) else json.loads(row.artifacts_json)
    data = canonical_bytes(
        model=row.model,
        sequence=row.sequence,
        version=row.version,
        event_type=row.event_type,
        actor=row.actor,
        created_at=row.created_at,
        payload=payload,
        artifacts=artifacts,
        previous_sha256=row.previous_sha256,
    )
    return hashlib.sha256(data).hexdigest()


def _to_record(row: Any) -> LedgerRecord:
    return LedgerRecord(
        id=row.id,
        model=row.model,
        sequence=row.sequence,
        version=row.version,
        event_type=row.event_type,
        actor=row.actor,
        created_at=row.created_at,
        payload=json.loads(row.payload_json),
        artifacts=json.loads(row.artifacts_json),
        previous_sha256=row.previous_sha256,
        record_sha256=row.record_sha256,
    )


def append(
    conn: Connection,
    *,
    model: str,
    event_type: str,
    actor: str,
    payload: Mapping,
    version: int | None = None,
    artifacts: Iterable[Artifact | Mapping] = (),
) -> LedgerRecord:
    """Appends a record to ``model``'s chain inside the caller's transaction and returns it.

    Two writers taking the same place in the chain collide on the (model, sequence) unique
    key: the later one's transaction fails as a whole (``sqlalchemy.exc.IntegrityError``) and
    the registry retries it, so a chain never forks. Raises ``ValueError`` for an unknown
    event type or an empty actor.
    """
    if event_type not in LedgerEvent.ALL:
        raise ValueError(f"Unknown audit ledger event type {event_type!r}.")
    if not actor or not actor.strip():
        raise ValueError(f"An audit ledger record of {model} needs an actor.")
    last = conn.execute(
        sa.select(audit_ledger.c.sequence, audit_ledger.c.record_sha256)
        .where(audit_ledger.c.model == model)
        .order_by(audit_ledger.c.sequence.desc())
        .limit(1)
    ).first()
    sequence = last.sequence + 1 if last else 1
    previous = last.record_sha256 if last else None
    # The database keeps microseconds: hash exactly what will be read back.
    created_at = utcnow()
    plain_payload = _plain(payload)
    plain_artifacts = [
        _plain(a.as_dict() if isinstance(a, Artifact) else dict(a)) for a in artifacts
    ]
    fields = dict(
        model=model,
        sequence=sequence,
        version=version,
        event_type=event_type,
        actor=actor,
        created_at=created_at,
        payload=plain_payload,
        artifacts=plain_artifacts,
        previous_sha256=previous,
    )
    digest = hashlib.sha256(canonical_bytes(**fields)).hexdigest()
    stored = {k: v for k, v in fields.items() if k not in ("payload", "artifacts")}
    row_id = conn.execute(
        audit_ledger.insert().values(
            **stored,
            payload_json=_dumps(plain_payload),
            artifacts_json=_dumps(plain_artifacts),
            record_sha256=digest,
        )
    ).inserted_primary_key[0]
    return LedgerRecord(id=row_id, record_sha256=digest, **fields)


def history(
    conn: Connection,
    model: str,
    *,
    since: dt.date | None = None,
    version: int | None = None,
) -> list[LedgerRecord]:
    """``model``'s records in chain order (oldest first); from ``since`` (UTC day) on, and only
    those about ``version`` when given."""
    query = sa.select(audit_ledger).where(audit_ledger.c.model == model)
    if since is not None:
        start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
        query = query.where(audit_ledger.c.created_at >= start)
    if version is not None:
        query = query.where(audit_ledger.c.version == version)
    rows = conn.execute(query.order_by(audit_ledger.c.sequence, audit_ledger.c.id))
    return [_to_record(row) for row in rows]


def ledger_models(conn: Connection) -> list[str]:
    """Every model with at least one ledger record."""
    query = sa.select(audit_ledger.c.model).distinct().order_by(audit_ledger.c.model)
    return list(conn.execute(query).scalars())


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
    """For each artifact key, the last record that named it with the SHA-256 it gave.

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

    ``read_sha256(key)`` returns the SHA-256 of the object's current bytes, or None when it is
    missing.
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
