"""Out-of-time evaluation of the challenger against the champion, with the promotion gates.

The gates are blocking asset checks: when one fails, Dagster does not run ``deployed_model``
downstream, so the champion stays; the evaluation and its failed gates are on record.
"""

import dagster as dg

from ml_platform_assets.assets.common import MANIFEST_IO, asset_key, compute, owners, registry
from ml_platform_assets.assets.model_document import publish_model_document
from ml_platform_assets.core import layout
from ml_platform_assets.core.evaluation import Champion, evaluate
from ml_platform_assets.core.evaluation_record import evaluation_to_json
from ml_platform_assets.core.gates import GATE_NAMES
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.training import load_model
from ml_platform_assets.pages.evaluation import render_evaluation_html
from ml_platform_assets.registry import ModelRegistry
from ml_platform_assets.registry.ledger import Artifact
from resources.database import DatabaseResource
from resources.object_store import ObjectStore
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


def _champion(
    reg: ModelRegistry, store: ObjectStore, spec: ModelSpec, challenger_version: int
) -> Champion | None:
    current = reg.champion(spec.name)
    if current is None or current.version == challenger_version:
        return None
    key = layout.model_artifact_key(spec.name, current.version, "model.txt")
    booster = load_model(store.get_bytes(key), current.model_sha256, current.artifact_uri)
    return Champion(current.version, booster, ModelSpec.model_validate(current.spec))


def _evaluation_additions(evaluation: dict) -> dict:
    """Benchmark, fairness and reason-code figures, as numbers the UI plots across runs."""
    benchmark, codes = evaluation["benchmark"], evaluation["reason_codes"]
    metadata = {
        "benchmark_auc": float(benchmark["metrics"]["auc"]),
        "auc_gap_vs_benchmark": float(benchmark["auc_gap"]),
        "declined_share": codes["declined"] / max(codes["scored"], 1),
    }
    ratios = [a["min_ratio"] for a in evaluation["fairness"]["attributes"].values()]
    if any(r is not None for r in ratios):
        metadata["min_air"] = float(min(r for r in ratios if r is not None))
    if codes["fidelity"]["share"] is not None:
        metadata["reason_fidelity"] = float(codes["fidelity"]["share"])
    unreviewed = [f for f, s in codes["statements"].items() if not s["reviewed"]]
    metadata["unreviewed_reasons"] = dg.MetadataValue.json(unreviewed)
    return metadata


def _metadata(evaluation: dict, report_uri: str) -> dict:
    challenger = evaluation["challenger"]
    metadata = {name: float(challenger["metrics"][name]) for name in PLOTTED}
    metadata["score_psi"] = float(challenger["score_psi"])
    metadata["max_csi"] = max(evaluation["csi"].values(), default=0.0)
    if evaluation["champion"]:
        champion = evaluation["champion"]["metrics"]
        metadata["champion_auc"] = float(champion["auc"])
        metadata["champion_ks"] = float(champion["ks"])
        metadata["champion_version"] = int(evaluation["champion_version"])
    metadata |= _evaluation_additions(evaluation)
    metadata |= {
        "version": int(evaluation["version"]),
        "oot_rows": int(challenger["metrics"]["n"]),
        "passed_gates": evaluation["passed"],
        "report_uri": dg.MetadataValue.path(report_uri),
        "top_features": dg.MetadataValue.json(
            [f["feature"] for f in evaluation["feature_importance"][:10]]
        ),
    }
    return metadata


def ledger_summary(evaluation: dict) -> dict:
    """What the ledger's evaluation record carries beyond the metrics and gates: the champion
    and benchmark beside the challenger, the lowest adverse impact ratio per protected
    attribute, and reason-code fidelity (the full record is the report, by its sha256)."""
    champion = (evaluation.get("champion") or {}).get("metrics") or {}
    benchmark = (evaluation.get("benchmark") or {}).get("metrics") or {}
    attributes = (evaluation.get("fairness") or {}).get("attributes", {})
    return {
        "champion_auc": champion.get("auc"),
        "benchmark_auc": benchmark.get("auc"),
        "min_adverse_impact_ratio": {
            name: block.get("min_ratio") for name, block in attributes.items()
        },
        "reason_code_fidelity": ((evaluation.get("reason_codes") or {}).get("fidelity") or {}).get(
            "share"
        ),
    }


def build_model_evaluation(spec: ModelSpec) -> dg.AssetsDefinition:
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
        op_tags=compute("evaluation"),
        group_name=spec.name,
        kinds={"lightgbm", "html"},
        owners=owners(spec),
        description=f"Out-of-time validation of the {spec.name} challenger beside the champion: "
        "discrimination, calibration, stability and the promotion gates.",
    )
    def model_evaluation(
        context: dg.AssetExecutionContext,
        training_set: dict,
        challenger_model: dict,
        object_store: ObjectStoreResource,
        database: DatabaseResource,
    ):
        store, reg = object_store.get_store(), registry(database)
        version = challenger_model["version"]
        booster = load_model(
            store.get_bytes(challenger_model["artifact_key"]),
            challenger_model["model_sha256"],
            challenger_model["artifact_uri"],
        )
        champion = _champion(reg, store, spec, version)
        evaluation = evaluate(
            spec,
            booster,
            store.get_table(training_set["splits"]["train"]),
            store.get_table(training_set["splits"]["oot"]),
            champion,
            provenance={
                "model": spec.name,
                "version": version,
                "windows": training_set["windows"],
                "training_set_fingerprint": training_set["fingerprint"],
                "model_sha256": challenger_model["model_sha256"],
            },
        )
        page = store.put_bytes(
            layout.report_key(spec.name, version, "evaluation.html"),
            render_evaluation_html(evaluation).encode(),
        )
        report = store.put_bytes(
            layout.report_key(spec.name, version, "evaluation.json"),
            evaluation_to_json(evaluation).encode(),
        )
        ledger_record = reg.record_evaluation(
            spec.name,
            version,
            metrics=evaluation["challenger"]["metrics"]
            | {"score_psi": evaluation["challenger"]["score_psi"]},
            gates=evaluation["gates"],
            passed=evaluation["passed"],
            report_uri=report.uri,
            report_sha256=report.sha256,
            champion_version=evaluation["champion_version"],
            actor=f"dagster run {context.run.run_id}",
            artifacts=[Artifact(o.key, o.uri, o.sha256) for o in (report, page)],
            summary=ledger_summary(evaluation),
        )
        html_uri = store.uri(layout.report_key(spec.name, version, "evaluation.html"))
        manifest = {
            "model": spec.name,
            "version": version,
            "passed": evaluation["passed"],
            "gates": evaluation["gates"],
            "champion_version": evaluation["champion_version"],
            "metrics": evaluation["challenger"]["metrics"],
            # The champion scored on the same out-of-time rows (None without a champion).
            "champion_metrics": (evaluation["champion"] or {}).get("metrics"),
            "windows": training_set["windows"],
            "report_uri": html_uri,
        }
        # The reviewer's document for this version, linked from the UI (a derived view:
        # regenerated after each decision; the ledger vouches for the reports it reads).
        document = publish_model_document(store, reg, spec.name, version)
        ledger_entry = {
            "model_document": dg.MetadataValue.path(document.uri),
            "ledger_record": dg.MetadataValue.json(
                {
                    "record": ledger_record.sequence,
                    "event": ledger_record.event_type,
                    "sha256": ledger_record.record_sha256,
                }
            ),
        }
        yield dg.Output(manifest, metadata=_metadata(evaluation, html_uri) | ledger_entry)
        for gate in evaluation["gates"]:
            yield dg.AssetCheckResult(
                check_name=gate["name"],
                passed=gate["passed"],
                severity=dg.AssetCheckSeverity.ERROR,
                description=gate["description"],
                metadata={
                    "observed": gate["observed"] if gate["observed"] is not None else "n/a",
                    "threshold": gate["threshold"] if gate["threshold"] is not None else "not set",
                    "version": version,
                },
            )

    return model_evaluation
