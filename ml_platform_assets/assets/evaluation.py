"""Out-of-time evaluation of the challenger against the champion, with the promotion gates.

The gates are blocking asset checks: when one fails, Dagster does not run ``deployed_model``
downstream, so the champion stays; the evaluation and its failed gates are on record.
"""

import dagster as dg

from ml_platform_assets.assets.common import MANIFEST_IO, asset_key, registry
from ml_platform_assets.assets.policy import AssetPolicy
from ml_platform_assets.core.gates import GATE_NAMES
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.services.evaluations import RecordedEvaluation, record_evaluation
from ml_platform_assets.services.manifests import ChallengerManifest, TrainingSetManifest
from resources.database_resource import DatabaseResource
from resources.object_store_resource import ObjectStoreResource

GATE_DESCRIPTIONS = {
    "min_auc": "Out-of-time AUC is at least the spec's floor.",
    "auc_vs_champion": "Out-of-time AUC is no worse than the champion's on the same rows by "
    "more than the spec's tolerance.",
    "score_psi": "The score distribution is stable between training and out-of-time rows.",
    "auc_vs_benchmark": "Out-of-time AUC is no worse than the logistic-regression benchmark's "
    "on the same rows by more than the spec's tolerance (reported only when unset).",
    "adverse_impact_ratio": "Every protected group's approval rate at the cutoff is at least "
    "the spec's share of the most-approved group's (reported only when unset).",
}
PLOTTED = ("auc", "gini", "ks", "brier", "log_loss", "capture_top10", "lift_top10", "bad_rate")


def _additions(record: dict) -> dict:
    """Benchmark, fairness and reason-code figures, as numbers the UI plots across runs."""
    benchmark, codes = record["benchmark"], record["reason_codes"]
    metadata = {
        "benchmark_auc": float(benchmark["metrics"]["auc"]),
        "auc_gap_vs_benchmark": float(benchmark["auc_gap"]),
        "declined_share": codes["declined"] / max(codes["scored"], 1),
    }
    ratios = [a["min_ratio"] for a in record["fairness"]["attributes"].values()]
    if any(r is not None for r in ratios):
        metadata["min_air"] = float(min(r for r in ratios if r is not None))
    if codes["fidelity"]["share"] is not None:
        metadata["reason_fidelity"] = float(codes["fidelity"]["share"])
    unreviewed = [f for f, s in codes["statements"].items() if not s["reviewed"]]
    metadata["unreviewed_reasons"] = dg.MetadataValue.json(unreviewed)
    return metadata


def _metadata(recorded: RecordedEvaluation) -> dict:
    record, challenger = recorded.record, recorded.record["challenger"]
    metadata = {name: float(challenger["metrics"][name]) for name in PLOTTED}
    metadata["score_psi"] = float(challenger["score_psi"])
    metadata["max_csi"] = max(record["csi"].values(), default=0.0)
    if record["champion"]:
        metadata["champion_auc"] = float(record["champion"]["metrics"]["auc"])
        metadata["champion_ks"] = float(record["champion"]["metrics"]["ks"])
        metadata["champion_version"] = int(record["champion_version"])
    ledger = recorded.ledger_record
    return (
        metadata
        | _additions(record)
        | {
            "version": int(record["version"]),
            "oot_rows": int(challenger["metrics"]["n"]),
            "passed_gates": record["passed"],
            "report_uri": dg.MetadataValue.path(recorded.report_uri),
            "top_features": dg.MetadataValue.json(
                [f["feature"] for f in record["feature_importance"][:10]]
            ),
            "model_document": dg.MetadataValue.path(recorded.document.uri),
            "ledger_record": dg.MetadataValue.json(
                {
                    "record": ledger.sequence,
                    "event": ledger.event_type,
                    "sha256": ledger.record_sha256,
                }
            ),
        }
    )


def build_model_evaluation(spec: ModelSpec, policy: AssetPolicy) -> dg.AssetsDefinition:
    """``model_evaluation`` of ``spec``, with one blocking check per promotion gate."""
    key = asset_key(spec, "model_evaluation")

    @dg.asset(
        key=key,
        ins={
            "training_set": dg.AssetIn(asset_key(spec, "training_set")),
            "challenger_model": dg.AssetIn(asset_key(spec, "challenger_model")),
        },
        check_specs=[
            dg.AssetCheckSpec(name, asset=key, blocking=True, description=GATE_DESCRIPTIONS[name])
            for name in GATE_NAMES
        ],
        io_manager_key=MANIFEST_IO,
        op_tags=policy.op_tags("evaluation"),
        kinds={"lightgbm", "html"},
        description=f"Out-of-time validation of the {spec.name} challenger beside the champion: "
        "discrimination, calibration, stability and the promotion gates.",
    )
    def model_evaluation(
        context: dg.AssetExecutionContext,
        training_set: TrainingSetManifest,
        challenger_model: ChallengerManifest,
        object_store: ObjectStoreResource,
        database: DatabaseResource,
    ):
        recorded = record_evaluation(
            object_store.get_store(),
            registry(database),
            spec,
            training_set,
            challenger_model,
            actor=f"dagster run {context.run.run_id}",
        )
        yield dg.Output(recorded.manifest, metadata=_metadata(recorded))
        for gate in recorded.record["gates"]:
            yield dg.AssetCheckResult(
                check_name=gate["name"],
                passed=gate["passed"],
                severity=dg.AssetCheckSeverity.ERROR,
                description=gate["description"],
                metadata={
                    "observed": gate["observed"] if gate["observed"] is not None else "n/a",
                    "threshold": gate["threshold"] if gate["threshold"] is not None else "not set",
                    "version": recorded.manifest["version"],
                },
            )

    return model_evaluation
