"""Recording an evaluation: the challenger judged beside the champion and the benchmark on the
same out-of-time rows, the report written, the result recorded in the registry and the ledger,
and the version's model document drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from ml_platform_assets.core import layout
from ml_platform_assets.core.evaluation import Champion, evaluate
from ml_platform_assets.core.evaluation_record import Evaluation, evaluation_to_json
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.training import load_model
from ml_platform_assets.pages.evaluation import render_evaluation_html
from ml_platform_assets.registry import ModelRegistry
from ml_platform_assets.registry.ledger_records import Artifact, LedgerRecord
from ml_platform_assets.services.documents import publish_model_document
from ml_platform_assets.services.manifests import (
    MANIFEST_VERSION,
    ChallengerManifest,
    EvaluationManifest,
    TrainingSetManifest,
)
from resources.object_store import ObjectStore, StoredObject


@dataclass
class RecordedEvaluation:
    """An evaluation on record: the full record, what is handed on, where it was written."""

    record: Evaluation
    manifest: EvaluationManifest
    ledger_record: LedgerRecord
    report_uri: str  # the HTML page
    document: StoredObject  # the version's model document


def current_champion(
    registry: ModelRegistry, store: ObjectStore, spec: ModelSpec, challenger_version: int
) -> Champion | None:
    """The champion in service, loaded and checked against its recorded sha256; None without
    one or when the challenger is the champion itself."""
    current = registry.champion(spec.name)
    if current is None or current.version == challenger_version:
        return None
    key = layout.model_artifact_key(spec.name, current.version, "model.txt")
    booster = load_model(store.get_bytes(key), current.model_sha256, current.artifact_uri)
    return Champion(current.version, booster, ModelSpec.model_validate(current.spec))


def ledger_summary(evaluation: Evaluation) -> dict:
    """What the ledger's evaluation record carries beyond the metrics and gates: the champion
    and benchmark beside the challenger, the lowest adverse impact ratio per protected
    attribute, and reason-code fidelity (the full record is the report, by its sha256)."""
    champion = (evaluation["champion"] or {}).get("metrics") or {}
    attributes = evaluation["fairness"]["attributes"]
    return {
        "champion_auc": champion.get("auc"),
        "benchmark_auc": (evaluation["benchmark"].get("metrics") or {}).get("auc"),
        "min_adverse_impact_ratio": {name: b.get("min_ratio") for name, b in attributes.items()},
        "reason_code_fidelity": evaluation["reason_codes"]["fidelity"]["share"],
    }


def record_evaluation(
    store: ObjectStore,
    registry: ModelRegistry,
    spec: ModelSpec,
    training_set: TrainingSetManifest,
    challenger: ChallengerManifest,
    actor: str,
) -> RecordedEvaluation:
    """Judges ``challenger`` on ``training_set``'s out-of-time rows beside the champion,
    writes ``reports/v<N>/evaluation.{json,html}``, records the result (``actor`` on the
    ledger) and publishes the version's model document."""
    version = challenger["version"]
    booster = load_model(
        store.get_bytes(challenger["artifact_key"]),
        challenger["model_sha256"],
        challenger["artifact_uri"],
    )
    record = evaluate(
        spec,
        booster,
        store.get_table(training_set["splits"]["train"]),
        store.get_table(training_set["splits"]["oot"]),
        current_champion(registry, store, spec, version),
        provenance={
            "model": spec.name,
            "version": version,
            "windows": training_set["windows"],
            "training_set_fingerprint": training_set["fingerprint"],
            "model_sha256": challenger["model_sha256"],
        },
    )
    page = store.put_bytes(
        layout.report_key(spec.name, version, "evaluation.html"),
        render_evaluation_html(record).encode(),
    )
    report = store.put_bytes(
        layout.report_key(spec.name, version, "evaluation.json"),
        evaluation_to_json(record).encode(),
    )
    ledger_record = registry.record_evaluation(
        spec.name,
        version,
        metrics=record["challenger"]["metrics"] | {"score_psi": record["challenger"]["score_psi"]},
        gates=record["gates"],
        passed=record["passed"],
        report_uri=report.uri,
        report_sha256=report.sha256,
        champion_version=record["champion_version"],
        actor=actor,
        artifacts=[Artifact(o.key, o.uri, o.sha256) for o in (report, page)],
        summary=ledger_summary(record),
    )
    manifest = evaluation_manifest(record, page.uri)
    # The reviewer's document for this version (a derived view: regenerated after each
    # decision; the ledger vouches for the reports it reads).
    document = publish_model_document(store, registry, spec.name, version)
    return RecordedEvaluation(record, manifest, ledger_record, page.uri, document)


def evaluation_manifest(record: Evaluation, report_uri: str) -> EvaluationManifest:
    """What ``model_evaluation`` hands on from an evaluation record, its page at
    ``report_uri``."""
    return {
        "record_version": MANIFEST_VERSION,
        "model": record["model"],
        "version": record["version"],
        "passed": record["passed"],
        "gates": record["gates"],
        "champion_version": record["champion_version"],
        "metrics": record["challenger"]["metrics"],
        "champion_metrics": (record["champion"] or {}).get("metrics"),
        "windows": record["windows"],
        "report_uri": report_uri,
    }
