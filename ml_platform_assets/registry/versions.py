"""Registering trained versions and finding them again: by number, by model, by their inputs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ml_platform_assets.registry import ledger
from ml_platform_assets.registry.base import RegistryBase
from ml_platform_assets.registry.ledger_records import Artifact, LedgerEvent
from ml_platform_assets.registry.records import (
    ModelVersion,
    Status,
    dumps,
    fetch_version,
    loads,
    to_version,
)
from resources.schema import model_versions, utcnow

logger = logging.getLogger(__name__)


class RegistryVersions(RegistryBase):
    """The registry's versions: registered with their provenance, then read back."""

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

        Raises:
            ValueError: Neither or both of ``artifact_uri`` and ``publish`` were given.
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
        """Returns one version.

        Raises:
            VersionNotFoundError: The version was never registered.
        """
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
        several (runs that trained the same inputs at the same time), the champion, else the
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
