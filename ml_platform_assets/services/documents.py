"""The model document of a version, gathered from the registry, the store and the audit ledger.

The ``ml-platform report`` command, the evaluation and every decision about a version call
these; the page itself is drawn from the gathered plain data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from typing import Any

from ml_platform_assets.core import layout
from ml_platform_assets.pages.document_data import ModelDocument
from ml_platform_assets.pages.model_document import render_model_document
from ml_platform_assets.registry import ModelRegistry
from resources.object_store import ObjectNotFound, ObjectStore, StoredObject

DOCUMENT_NAME = "model_document.html"


def _iso(value: Any) -> Any:
    """Dates and times as ISO-8601 text, recursively; the renderer takes plain data."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_iso(v) for v in value]
    return value


def read_evaluation_record(store: ObjectStore, model: str, version: int) -> tuple[dict | None, str]:
    """The version's evaluation record (``reports/v<N>/evaluation.json``) and the sha256 of
    its bytes; (None, "") when the store has none."""
    try:
        data = store.get_bytes(layout.report_key(model, version, "evaluation.json"))
    except ObjectNotFound:
        return None, ""
    return json.loads(data), hashlib.sha256(data).hexdigest()


def gather_model_document(
    store: ObjectStore, registry: ModelRegistry, model: str, version: int
) -> ModelDocument:
    """Everything the document shows about ``model`` ``version``, as plain data.

    Raises:
        registry.VersionNotFoundError: the version was never registered.
    """
    registered = registry.get_version(model, version)
    evaluation, sha256 = read_evaluation_record(store, model, version)
    champion = registry.champion(model)
    return ModelDocument(
        version=_iso(dataclasses.asdict(registered)),
        spec=registered.spec or {},
        evaluation=evaluation,
        ledger=[record.as_dict() for record in registry.audit_history(model)],
        approvals=_iso(registry.approvals(model, version)),
        champion_history=[_iso(dataclasses.asdict(e)) for e in registry.alias_history(model)],
        current_champion=champion.version if champion else None,
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        recorded_evaluation=_iso(registry.latest_evaluation(model, version)),
        evaluation_sha256=sha256 or None,
    )


def model_document(store: ObjectStore, registry: ModelRegistry, model: str, version: int) -> str:
    """The version's model document as one self-contained HTML page."""
    return render_model_document(gather_model_document(store, registry, model, version))


def publish_model_document(
    store: ObjectStore, registry: ModelRegistry, model: str, version: int
) -> StoredObject:
    """Writes the version's document to ``<model>/reports/v<N>/model_document.html`` (a reader
    never sees half of it) and returns the stored object with its URI and sha256."""
    key = layout.report_key(model, version, DOCUMENT_NAME)
    return store.put_bytes(key, model_document(store, registry, model, version).encode("utf-8"))


def refresh_documents(
    store: ObjectStore, registry: ModelRegistry, model: str, *versions: int | None
) -> None:
    """Rewrites the documents of ``versions`` (None skipped): their decisions or the champion
    history they show just changed."""
    for version in sorted({v for v in versions if v}):
        publish_model_document(store, registry, model, version)
