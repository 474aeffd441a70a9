"""Moving an alias (the champion pointer) inside a caller's transaction.

The pointer row is locked first (``SELECT ... FOR UPDATE`` on MySQL; SQLite's ``BEGIN
IMMEDIATE`` already holds the write lock), so concurrent moves of one model's alias queue and
each history row starts from the version the previous row ended at. History rows are only ever
inserted.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ml_platform_assets.registry.records import (
    CHAMPION,
    AliasEvent,
    RegistryError,
    Status,
    fetch_version,
    set_status,
    to_event,
)
from resources.schema import alias_events, model_aliases, utcnow


def _lock_pointer(conn: Connection, model: str, alias: str) -> Any:
    query = sa.select(model_aliases).where(
        model_aliases.c.model == model, model_aliases.c.alias == alias
    )
    return conn.execute(query.with_for_update()).first()


def move_alias(
    conn: Connection, model: str, alias: str, version: int, *, reason: str, actor: str
) -> tuple[AliasEvent, bool]:
    """Points ``alias`` at ``version`` inside the caller's transaction.

    Returns:
        The move and True; when the alias already points there, the event that made it so and
        False, recording nothing.

    Raises:
        VersionNotFoundError: The version was never registered.
    """
    pointer = _lock_pointer(conn, model, alias)
    fetch_version(conn, model, version)
    if pointer is not None and pointer.version == version:
        query = sa.select(alias_events).where(alias_events.c.id == pointer.event_id)
        return to_event(conn.execute(query).one()), False
    return _record_move(conn, model, alias, pointer, version, "promote", reason, actor), True


def roll_back_alias(
    conn: Connection,
    model: str,
    alias: str,
    *,
    reason: str,
    actor: str,
    to_version: int | None = None,
) -> AliasEvent:
    """Points ``alias`` back at an earlier holder: ``to_version``, or the one before the current.

    Returns:
        The move.

    Raises:
        RegistryError: There is no earlier holder, or ``to_version`` is not one.
    """
    pointer = _lock_pointer(conn, model, alias)
    if pointer is None:
        raise RegistryError(
            f"Model '{model}' has no {alias} yet, so there is nothing to roll back."
        )
    earlier = previous_holders(conn, model, alias)
    if to_version is not None:
        fetch_version(conn, model, to_version)  # a version that does not exist is named
        if to_version == pointer.version:
            raise RegistryError(f"Model '{model}' v{to_version} is already the {alias}.")
        if to_version not in earlier:
            held = ", ".join(f"v{v}" for v in sorted(set(earlier))) or "none"
            served = conn.execute(
                sa.select(alias_events.c.id).where(
                    alias_events.c.model == model,
                    alias_events.c.alias == alias,
                    alias_events.c.to_version == to_version,
                )
            ).first()
            why = (
                "was rolled back from since it served" if served else f"has never been the {alias}"
            )
            raise RegistryError(
                f"Model '{model}' v{to_version} {why}: a rollback restores an earlier {alias} "
                f"(here: {held})."
            )
    elif not earlier:
        raise RegistryError(
            f"Model '{model}' has no earlier {alias} to roll back to: "
            f"v{pointer.version} is the first."
        )
    else:
        to_version = earlier[-1]
    return _record_move(conn, model, alias, pointer, to_version, "rollback", reason, actor)


def previous_holders(conn: Connection, model: str, alias: str) -> list[int]:
    """Returns the versions a rollback would restore, most recent last.

    The history replays as a stack: a promotion pushes the version it replaced and a rollback
    pops down to the version it restored, so two rollbacks in a row go two champions back
    rather than undoing each other, and a rollback to an older champion skips those between.
    """
    query = (
        sa.select(alias_events.c.action, alias_events.c.from_version, alias_events.c.to_version)
        .where(alias_events.c.model == model, alias_events.c.alias == alias)
        .order_by(alias_events.c.id)
    )
    stack: list[int] = []
    for action, from_version, to_version in conn.execute(query):
        if action == "rollback":
            while stack and stack.pop() != to_version:
                pass
        elif from_version is not None:
            stack.append(from_version)
    return stack


def _record_move(
    conn: Connection,
    model: str,
    alias: str,
    pointer: Any,
    to_version: int,
    action: str,
    reason: str,
    actor: str,
) -> AliasEvent:
    """Appends the history row, moves the pointer and updates both versions' statuses."""
    from_version = pointer.version if pointer is not None else None
    event = dict(model=model, alias=alias, from_version=from_version, to_version=to_version)
    event.update(action=action, reason=reason, actor=actor, created_at=utcnow())
    event_id = conn.execute(alias_events.insert().values(**event)).inserted_primary_key[0]
    target = dict(version=to_version, updated_at=event["created_at"], event_id=event_id)
    if pointer is None:
        conn.execute(model_aliases.insert().values(model=model, alias=alias, **target))
    else:
        conn.execute(
            model_aliases.update()
            .where(model_aliases.c.model == model, model_aliases.c.alias == alias)
            .values(**target)
        )
    if alias == CHAMPION:
        if from_version is not None:
            left = Status.ROLLED_BACK if action == "rollback" else Status.RETIRED
            set_status(conn, model, from_version, left)
        set_status(conn, model, to_version, Status.CHAMPION)
    return AliasEvent(id=event_id, **event)
