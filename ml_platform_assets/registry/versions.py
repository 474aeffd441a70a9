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
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ml_platform_assets.registry.aliases import move_alias, roll_back_alias
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
from resources.schema import alias_events, evaluations, model_aliases, model_versions, utcnow

logger = logging.getLogger(__name__)

T = TypeVar("T")
_ATTEMPTS = 8
_MYSQL_RETRYABLE = {1205, 1213}  # lock wait timeout, deadlock: both roll the transaction back


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
        publish: Callable[[int], str] | None = None,
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
        artifacts and returns their URI. If it raises, nothing is registered, so a version
        never points at an artifact that was not written.
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
        )

        def insert(conn: Connection) -> ModelVersion:
            latest = sa.select(sa.func.max(model_versions.c.version)).where(
                model_versions.c.model == model
            )
            version = (conn.execute(latest).scalar() or 0) + 1
            conn.execute(
                model_versions.insert().values(version=version, created_at=utcnow(), **values)
            )
            if publish is not None:
                # The inserted row holds the version against concurrent writers while uploading.
                mine = (model_versions.c.model == model) & (model_versions.c.version == version)
                uri = publish(version)
                conn.execute(model_versions.update().where(mine).values(artifact_uri=uri))
            return fetch_version(conn, model, version)

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
    ) -> None:
        """Appends an evaluation and marks the version evaluated (passed) or rejected.

        The champion keeps its status: only a move of the alias changes who is champion.
        """

        def record(conn: Connection) -> None:
            current = fetch_version(conn, model, version, lock=True)
            conn.execute(
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

        self._write(record)

    def record_report(
        self, model: str, version: int, *, report_uri: str, report_sha256: str
    ) -> None:
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

        self._write(record)

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

    def promote(self, model: str, version: int, *, reason: str, actor: str) -> AliasEvent:
        """Makes ``version`` the champion; the previous champion is retired, kept for rollback.

        Promoting the current champion again records nothing and returns the event that made
        it champion, so a retried deployment is harmless.
        """
        return self._write(
            lambda conn: move_alias(conn, model, CHAMPION, version, reason=reason, actor=actor)
        )

    def rollback(self, model: str, *, reason: str, actor: str) -> AliasEvent:
        """Moves the champion back to the one before it; raises ``RegistryError`` if none."""
        return self._write(
            lambda conn: roll_back_alias(conn, model, CHAMPION, reason=reason, actor=actor)
        )

    def alias_history(self, model: str, alias: str = CHAMPION) -> list[AliasEvent]:
        """Returns every move of ``alias`` for ``model``, oldest first."""
        query = (
            sa.select(alias_events)
            .where(alias_events.c.model == model, alias_events.c.alias == alias)
            .order_by(alias_events.c.id)
        )
        with self.engine.connect() as conn:
            return [to_event(row) for row in conn.execute(query)]
