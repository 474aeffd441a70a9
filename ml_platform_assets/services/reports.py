"""The evaluation report of a version, completed with what was decided about it.

Evaluation writes the report (``reports/v<N>/evaluation.json`` and ``.html``) saying the
deployment decision is awaited; each decision rewrites both with the decision, and the
registry's record of the report follows with a ``report_completed`` ledger record.
"""

from __future__ import annotations

from collections.abc import Callable

from ml_platform_assets.core import layout
from ml_platform_assets.core.evaluation_record import (
    Deployment,
    Evaluation,
    Override,
    Review,
    evaluation_to_json,
    with_promotion,
    with_review,
)
from ml_platform_assets.pages.evaluation import render_evaluation_html
from ml_platform_assets.registry import AliasEvent, ModelRegistry
from ml_platform_assets.registry.ledger_records import Artifact
from resources.object_store import ObjectStore, StoredObject


def rewrite_report(
    store: ObjectStore,
    registry: ModelRegistry,
    model: str,
    version: int,
    change: Callable[[Evaluation], Evaluation],
    actor: str,
) -> StoredObject:
    """Rewrites the version's evaluation report (JSON and HTML) with ``change`` applied to its
    record, then points the registry's record of the report at the new JSON, with a
    ``report_completed`` ledger record carrying both documents' sha256.

    The documents are written first and the registry last, in one transaction: if that fails,
    the registry still names the earlier checksum, and doing it again writes the same
    documents. The same change again writes the same bytes and records nothing new.
    """
    json_key = layout.report_key(model, version, "evaluation.json")
    record = change(store.get_json(json_key))
    html_key = layout.report_key(model, version, "evaluation.html")
    html = store.put_bytes(html_key, render_evaluation_html(record).encode())
    stored = store.put_bytes(json_key, evaluation_to_json(record).encode())
    on_record = registry.latest_evaluation(model, version) or {}
    if on_record.get("report_sha256") != stored.sha256:
        registry.record_report(
            model,
            version,
            report_uri=stored.uri,
            report_sha256=stored.sha256,
            actor=actor,
            artifacts=[Artifact(o.key, o.uri, o.sha256) for o in (stored, html)],
        )
    return stored


def complete_report(
    store: ObjectStore,
    registry: ModelRegistry,
    model: str,
    promotion: AliasEvent,
    recorded_by: str,
    override: Override | None = None,
) -> StoredObject:
    """The report of the version ``promotion`` made champion, completed with that move (and
    the override that allowed it, when a gate failed); ``recorded_by`` names who completed it
    (a Dagster run, or a person's decision). See ``rewrite_report``."""
    deployment = Deployment(
        champion_since=promotion.created_at.isoformat(timespec="seconds"),
        promoted_by=promotion.actor,
        previous_champion_version=promotion.from_version,
        reason=promotion.reason,
        recorded_by_run=recorded_by,
    )
    if override is not None:
        deployment["override"] = override
    return rewrite_report(
        store,
        registry,
        model,
        promotion.to_version,
        lambda record: with_promotion(record, deployment),
        promotion.actor,
    )


def review_report(
    store: ObjectStore,
    registry: ModelRegistry,
    model: str,
    version: int,
    review: Review,
    actor: str,
) -> StoredObject:
    """The report saying the version awaits a reviewer, or that a reviewer rejected it."""
    return rewrite_report(
        store, registry, model, version, lambda record: with_review(record, review), actor
    )
