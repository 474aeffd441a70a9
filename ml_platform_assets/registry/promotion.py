"""The champion alias: promotion, a reviewer's approval, overrides and rollback.

The champion pointer, its history row, the versions' statuses and the ledger record always
change in one transaction, and concurrent moves of one model's alias serialize on the pointer
row, so the history is a single chain: every event starts where the previous one ended.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ml_platform_assets.registry import ledger
from ml_platform_assets.registry.aliases import move_alias, roll_back_alias
from ml_platform_assets.registry.base import RegistryBase
from ml_platform_assets.registry.ledger_records import LedgerEvent, LedgerRecord
from ml_platform_assets.registry.promotion_rules import (
    Override,
    check_judged_against_champion,
    check_promotable,
    newest_evaluation,
    same_person,
)
from ml_platform_assets.registry.records import (
    CHAMPION,
    AliasEvent,
    ModelVersion,
    RegistryError,
    Status,
    fetch_version,
    loads,
    set_status,
    to_version,
)
from resources.schema import approvals, model_aliases, model_versions, utcnow


def _alias_record(
    conn: Connection, event: AliasEvent, event_type: str, **extra: object
) -> LedgerRecord:
    """Appends and returns the ledger record of an alias move, naming its ``alias_events`` row."""
    row = {
        "from_version": event.from_version,
        "to_version": event.to_version,
        "action": event.action,
        "reason": event.reason,
        "actor": event.actor,
    }
    return ledger.append(
        conn,
        model=event.model,
        version=event.to_version,
        event_type=event_type,
        actor=event.actor,
        payload={"registry_row": {"table": "alias_events", "id": event.id}, "row": row, **extra},
    )


class RegistryPromotion(RegistryBase):
    """The registry's champion alias and the decisions that move it."""

    def champion(self, model: str) -> ModelVersion | None:
        """Returns the version the 'champion' alias points at, or None before any promotion."""
        query = sa.select(model_versions).join(
            model_aliases,
            sa.and_(
                model_aliases.c.model == model_versions.c.model,
                model_aliases.c.version == model_versions.c.version,
            ),
        )
        query = query.where(model_aliases.c.model == model, model_aliases.c.alias == CHAMPION)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else to_version(row)

    def promote(
        self,
        model: str,
        version: int,
        *,
        reason: str,
        actor: str,
        override: Override | None = None,
    ) -> AliasEvent:
        """Makes ``version`` the champion; the previous champion is retired, kept for rollback.

        The version's newest evaluation must have passed every gate, unless ``override`` names
        who allows it into service anyway and why (an ``override`` ledger record with the
        failed gates; otherwise a ``promoted`` one). A version waiting for approval is promoted
        through ``decide_approval``.

        Returns:
            The move; for the current champion, the event that made it champion, recording
            nothing, so a retried deployment is harmless.

        Raises:
            RegistryError: The version may not be promoted; the message names it and why.
        """

        def move(conn: Connection) -> AliasEvent:
            current = fetch_version(conn, model, version, lock=True)
            evaluation = newest_evaluation(conn, model, version)
            if current.status != Status.CHAMPION:
                check_promotable(model, current, evaluation, override)
            event, moved = move_alias(conn, model, CHAMPION, version, reason=reason, actor=actor)
            if moved:
                if override is None:
                    _alias_record(conn, event, LedgerEvent.PROMOTED)
                else:
                    failed = [g for g in loads(evaluation.gates_json) if not g["passed"]]
                    _alias_record(
                        conn,
                        event,
                        LedgerEvent.OVERRIDE,
                        approver=override.approver,
                        override_reason=override.reason,
                        failed_gates=failed,
                    )
            return event

        return self._write(move)

    def request_approval(self, model: str, version: int, *, actor: str) -> bool:
        """Marks a version that passed every gate as waiting for a reviewer (``pending_approval``).

        Returns:
            True; False, recording nothing, when it already waits or was decided.

        Raises:
            RegistryError: The version did not pass its gates.
        """

        def request(conn: Connection) -> bool:
            current = fetch_version(conn, model, version, lock=True)
            if current.status != Status.EVALUATED:
                return False
            evaluation = newest_evaluation(conn, model, version)
            check_promotable(model, current, evaluation, None, approving=True)
            set_status(conn, model, version, Status.PENDING_APPROVAL)
            ledger.append(
                conn,
                model=model,
                version=version,
                event_type=LedgerEvent.PENDING_APPROVAL,
                actor=actor,
                payload={"evaluation_id": evaluation.id, "trained_by": current.trained_by},
            )
            return True

        return self._write(request)

    def decide_approval(
        self, model: str, version: int, *, approve: bool, reviewer: str, note: str
    ) -> AliasEvent | None:
        """Records a reviewer's approval or rejection of a version waiting for one.

        Returns:
            For an approval, the move that promoted the version in the same transaction; for a
            rejection, None (the version is marked rejected).

        Raises:
            RegistryError: The reviewer or note is blank, the version is not waiting for
                approval, the reviewer trained it, or the champion moved since it was judged.
        """
        if not reviewer.strip() or not note.strip():
            raise RegistryError("An approval or rejection needs a reviewer's name and a note.")

        def decide(conn: Connection) -> AliasEvent | None:
            current = fetch_version(conn, model, version, lock=True)
            if current.status != Status.PENDING_APPROVAL:
                raise RegistryError(
                    f"Model '{model}' v{version} is {current.status}, not waiting for approval."
                )
            if same_person(reviewer, current.trained_by):
                raise RegistryError(
                    f"Model '{model}' v{version} was trained by {current.trained_by}, who may "
                    "not review it: another reviewer must decide."
                )
            if approve:
                check_judged_against_champion(conn, model, version)
            decision = "approved" if approve else "rejected"
            row = dict(model=model, version=version, decision=decision, reviewer=reviewer)
            row.update(note=note, created_at=utcnow())
            row_id = conn.execute(approvals.insert().values(**row)).inserted_primary_key[0]
            ledger.append(
                conn,
                model=model,
                version=version,
                event_type=LedgerEvent.APPROVED if approve else LedgerEvent.REJECTED,
                actor=reviewer,
                payload={
                    "registry_row": {"table": "approvals", "id": row_id},
                    "row": {
                        "version": version,
                        "decision": decision,
                        "reviewer": reviewer,
                        "note": note,
                    },
                    "trained_by": current.trained_by,
                },
            )
            if not approve:
                set_status(conn, model, version, Status.REJECTED)
                return None
            reason = f"v{version} passed every gate and was approved by {reviewer}: {note}"
            event, _ = move_alias(conn, model, CHAMPION, version, reason=reason, actor=reviewer)
            _alias_record(conn, event, LedgerEvent.PROMOTED, approval_id=row_id)
            return event

        return self._write(decide)

    def rollback(
        self,
        model: str,
        *,
        reason: str,
        actor: str,
        to_version: int | None = None,
        approver: str | None = None,
    ) -> AliasEvent:
        """Moves the champion back to ``to_version`` (an earlier champion), or the one before.

        A ``rolled_back`` ledger record names ``approver`` (``actor`` when not given).

        Returns:
            The move.

        Raises:
            RegistryError: There is no earlier champion, or ``to_version`` is not one.
        """

        def move(conn: Connection) -> AliasEvent:
            event = roll_back_alias(
                conn, model, CHAMPION, reason=reason, actor=actor, to_version=to_version
            )
            _alias_record(conn, event, LedgerEvent.ROLLED_BACK, approver=approver or actor)
            return event

        return self._write(move)
