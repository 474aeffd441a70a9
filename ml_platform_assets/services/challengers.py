"""Registering a challenger: a LightGBM version trained on a training set, stored as LightGBM
text with its sha256 and registered with its provenance, unless the registry already holds an
identical version.

Identical means the same training-set fingerprint, code versions of every stage, LightGBM
parameters and spec. Such a version is handed on to be judged again when it was never decided
(its run stopped before the deployment decision), or when it waits for a reviewer but was
judged against an earlier champion; otherwise nothing is trained.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ml_platform_assets.core import layout
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.training import (
    NothingLearnedError,
    TrainedModel,
    already_trained_message,
    code_versions,
    recorded_params,
    train_model,
    training_code_version,
    training_identity,
)
from ml_platform_assets.core.training_set import sample_rows
from ml_platform_assets.registry import ModelRegistry, ModelVersion, Status
from ml_platform_assets.registry.ledger_records import Artifact
from ml_platform_assets.services.errors import Refused
from ml_platform_assets.services.manifests import (
    MANIFEST_VERSION,
    ChallengerManifest,
    TrainingSetManifest,
)
from resources.environment import code_git_commit
from resources.object_store import ObjectStore

# Rows of the training features kept with each version as its drift reference.
DRIFT_REFERENCE_ROWS = 50_000


@dataclass
class Challenger:
    """What registering decided: a version to judge (``manifest``), or none because an
    identical version was already decided (``already_trained``)."""

    version: ModelVersion
    manifest: ChallengerManifest | None
    trained: TrainedModel | None = None  # None unless this call trained it
    already_trained: str | None = None  # the sentence saying which version and why not again
    failed_gates: list[str] = field(default_factory=list)  # the existing version's, if any

    @property
    def resumed(self) -> bool:
        """A version registered earlier and handed on to be judged, without retraining."""
        return self.manifest is not None and self.trained is None


def challenger_manifest(version: ModelVersion) -> ChallengerManifest:
    """The registered version as ``challenger_model`` hands it on."""
    return {
        "record_version": MANIFEST_VERSION,
        "model": version.model,
        "version": version.version,
        "artifact_key": layout.model_artifact_key(version.model, version.version, "model.txt"),
        "artifact_uri": version.artifact_uri,
        "model_sha256": version.model_sha256,
        "training_set_fingerprint": version.training_set_fingerprint,
        "features": version.features,
    }


def _awaits_judgement(registry: ModelRegistry, version: ModelVersion) -> bool:
    """Whether an identical version already registered is handed on to be judged again: one
    never decided, or one awaiting a reviewer whose gates compared it with an earlier
    champion (approving it would promote what the gates did not judge)."""
    if version.status in (Status.TRAINED, Status.EVALUATED):
        return True
    if version.status != Status.PENDING_APPROVAL:
        return False
    judged = (registry.latest_evaluation(version.model, version.version) or {}).get(
        "champion_version"
    )
    champion = registry.champion(version.model)
    return (champion.version if champion else None) != judged


def register_challenger(
    store: ObjectStore,
    registry: ModelRegistry,
    spec: ModelSpec,
    training_set: TrainingSetManifest,
    trainer: str,
) -> Challenger:
    """Trains and registers a version on ``training_set``, recorded as trained by ``trainer``,
    unless an identical one is registered (see the module docstring).

    Raises:
        Refused: the model learned nothing (a one-tree model would hand the gates a champion
            that learned nothing).
    """
    code_version = code_versions(
        training_set["features_code_version"],
        training_set["training_set_code_version"],
        training_code_version(spec),
    )
    spec_json = spec.model_dump(mode="json")
    existing = registry.find_identical(
        spec.name,
        training_set_fingerprint=training_set["fingerprint"],
        code_version=code_version,
        params=recorded_params(spec),
        spec=spec_json,
        spec_key=training_identity,
    )
    if existing is not None and _awaits_judgement(registry, existing):
        return Challenger(existing, challenger_manifest(existing))
    if existing is not None:
        evaluation = registry.latest_evaluation(existing.model, existing.version) or {}
        failed = [g["description"] for g in evaluation.get("gates") or [] if not g["passed"]]
        message = already_trained_message(
            existing.version, existing.training_set_fingerprint, failed
        )
        return Challenger(existing, None, already_trained=message, failed_gates=failed)
    train = store.get_table(training_set["splits"]["train"])
    valid = store.get_table(training_set["splits"]["valid"])
    try:
        trained = train_model(train, valid, spec)
    except NothingLearnedError as exc:
        raise Refused(str(exc)) from exc
    reference = sample_rows(train, DRIFT_REFERENCE_ROWS)
    card = {
        "record_version": MANIFEST_VERSION,
        "model": spec.name,
        "features": trained.features,
        "params": trained.params,
        "best_iteration": trained.best_iteration,
        "training_set_fingerprint": training_set["fingerprint"],
        "windows": training_set["windows"],
        "split_summary": training_set["summary"],
        "data_losses": training_set["losses"],
        "model_sha256": trained.sha256,
        "spec": spec_json,
    }

    def publish(version: int) -> tuple[str, list[Artifact]]:
        # Runs inside the registration transaction: a failed upload registers nothing.
        key = layout.model_artifact_key
        written = [
            store.put_bytes(key(spec.name, version, "model.txt"), trained.text.encode()),
            store.put_json(key(spec.name, version, "card.json"), {**card, "version": version}),
            store.put_table(key(spec.name, version, "reference.parquet"), reference),
        ]
        artifacts = [Artifact(o.key, o.uri, o.sha256) for o in written]
        # The data it learned from and is judged on.
        for split, sha in training_set["split_sha256"].items():
            split_key = training_set["splits"][split]
            artifacts.append(Artifact(split_key, store.uri(split_key), sha))
        return written[0].uri, artifacts

    version = registry.register_version(
        spec.name,
        publish=publish,
        trained_by=trainer,
        model_sha256=trained.sha256,
        training_set_fingerprint=training_set["fingerprint"],
        code_version=code_version,
        git_commit=code_git_commit(),
        params=trained.params,
        windows=training_set["windows"],
        features=trained.features,
        spec=spec_json,
    )
    return Challenger(version, challenger_manifest(version), trained=trained)
