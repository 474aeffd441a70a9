"""The audit ledger: an append-only, hash-chained record of every decision about a model.

Every registry change a reviewer may need to account for — a version registered, an evaluation,
a promotion, a reviewer's approval or rejection, an override, a rollback, a redelivered day, a
drift-triggered retraining — appends one record here *in the same transaction* as the change,
so either both exist or neither. The registry's own tables keep working; the ledger is the proof
over them. How a record is hashed and its chain checked is in ``registry.chain``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ml_platform_assets.registry.chain import canonical_bytes, canonical_json, plain, timestamp
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
        """Returns the artifact as recorded: ``{"key", "uri", "sha256"}``."""
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
        """Returns the record as JSON-ready values, ``created_at`` in the canonical form."""
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
    key: the later one's transaction fails as a whole and the registry retries it, so a chain
    never forks.

    Raises:
        ValueError: An unknown event type or an empty actor.
        sqlalchemy.exc.IntegrityError: Another writer took the chain's next place first.
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
    plain_payload = plain(payload)
    plain_artifacts = [
        plain(a.as_dict() if isinstance(a, Artifact) else dict(a)) for a in artifacts
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
            payload_json=canonical_json(plain_payload),
            artifacts_json=canonical_json(plain_artifacts),
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
    """Returns ``model``'s records in chain order, oldest first.

    Args:
        conn: A connection to the registry database.
        model: The model.
        since: Only records made on this UTC day or later, when given.
        version: Only records about this version, when given.
    """
    query = sa.select(audit_ledger).where(audit_ledger.c.model == model)
    if since is not None:
        start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
        query = query.where(audit_ledger.c.created_at >= start)
    if version is not None:
        query = query.where(audit_ledger.c.version == version)
    rows = conn.execute(query.order_by(audit_ledger.c.sequence, audit_ledger.c.id))
    return [_to_record(row) for row in rows]


def ledger_models(conn: Connection) -> list[str]:
    """Returns every model with at least one ledger record, sorted by name."""
    query = sa.select(audit_ledger.c.model).distinct().order_by(audit_ledger.c.model)
    return list(conn.execute(query).scalars())
