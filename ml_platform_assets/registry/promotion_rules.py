"""What a promotion must satisfy: a passing evaluation, a reviewer, or a valid override.

Checks run inside the promoting transaction, on the version's locked row, and raise
``RegistryError`` naming the model, the version and what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ml_platform_assets.registry.records import CHAMPION, ModelVersion, RegistryError, Status, loads
from resources.schema import evaluations, model_aliases


@dataclass(frozen=True)
class Override:
    """Who allowed a version that failed a gate into service, and why."""

    approver: str
    reason: str


def same_person(a: str | None, b: str | None) -> bool:
    """Returns whether two actor names are given and name one person (case and spaces aside)."""
    return bool(a and b) and a.strip().casefold() == b.strip().casefold()


def newest_evaluation(conn: Connection, model: str, version: int) -> Row | None:
    """Returns the version's newest ``evaluations`` row, or None if it was never evaluated."""
    query = (
        sa.select(evaluations)
        .where(evaluations.c.model == model, evaluations.c.version == version)
        .order_by(evaluations.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).first()


def check_promotable(
    model: str,
    current: ModelVersion,
    evaluation: Row | None,
    override: Override | None,
    *,
    approving: bool = False,
) -> None:
    """Refuses a promotion the record does not allow.

    Args:
        model: The model.
        current: The version to promote, read under lock.
        evaluation: Its newest evaluation row (``newest_evaluation``).
        override: Who allows a failed version into service and why, if anyone.
        approving: The promotion follows a reviewer's approval.

    Raises:
        RegistryError: Naming the model, the version and why it may not be promoted.
    """
    if evaluation is None:
        raise RegistryError(f"Model '{model}' v{current.version} was never evaluated.")
    if override is not None:
        if not override.approver.strip() or not override.reason.strip():
            raise RegistryError("An override needs an approver and a reason.")
        if evaluation.passed:
            raise RegistryError(
                f"Model '{model}' v{current.version} passed every gate: it needs no override."
            )
        if same_person(override.approver, current.trained_by):
            raise RegistryError(
                f"Model '{model}' v{current.version} was trained by {current.trained_by}, who "
                "may not approve its override."
            )
        return
    if not evaluation.passed:
        failed = [g["description"] for g in loads(evaluation.gates_json) if not g["passed"]]
        raise RegistryError(
            f"Model '{model}' v{current.version} failed a promotion gate "
            f"({'; '.join(failed) or 'see its evaluation'}): only an override with an approver "
            "and a reason can promote it."
        )
    if approving or not (current.spec or {}).get("decision", {}).get("requires_approval"):
        return
    if current.status == Status.REJECTED:
        raise RegistryError(
            f"Model '{model}' v{current.version} was rejected by a reviewer; only an override "
            "with an approver and a reason can promote it now."
        )
    raise RegistryError(
        f"Model '{model}' v{current.version} needs a reviewer's approval before promotion "
        f"(ml-platform approve {model} {current.version})."
    )


def check_judged_against_champion(conn: Connection, model: str, version: int) -> None:
    """Refuses an approval of a version its gates compared with another champion than today's.

    An approval promotes what the gates judged, so a version judged against an earlier champion
    (or none) is judged again before anyone approves it.

    Raises:
        RegistryError: The champion moved since the version's newest evaluation.
    """
    judged = newest_evaluation(conn, model, version).champion_version
    pointer = conn.execute(
        sa.select(model_aliases.c.version).where(
            model_aliases.c.model == model, model_aliases.c.alias == CHAMPION
        )
    ).scalar()
    if pointer is not None and pointer != judged:
        against = f"v{judged}" if judged is not None else "no champion"
        raise RegistryError(
            f"Model '{model}' v{version} was judged against {against}, but the champion is now "
            f"v{pointer}: train it again (ml-platform run) so its gates compare it with "
            f"v{pointer} before it is approved."
        )
