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
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ml_platform_assets.registry.chain import canonical_bytes, canonical_json, plain
from ml_platform_assets.registry.ledger_records import Artifact, LedgerEvent, LedgerRecord
from resources.schema import audit_ledger, utcnow


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
