"""What happened to a model, oldest first: reviewers' decisions, alias moves, the audit ledger.

Also the one ledger record that changes no registry row: a lender's redelivered day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa

from ml_platform_assets.registry import ledger
from ml_platform_assets.registry.base import RegistryBase
from ml_platform_assets.registry.ledger_records import Artifact, LedgerEvent, LedgerRecord
from ml_platform_assets.registry.records import CHAMPION, AliasEvent, to_event
from resources.schema import alias_events, approvals


class RegistryHistories(RegistryBase):
    """The registry's histories of a model, and its redelivery records."""

    def record_redelivery(
        self, model: str, *, actor: str, delivery: dict, artifacts: Sequence[Artifact]
    ) -> LedgerRecord:
        """Appends and returns a ``redelivered`` ledger record: a corrected file replaced a day.

        Args:
            model: The model whose data the day belongs to.
            actor: Who redelivered it.
            delivery: The day's delivery record (kind, day, sha256, source, what it replaces
                and why).
            artifacts: The new file, the kept copy of the old one and the delivery record.
        """
        return self._write(
            lambda conn: ledger.append(
                conn,
                model=model,
                event_type=LedgerEvent.REDELIVERED,
                actor=actor,
                payload=delivery,
                artifacts=artifacts,
            )
        )

    def approvals(self, model: str, version: int | None = None) -> list[dict]:
        """Returns reviewers' decisions on ``model`` (one version's when given), oldest first.

        Each is an ``approvals`` row as a dict: id, model, version, decision ("approved" or
        "rejected"), reviewer, note, created_at.
        """
        query = sa.select(approvals).where(approvals.c.model == model)
        if version is not None:
            query = query.where(approvals.c.version == version)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(approvals.c.id))]

    def audit_history(
        self, model: str, *, since: dt.date | None = None, version: int | None = None
    ) -> list[LedgerRecord]:
        """Returns ``model``'s audit ledger, oldest first (see ``registry.ledger.history``)."""
        with self.engine.connect() as conn:
            return ledger.history(conn, model, since=since, version=version)

    def alias_history(self, model: str, alias: str = CHAMPION) -> list[AliasEvent]:
        """Returns every move of ``alias`` for ``model``, oldest first."""
        query = (
            sa.select(alias_events)
            .where(alias_events.c.model == model, alias_events.c.alias == alias)
            .order_by(alias_events.c.id)
        )
        with self.engine.connect() as conn:
            return [to_event(row) for row in conn.execute(query)]
