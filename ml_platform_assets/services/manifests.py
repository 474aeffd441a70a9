"""What one unpartitioned asset hands the next: small JSON records, never the data itself.

The bulky artifacts (training sets, models, reports) are in the object store; a manifest says
where they are and what they contain. Each carries ``record_version``: a manifest of another
version is refused by name rather than read with guesses.
"""

from typing import Literal, NotRequired, TypedDict

MANIFEST_VERSION = 1


class TrainingSetManifest(TypedDict):
    """``training_set``: the splits of a point-in-time-correct training set."""

    record_version: int
    model: str
    fingerprint: str  # sha256 hex of the splits' content
    windows: dict[str, str]  # TrainingWindows.as_dict(): ISO dates
    splits: dict[str, str]  # split name (train, valid, oot) -> object store key
    split_sha256: dict[str, str]  # split name -> sha256 of the stored parquet
    summary: dict[str, dict]  # split name -> {"rows", "bads", "bad_rate"}
    dropped: dict[str, int]  # rows left out, by why
    # What the window's days lost at ingestion: {"quarantined": {reason: rows}, "accepted_days":
    # [ISO days over data_quality.max_quarantine_share trained on as the spec accepts],
    # "accepted_reasons": [reasons data_quality.accepted_reasons accepts that occurred]}
    losses: dict[str, dict[str, int] | list[str]]
    features_code_version: str
    training_set_code_version: str


class ChallengerManifest(TypedDict):
    """``challenger_model``: the registered version downstream assets judge."""

    record_version: int
    model: str
    version: int
    artifact_key: str
    artifact_uri: str
    model_sha256: str
    training_set_fingerprint: str
    features: list[str]


class EvaluationManifest(TypedDict):
    """``model_evaluation``: the out-of-time judgement and its gates."""

    record_version: int
    model: str
    version: int
    passed: bool
    gates: list[dict]  # core.gates.GateResult.as_dict()
    champion_version: int | None
    metrics: dict[str, float]
    champion_metrics: dict[str, float] | None  # the champion on the same rows; None without one
    windows: dict[str, str]
    report_uri: str


class DeploymentManifest(TypedDict):
    """``deployed_model``: the champion after the deployment decision."""

    record_version: int
    model: str
    champion_version: int | None
    previous_version: int | None
    artifact_uri: str | None
    model_sha256: str | None
    decision: Literal["promoted", "pending_approval", "approved", "rejected_by_reviewer"] | str
    awaiting_version: NotRequired[int]  # the version waiting for a reviewer
