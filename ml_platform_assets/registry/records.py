"""What the registry stores, as Python values: versions, alias events, statuses and errors."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from resources.schema import model_versions

CHAMPION = "champion"


class Status:
    """Lifecycle states of a model version (free text in the database; these are used)."""

    TRAINED = "trained"
    EVALUATED = "evaluated"
    PENDING_APPROVAL = "pending_approval"  # passed every gate; a reviewer must approve it
    REJECTED = "rejected"
    CHAMPION = "champion"
    RETIRED = "retired"
    ROLLED_BACK = "rolled_back"


class RegistryError(Exception):
    """A registry request that cannot be honoured; the message says which model and why."""


class VersionNotFoundError(RegistryError, KeyError):
    """The requested model version was never registered."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class ModelVersion:
    """One trained version with its provenance; JSON columns decoded."""

    model: str
    version: int
    artifact_uri: str
    model_sha256: str
    training_set_fingerprint: str
    code_version: str
    git_commit: str | None
    created_at: dt.datetime
    status: str
    params: dict
    windows: dict
    metrics: dict | None
    features: list
    spec: dict
    trained_by: str | None  # None when it was registered without naming who trained it


@dataclass(frozen=True)
class AliasEvent:
    """One move of an alias; ``action`` is 'promote' or 'rollback'."""

    id: int
    model: str
    alias: str
    from_version: int | None
    to_version: int
    reason: str
    actor: str
    created_at: dt.datetime
    action: str = "promote"


def dumps(value: Any) -> str:
    """Returns JSON for a database column; NumPy scalars become numbers, dates ISO strings."""
    return json.dumps(value, sort_keys=True, default=_json_default)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def loads(text: str | None) -> Any:
    """Returns a JSON column decoded; NULL stays None."""
    return None if text is None else json.loads(text)


def to_version(row: Any) -> ModelVersion:
    """Returns a ``model_versions`` row as a ``ModelVersion``, its JSON columns decoded."""
    return ModelVersion(
        model=row.model,
        version=row.version,
        artifact_uri=row.artifact_uri,
        model_sha256=row.model_sha256,
        training_set_fingerprint=row.training_set_fingerprint,
        code_version=row.code_version,
        git_commit=row.git_commit,
        created_at=row.created_at,
        status=row.status,
        params=loads(row.params_json),
        windows=loads(row.windows_json),
        metrics=loads(row.metrics_json),
        features=loads(row.feature_list_json),
        spec=loads(row.spec_json),
        trained_by=row.trained_by,
    )


def to_event(row: Any) -> AliasEvent:
    """Returns an ``alias_events`` row as an ``AliasEvent``."""
    return AliasEvent(
        id=row.id,
        model=row.model,
        alias=row.alias,
        from_version=row.from_version,
        to_version=row.to_version,
        reason=row.reason,
        actor=row.actor,
        created_at=row.created_at,
        action=row.action,
    )


def fetch_version(conn: Connection, model: str, version: int, lock: bool = False) -> ModelVersion:
    """Returns one version, locking its row for the transaction when ``lock`` (MySQL).

    Raises:
        VersionNotFoundError: The version was never registered.
    """
    query = sa.select(model_versions).where(
        model_versions.c.model == model, model_versions.c.version == version
    )
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise VersionNotFoundError(f"Model '{model}' has no version {version}.")
    return to_version(row)


def set_status(conn: Connection, model: str, version: int, status: str) -> None:
    """Sets one version's lifecycle status inside the caller's transaction."""
    conn.execute(
        model_versions.update()
        .where(model_versions.c.model == model, model_versions.c.version == version)
        .values(status=status)
    )
