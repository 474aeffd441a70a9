"""The audit ledger's record types: event kinds, artifacts and one decoded record.

Kept apart from ``registry.ledger`` (writing and reading the chain) and ``registry.chain``
(hashing and checking it), which both use them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def timestamp(moment: dt.datetime) -> str:
    """Returns the canonical form of a time: UTC, microseconds, 'Z'.

    Raises:
        ValueError: ``moment`` is naive.
    """
    if moment.tzinfo is None:
        raise ValueError(f"Refusing a naive timestamp {moment!r} in the audit ledger.")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
