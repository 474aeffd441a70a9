"""The model registry: trained versions, their evaluations, and the champion alias with history.

Plain Python over SQLAlchemy Core, usable from assets, the CLI and the model server alike. The
champion pointer, its history row and the versions' statuses always change in one transaction,
and concurrent moves of one model's alias serialize on the pointer row, so the history is a
single chain: every event starts where the previous one ended.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ml_platform_assets.registry import ledger
from ml_platform_assets.registry.aliases import move_alias, roll_back_alias
from ml_platform_assets.registry.ledger import Artifact, LedgerEvent, LedgerRecord
from ml_platform_assets.registry.records import (
    CHAMPION,
    AliasEvent,
    ModelVersion,
    RegistryError,
    Status,
    dumps,
    fetch_version,
    loads,
    to_event,
    to_version,
)
from resources.database import transaction
from resources.schema import (
    alias_events,
    approvals,
    evaluations,
    model_aliases,
    model_versions,
    utcnow,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
_ATTEMPTS = 8
_MYSQL_RETRYABLE = {1205, 1213}  # lock wait timeout, deadlock: both roll the transaction back


@dataclass(frozen=True)
class Override:
    """Who allowed a version that failed a gate into service, and why."""

    approver: str
    reason: str


def _same_person(a: str | None, b: str | None) -> bool:
    return bool(a and b) and a.strip().casefold() == b.strip().casefold()


def _alias_record(
    conn: Connection, event: AliasEvent, event_type: str, **extra: object
) -> LedgerRecord:
    """The ledger record of an alias move, naming its ``alias_events`` row."""
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


def _retryable(exc: sa.exc.DBAPIError) -> bool:
    if isinstance(exc, sa.exc.IntegrityError):
        return True  # a concurrent writer took the same version number or alias row first
    code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
    return isinstance(exc, sa.exc.OperationalError) and code in _MYSQL_RETRYABLE


class ModelRegistry:
    """Model versions, evaluations and the champion alias on one database engine."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Runs ``work`` in a write transaction, retried when a concurrent writer won a race."""
        attempt = 1
        while True:
            try:
                with transaction(self.engine, write=True) as conn:
                    return work(conn)
            except sa.exc.DBAPIError as exc:
                if attempt == _ATTEMPTS or not _retryable(exc):
                    raise
                logger.debug("Registry write conflicted (attempt %d): %s", attempt, exc.orig)
                time.sleep(random.uniform(0, 0.02 * attempt))
                attempt += 1

    def register_version(
        self,
        model: str,
        *,
        artifact_uri: str | None = None,
        publish: Callable[[int], str | tuple[str, Sequence[Artifact]]] | None = None,
        artifacts: Sequence[Artifact] = (),
        trained_by: str | None = None,
        model_sha256: str,
        training_set_fingerprint: str,
        code_version: str,
        git_commit: str | None,
        params: dict,
        windows: dict,
        features: list,
        spec: dict,
    ) -> ModelVersion:
        """Registers a trained model as the model's next version (1, 2, ...) and returns it.

        Give either the ``artifact_uri`` of an artifact already stored, or ``publish``: it is
        called with the new version number inside the registering transaction, writes the
        artifacts and returns the model's URI, or that URI and every artifact it wrote. If it
        raises, nothing is registered, so a version never points at an artifact that was not
        written. ``trained_by`` is the actor who trained it; a ``registered`` ledger record
        names it and the artifacts' SHA-256 in the same transaction.
        """
        if (artifact_uri is None) == (publish is None):
            raise ValueError("register_version needs exactly one of artifact_uri and publish")
        values = dict(
            model=model,
            artifact_uri=artifact_uri or "",
            model_sha256=model_sha256,
            training_set_fingerprint=training_set_fingerprint,
            code_version=code_version,
            git_commit=git_commit,
            status=Status.TRAINED,
            params_json=dumps(params),
            windows_json=dumps(windows),
            feature_list_json=dumps(features),
            spec_json=dumps(spec),
            trained_by=trained_by,
        )

        def insert(conn: Connection) -> ModelVersion:
            latest = sa.select(sa.func.max(model_versions.c.version)).where(
                model_versions.c.model == model
            )
            version = (conn.execute(latest).scalar() or 0) + 1
            conn.execute(
                model_versions.insert().values(version=version, created_at=utcnow(), **values)
            )
            stored = list(artifacts)
            if publish is not None:
                # The inserted row holds the version against concurrent writers while uploading.
                mine = (model_versions.c.model == model) & (model_versions.c.version == version)
                published = publish(version)
                uri, written = published if isinstance(published, tuple) else (published, ())
                stored += written
                conn.execute(model_versions.update().where(mine).values(artifact_uri=uri))
            registered = fetch_version(conn, model, version)
            row_id = conn.execute(
                sa.select(model_versions.c.id).where(
                    model_versions.c.model == model, model_versions.c.version == version
                )
            ).scalar_one()
            ledger.append(
                conn,
                model=model,
                version=version,
                event_type=LedgerEvent.REGISTERED,
                actor=trained_by or "unknown",
                payload={
                    "registry_row": {"table": "model_versions", "id": row_id},
                    "row": {
                        "version": version,
                        "model_sha256": model_sha256,
                        "artifact_uri": registered.artifact_uri,
                        "training_set_fingerprint": training_set_fingerprint,
                        "code_version": code_version,
                        "git_commit": git_commit,
                        "trained_by": trained_by,
                        "params": params,
                        "windows": windows,
                        "features": features,
                        "spec": spec,
                    },
                },
                artifacts=stored,
            )
            return registered

        registered = self._write(insert)
        logger.info("Registered %s v%d (%s)", model, registered.version, registered.artifact_uri)
        return registered

    def get_version(self, model: str, version: int) -> ModelVersion:
        """Returns one version; raises ``VersionNotFoundError`` when it does not exist."""
        with self.engine.connect() as conn:
            return fetch_version(conn, model, version)

    def list_versions(self, model: str) -> list[ModelVersion]:
        """Returns every version of ``model``, oldest first."""
        query = (
            sa.select(model_versions)
            .where(model_versions.c.model == model)
            .order_by(model_versions.c.version)
        )
        with self.engine.connect() as conn:
            return [to_version(row) for row in conn.execute(query)]

    def find_identical(
        self,
        model: str,
        *,
        training_set_fingerprint: str,
        code_version: str,
        params: dict,
        spec: dict,
        spec_key: Callable[[dict], dict] = lambda spec: spec,
    ) -> ModelVersion | None:
        """Returns the version that training with these inputs would duplicate, or None.

        A version is identical when its training-set fingerprint, code version, parameters and
        spec all equal these (compared as the JSON they are stored as; specs through
        ``spec_key``, which may leave out what cannot change the model or its judgement). Among
        several (versions registered before reruns were recognised), the champion, else the
        newest.
        """
        query = (
            sa.select(model_versions)
            .where(
                model_versions.c.model == model,
                model_versions.c.training_set_fingerprint == training_set_fingerprint,
                model_versions.c.code_version == code_version,
            )
            .order_by(model_versions.c.version.desc())
        )
        wanted = (loads(dumps(params)), spec_key(loads(dumps(spec))))
        with self.engine.connect() as conn:
            same = [
                v
                for v in map(to_version, conn.execute(query))
                if (v.params, spec_key(v.spec or {})) == wanted
            ]
        champion = [v for v in same if v.status == Status.CHAMPION]
        return (champion or same or [None])[0]

    def list_models(self) -> list[str]:
        """Returns the names of all models with at least one version."""
        query = sa.select(model_versions.c.model).distinct().order_by(model_versions.c.model)
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def record_evaluation(
        self,
        model: str,
        version: int,
        *,
        metrics: dict,
        gates: list | dict,
        passed: bool,
        report_uri: str,
        report_sha256: str,
        champion_version: int | None,
        actor: str = "ml-platform",
        artifacts: Sequence[Artifact] = (),
        summary: dict | None = None,
    ) -> LedgerRecord:
        """Appends an evaluation and marks the version evaluated (passed) or rejected.

        The champion keeps its status: only a move of the alias changes who is champion. The
        ``evaluated`` ledger record (returned) carries the metrics, gates, ``summary`` (other
        findings a reviewer reads: benchmark, fairness, reason codes) and the reports'
        SHA-256 (``artifacts``), written in the same transaction.
        """

        def record(conn: Connection) -> LedgerRecord:
            current = fetch_version(conn, model, version, lock=True)
            inserted = conn.execute(
                evaluations.insert().values(
                    model=model,
                    version=version,
                    created_at=utcnow(),
                    metrics_json=dumps(metrics),
                    gates_json=dumps(gates),
                    passed=passed,
                    report_uri=report_uri,
                    report_sha256=report_sha256,
                    champion_version=champion_version,
                )
            )
            status = Status.EVALUATED if passed else Status.REJECTED
            if current.status == Status.CHAMPION:
                status = Status.CHAMPION
            conn.execute(
                model_versions.update()
                .where(model_versions.c.model == model, model_versions.c.version == version)
                .values(status=status, metrics_json=dumps(metrics))
            )
            return ledger.append(
                conn,
                model=model,
                version=version,
                event_type=LedgerEvent.EVALUATED,
                actor=actor,
                payload={
                    "registry_row": {
                        "table": "evaluations",
                        "id": inserted.inserted_primary_key[0],
                    },
                    "row": {
                        "version": version,
                        "passed": passed,
                        "gates": gates,
                        "metrics": metrics,
                    },
                    "decision": "pending" if passed else "rejected",
                    "champion_version": champion_version,
                    "report_uri": report_uri,
                    "report_sha256": report_sha256,
                    **({"summary": summary} if summary else {}),
                },
                artifacts=artifacts,
            )

        return self._write(record)

    def record_report(
        self,
        model: str,
        version: int,
        *,
        report_uri: str,
        report_sha256: str,
        actor: str = "ml-platform",
        artifacts: Sequence[Artifact] = (),
    ) -> LedgerRecord:
        """Points a version's newest evaluation at its report as rewritten after the decision.

        The report's first form said the decision was still to come; the completed one
        replaces it in the store, so the checksum on record must follow it.
        """

        def record(conn: Connection) -> None:
            # Two statements: MySQL refuses an UPDATE whose subquery reads the same table.
            newest = conn.execute(
                sa.select(sa.func.max(evaluations.c.id)).where(
                    evaluations.c.model == model, evaluations.c.version == version
                )
            ).scalar()
            if newest is None:
                raise RegistryError(f"Model '{model}' v{version} has no evaluation on record.")
            conn.execute(
                evaluations.update()
                .where(evaluations.c.id == newest)
                .values(report_uri=report_uri, report_sha256=report_sha256)
            )
            return ledger.append(
                conn,
                model=model,
                version=version,
                event_type=LedgerEvent.REPORT_COMPLETED,
                actor=actor,
                payload={
                    "registry_row": {"table": "evaluations", "id": newest},
                    "row": {"version": version},
                    "report_uri": report_uri,
                    "report_sha256": report_sha256,
                },
                artifacts=artifacts,
            )

        return self._write(record)

    def latest_evaluation(self, model: str, version: int) -> dict | None:
        """Returns the newest evaluation of a version as a dict, or None if never evaluated."""
        query = (
            sa.select(evaluations)
            .where(evaluations.c.model == model, evaluations.c.version == version)
            .order_by(evaluations.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        record = dict(row._mapping)
        for column in ("metrics", "gates"):
            record[column] = loads(record.pop(f"{column}_json"))
        record["passed"] = bool(record["passed"])
        return record

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
        through ``decide_approval``. Promoting the current champion again records nothing and
        returns the event that made it champion, so a retried deployment is harmless. Raises
        ``RegistryError`` naming the model and version otherwise.
        """

        def move(conn: Connection) -> AliasEvent:
            current = fetch_version(conn, model, version, lock=True)
            evaluation = _newest_evaluation(conn, model, version)
            if current.status != Status.CHAMPION:
                _check_promotable(model, current, evaluation, override)
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
        """Marks a version that passed every gate as waiting for a reviewer
        (``pending_approval``). Returns False, recording nothing, when it already waits or was
        decided; raises ``RegistryError`` when it did not pass its gates."""

        def request(conn: Connection) -> bool:
            current = fetch_version(conn, model, version, lock=True)
            if current.status != Status.EVALUATED:
                return False
            evaluation = _newest_evaluation(conn, model, version)
            _check_promotable(model, current, evaluation, None, approving=True)
            _set_status(conn, model, version, Status.PENDING_APPROVAL)
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

        An approval promotes the version in the same transaction (returns the move); a
        rejection marks it rejected (returns None). Raises ``RegistryError`` when the version
        is not waiting for approval, or the reviewer is the actor who trained it.
        """
        if not reviewer.strip() or not note.strip():
            raise RegistryError("An approval or rejection needs a reviewer's name and a note.")

        def decide(conn: Connection) -> AliasEvent | None:
            current = fetch_version(conn, model, version, lock=True)
            if current.status != Status.PENDING_APPROVAL:
                raise RegistryError(
                    f"Model '{model}' v{version} is {current.status}, not waiting for approval."
                )
            if _same_person(reviewer, current.trained_by):
                raise RegistryError(
                    f"Model '{model}' v{version} was trained by {current.trained_by}, who may "
                    "not review it: another reviewer must decide."
                )
            if approve:
                _check_judged_against_champion(conn, model, version)
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
                _set_status(conn, model, version, Status.REJECTED)
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
        """Moves the champion back to ``to_version`` (an earlier champion), or the one before
        it; a ``rolled_back`` ledger record names the approver. Raises ``RegistryError`` if
        there is none to go back to."""

        def move(conn: Connection) -> AliasEvent:
            event = roll_back_alias(
                conn, model, CHAMPION, reason=reason, actor=actor, to_version=to_version
            )
            _alias_record(conn, event, LedgerEvent.ROLLED_BACK, approver=approver or actor)
            return event

        return self._write(move)

    def record_redelivery(
        self, model: str, *, actor: str, delivery: dict, artifacts: Sequence[Artifact]
    ) -> LedgerRecord:
        """Appends a ``redelivered`` ledger record: a lender's corrected file replaced a
        delivered day. ``delivery`` is the day's delivery record (kind, day, sha256, source,
        what it replaces and why); ``artifacts`` the new file, the kept copy and the record."""
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
        """Reviewers' decisions on ``model`` (one version's when given), oldest first."""
        query = sa.select(approvals).where(approvals.c.model == model)
        if version is not None:
            query = query.where(approvals.c.version == version)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(approvals.c.id))]

    def audit_history(
        self, model: str, *, since=None, version: int | None = None
    ) -> list[LedgerRecord]:
        """``model``'s audit ledger, oldest first (see ``registry.ledger.history``)."""
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


def _newest_evaluation(conn: Connection, model: str, version: int):
    query = (
        sa.select(evaluations)
        .where(evaluations.c.model == model, evaluations.c.version == version)
        .order_by(evaluations.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).first()


def _check_promotable(
    model: str,
    current: ModelVersion,
    evaluation,
    override: Override | None,
    *,
    approving: bool = False,
) -> None:
    """Refuses a promotion the record does not allow, naming the model, version and why;
    ``approving``: the promotion will follow a reviewer's approval."""
    if evaluation is None:
        raise RegistryError(f"Model '{model}' v{current.version} was never evaluated.")
    if override is not None:
        if not override.approver.strip() or not override.reason.strip():
            raise RegistryError("An override needs an approver and a reason.")
        if evaluation.passed:
            raise RegistryError(
                f"Model '{model}' v{current.version} passed every gate: it needs no override."
            )
        if _same_person(override.approver, current.trained_by):
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


def _set_status(conn: Connection, model: str, version: int, status: str) -> None:
    conn.execute(
        model_versions.update()
        .where(model_versions.c.model == model, model_versions.c.version == version)
        .values(status=status)
    )


def _check_judged_against_champion(conn: Connection, model: str, version: int) -> None:
    """An approval promotes what the gates judged: a version whose evaluation compared it with
    an earlier champion (or none) is judged again before anyone approves it."""
    judged = _newest_evaluation(conn, model, version).champion_version
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
