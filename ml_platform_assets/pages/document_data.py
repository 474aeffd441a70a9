"""The model document's input: the plain data ``services.documents`` gathers for one version,
and the blocks a section is made of."""

from __future__ import annotations

from typing import TypedDict

from ml_platform_assets.pages.charts import LineChart
from ml_platform_assets.pages.kit import Heading, Para, Table

Block = Para | Heading | Table | LineChart  # what a section is made of, drawn by macros.block


class ModelDocument(TypedDict):
    """Input of ``render_model_document``; times are ISO-8601 strings."""

    version: dict  # registry ModelVersion fields (model, version, artifact_uri, model_sha256,
    #   training_set_fingerprint, code_version, git_commit, created_at, status, params, windows,
    #   metrics, features, spec, trained_by)
    spec: dict  # the spec as stored with the version (ModelSpec.model_dump(mode="json"))
    evaluation: dict | None  # the evaluation record (core.evaluation_record.Evaluation), or None
    ledger: list[dict]  # the model's audit ledger, oldest first (LedgerRecord.as_dict())
    approvals: list[dict]  # reviewers' decisions on this version: decision, reviewer, note, ...
    champion_history: list[dict]  # every move of the model's champion (AliasEvent fields)
    current_champion: int | None  # the champion's version now, None without one
    generated_at: str
    # The registry's row of the newest evaluation (report_uri, report_sha256, metrics, gates,
    # passed, created_at), None when never evaluated; and the SHA-256 of the evaluation record's
    # bytes as read from the store (None when it is missing), to show whether they are the ones
    # on record.
    recorded_evaluation: dict | None
    evaluation_sha256: str | None
