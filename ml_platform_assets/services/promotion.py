"""The one promotion workflow: gates, a reviewer's approval, overrides and rollbacks.

Whether a run's ``deployed_model`` or a person decides, the same steps follow in the same
order: the registry moves the champion (one transaction with its ledger record), the decided
version's evaluation report is completed with the decision, and the model documents of the
versions whose history changed are drawn again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ml_platform_assets.core import layout
from ml_platform_assets.core.evaluation_record import Override, Review
from ml_platform_assets.core.gates import GateResult, failed_summary
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.registry import AliasEvent, ModelRegistry, ModelVersion, Status
from ml_platform_assets.registry import Override as AllowedOverride
from ml_platform_assets.services.documents import publish_model_document, refresh_documents
from ml_platform_assets.services.errors import Refused
from ml_platform_assets.services.manifests import EvaluationManifest
from ml_platform_assets.services.reports import complete_report, review_report
from resources.object_store import ObjectStore, StoredObject

T = TypeVar("T")


@dataclass
class Decision:
    """What was decided about ``version`` and where the champion stands afterwards.

    ``decision`` is ``promoted``, ``pending_approval``, ``approved``, ``rejected_by_reviewer``,
    ``override`` or ``rolled_back``; ``move`` is the alias move behind a champion that moved
    (or already was this version), None when it did not move.
    """

    model: str
    version: int
    decision: str
    champion: ModelVersion | None
    previous: int | None
    move: AliasEvent | None
    document: StoredObject
    report: StoredObject | None = None


def promotion_reason(evaluation: EvaluationManifest) -> str:
    """The sentence recorded with an automatic promotion."""
    passed = "; ".join(g["description"] for g in evaluation["gates"])
    return f"v{evaluation['version']} passed every promotion gate: {passed}"


def required(value: str, what: str) -> str:
    """``value`` stripped; raises ``Refused`` when empty, since it goes on the audit record."""
    if not value or not value.strip():
        raise Refused(f"{what} must not be empty: it goes on the audit record")
    return value.strip()


def _report_readable(store: ObjectStore, model: str, version: int) -> None:
    """Reads the version's evaluation report before a decision moves anything, so a missing
    report or an unreachable store stops the decision while nothing has changed.

    Raises:
        Refused: the report is missing; the store's own error when it cannot be read.
    """
    key = layout.report_key(model, version, "evaluation.json")
    if not store.exists(key):
        raise Refused(
            f"{model} v{version} has no evaluation report at {store.uri(key)}, which the "
            "decision completes; nothing was changed: evaluate the version again first"
        )
    store.get_json(key)


def _after_move(done: str, repair: str, step: Callable[[], T]) -> T:
    """``step`` after a stored decision; when it fails, a sentence that says what is stored
    and how to finish, instead of an error that reads as if nothing happened.

    Raises:
        Refused: ``step`` failed.
    """
    try:
        return step()
    except Exception as error:  # noqa: BLE001 - any failure here follows a stored decision
        raise Refused(
            f"{done} (stored with its audit-ledger record), but completing the reports "
            f"failed: {type(error).__name__}: {error}; {repair}"
        ) from error


def _decided(
    store: ObjectStore,
    registry: ModelRegistry,
    model: str,
    version: int,
    decision: str,
    previous: int | None,
    move: AliasEvent | None = None,
    report: StoredObject | None = None,
) -> Decision:
    """The decision on record, with the documents of the versions it concerns drawn again."""
    if move is not None and move.from_version != version:
        refresh_documents(store, registry, model, move.from_version)
    document = publish_model_document(store, registry, model, version)
    return Decision(
        model, version, decision, registry.champion(model), previous, move, document, report
    )


def decide_deployment(
    store: ObjectStore,
    registry: ModelRegistry,
    spec: ModelSpec,
    evaluation: EvaluationManifest,
    run: str,
) -> Decision:
    """A judged challenger's deployment: promoted when every gate passed, or left waiting for
    a reviewer when the spec asks for one. ``run`` names the Dagster run deciding.

    Raises:
        Refused: a gate failed (only reached by deciding without the gates' checks).
    """
    version, current = evaluation["version"], registry.champion(spec.name)
    previous = current.version if current else None
    if not evaluation["passed"]:
        gates = [GateResult(**g) for g in evaluation["gates"]]
        raise Refused(
            f"{spec.name} v{version} cannot be deployed: {failed_summary(gates)}; "
            f"champion stays {f'v{previous}' if previous else 'unset'}"
        )
    actor = f"dagster run {run}"
    if spec.decision.requires_approval and previous != version:
        registry.request_approval(spec.name, version, actor=actor)
        status = registry.get_version(spec.name, version).status
        report = None
        if status == Status.PENDING_APPROVAL:
            awaited = Review(reviewer=None, note=None, decided_at=None)
            report = review_report(store, registry, spec.name, version, awaited, actor)
        return _decided(store, registry, spec.name, version, status, previous, report=report)
    # Promoting the champion again moves nothing and returns the move that made it so.
    move = registry.promote(spec.name, version, reason=promotion_reason(evaluation), actor=actor)
    report = complete_report(store, registry, spec.name, move, run)
    return _decided(store, registry, spec.name, version, "promoted", previous, move, report)


def approve(
    store: ObjectStore, registry: ModelRegistry, model: str, version: int, reviewer: str, note: str
) -> Decision:
    """A reviewer approves a version waiting for approval, which becomes champion.

    Raises:
        registry.RegistryError: the version does not wait for approval, the reviewer trained
            it, or it was judged against another champion than today's.
    """
    reviewer, note = required(reviewer, "--reviewer"), required(note, "--note")
    previous = _champion_version(registry, model)
    _report_readable(store, model, version)
    move = registry.decide_approval(model, version, approve=True, reviewer=reviewer, note=note)

    def finish() -> Decision:
        report = complete_report(store, registry, model, move, f"approval by {reviewer}")
        return _decided(store, registry, model, version, "approved", previous, move, report)

    return _after_move(
        f"{model} v{version} is approved and champion", _repair(model, version), finish
    )


def reject(
    store: ObjectStore, registry: ModelRegistry, model: str, version: int, reviewer: str, note: str
) -> Decision:
    """A reviewer rejects a version waiting for approval; the champion stays.

    Raises:
        registry.RegistryError: the version does not wait for approval, or the reviewer
            trained it.
    """
    reviewer, note = required(reviewer, "--reviewer"), required(note, "--note")
    previous = _champion_version(registry, model)
    _report_readable(store, model, version)
    registry.decide_approval(model, version, approve=False, reviewer=reviewer, note=note)
    decided = registry.approvals(model, version)[-1]["created_at"]
    review = Review(reviewer=reviewer, note=note, decided_at=decided.isoformat())

    def finish() -> Decision:
        report = review_report(store, registry, model, version, review, reviewer)
        return _decided(
            store, registry, model, version, "rejected_by_reviewer", previous, report=report
        )

    return _after_move(
        f"{model} v{version} is rejected",
        f"`ml-platform report {model} {version}` shows the decision from the registry",
        finish,
    )


def promote_by_hand(
    store: ObjectStore,
    registry: ModelRegistry,
    model: str,
    version: int,
    approver: str,
    reason: str,
    override: bool = False,
) -> Decision:
    """A person promotes a version; one that failed a gate needs ``override``, recorded with
    the approver, the reason and the failed gates.

    Raises:
        registry.RegistryError: a gate failed without ``override``, the approver trained the
            version, or the version waits for a reviewer.
    """
    approver, reason = required(approver, "--approver"), required(reason, "--reason")
    previous = _champion_version(registry, model)
    _report_readable(store, model, version)
    move = registry.promote(
        model,
        version,
        reason=f"override: {reason}" if override else reason,
        actor=approver,
        override=AllowedOverride(approver, reason) if override else None,
    )
    overridden = None
    kind = "override by" if override else "promoted by"
    if override:
        gates = registry.latest_evaluation(model, version)["gates"]
        failed = [g["description"] for g in gates if not g["passed"]]
        overridden = Override(approver=approver, reason=reason, failed_gates=failed)
    decision = "override" if override else "promoted"

    def finish() -> Decision:
        by = f"{kind} {move.actor}"  # for the champion already, who made it so
        report = complete_report(store, registry, model, move, by, overridden)
        return _decided(store, registry, model, version, decision, previous, move, report)

    return _after_move(f"{model} v{version} is champion", _repair(model, version), finish)


def roll_back(
    store: ObjectStore,
    registry: ModelRegistry,
    model: str,
    approver: str,
    reason: str,
    actor: str,
    to_version: int | None = None,
) -> Decision:
    """The champion goes back to an earlier champion (default: the one before), approved by
    ``approver`` and done by ``actor``.

    Raises:
        registry.RegistryError: no earlier champion, or ``to_version`` never was one.
    """
    reason, approver = required(reason, "--reason"), required(approver, "--approver")
    previous = _champion_version(registry, model)
    move = registry.rollback(
        model, reason=reason, actor=actor, to_version=to_version, approver=approver
    )
    return _after_move(
        f"{model}'s champion is back to v{move.to_version}",
        f"`ml-platform report {model} {move.to_version}` draws its model document again",
        lambda: _decided(store, registry, model, move.to_version, "rolled_back", previous, move),
    )


def _repair(model: str, version: int) -> str:
    return (
        f"`ml-platform promote {model} {version}` with any approver and reason completes them "
        "again and moves nothing, as v{version} is champion"
    ).replace("{version}", str(version))


def _champion_version(registry: ModelRegistry, model: str) -> int | None:
    champion = registry.champion(model)
    return champion.version if champion else None


def promoted_in_run(registry: ModelRegistry, model: str, version: int, run_id: str) -> bool:
    """Whether run ``run_id`` made ``version`` the champion.

    Both must hold: ``version`` is the champion now, and the alias move that made it so was
    recorded by that run (``deployed_model`` records its run as the move's actor). A version
    that was already champion, or that someone else promoted meanwhile, was not promoted by
    the run; neither was one that a later move replaced.
    """
    champion = registry.champion(model)
    if champion is None or champion.version != version:
        return False
    history = registry.alias_history(model)
    last = history[-1] if history else None
    return (
        last is not None
        and last.action == "promote"
        and last.to_version == version
        and run_id in last.actor
    )
