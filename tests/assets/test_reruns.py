"""Training reruns are idempotent, and the evaluation report is completed by the decision.

A training run whose training set, code versions, LightGBM parameters and spec equal an existing
version's registers nothing and skips evaluation and deployment; a difference in any of them
trains a new version. The report written at evaluation reads "awaiting the deployment decision"
until deployed_model rewrites it with the promotion, and the registry's checksum follows it.
"""

import hashlib
import json

import dagster as dg

from ml_platform_assets.assets.common import MANIFEST_IO
from ml_platform_assets.assets.factory import build_model_assets
from ml_platform_assets.assets.manifests import ManifestIOManager
from ml_platform_assets.core import layout
from ml_platform_assets.core.features import features_code_version
from ml_platform_assets.core.spec_policies import Gates
from tests.platforms import small_spec

DAYS = 14  # 6 training + 3 out-of-time + 3 maturity days, and two to spare


def _key(platform, name: str) -> dg.AssetKey:
    return dg.AssetKey([platform.spec.name, name])


def _materializations(platform, name: str) -> int:
    return len(platform.instance.fetch_materializations(_key(platform, name), limit=20).records)


def _report(platform, version: int) -> tuple[dict, bytes, str]:
    """The stored evaluation record, its bytes and the HTML page of ``version``."""
    key = layout.report_key(platform.spec.name, version, "evaluation.json")
    data = platform.store.get_bytes(key)
    page = platform.store.get_bytes(
        layout.report_key(platform.spec.name, version, "evaluation.html")
    )
    return json.loads(data), data, page.decode()


def _checksum_on_record(platform, version: int) -> tuple[str, str]:
    record = platform.registry.latest_evaluation(platform.spec.name, version)
    return record["report_uri"], record["report_sha256"]


def test_a_rerun_on_the_same_data_registers_nothing(small_platform) -> None:
    p = small_platform
    p.land(DAYS)
    p.ingest(0, DAYS - 1)
    first = p.train()
    assert first.promoted
    fingerprint = p.registry.get_version(p.spec.name, 1).training_set_fingerprint

    again = p.train()
    assert p.instance.get_run_by_id(again.run_id).status == dg.DagsterRunStatus.SUCCESS
    assert [v.version for v in p.registry.list_versions(p.spec.name)] == [1]
    assert not again.promoted and again.evaluation is None
    assert again.already_trained["already_trained_as"] == "v1"
    assert again.already_trained["summary"] == (
        f"v1 already trained on this data (training set {fingerprint[:12]}…, same spec, code "
        "and parameters)"
    )
    # Evaluation and deployment were skipped: one materialization each, one alias move.
    assert _materializations(p, "challenger_model") == 1
    assert _materializations(p, "model_evaluation") == 1
    assert _materializations(p, "deployed_model") == 1
    assert len(p.registry.alias_history(p.spec.name)) == 1
    # The UI shows why on the challenger: an observation naming the existing version.
    observed = p.instance.fetch_observations(_key(p, "challenger_model"), limit=5).records
    assert len(observed) == 1
    metadata = observed[0].asset_observation.metadata
    assert metadata["already_trained_as"].value == "v1" and metadata["status"].value == "champion"

    # One LightGBM parameter differs: a new version is trained and judged.
    tweaked = p.with_spec(small_spec(lambda_l2=2.0))
    second = tweaked.train()
    assert second.already_trained is None and second.evaluation["version"] == 2
    assert tweaked.train().already_trained["version"] == 2
    # The spec differs outside LightGBM's parameters (a gate): a new version too.
    gates = p.spec.gates.model_copy(update={"min_auc": 0.6})
    gated = p.with_spec(p.spec.model_copy(update={"gates": gates}))
    assert gated.train().evaluation["version"] == 3
    # Wording (a feature's description and reason statement too), owner or drift guardrails
    # change neither the model nor its judgement.
    income = gated.spec.features.numeric["annual_income"].model_copy(
        update={"description": "Income as stated", "reason": "Income is low for the purchase"}
    )
    features = gated.spec.features.model_copy(
        update={"numeric": {**gated.spec.features.numeric, "annual_income": income}}
    )
    reworded = gated.spec.model_copy(
        update={
            "description": "Another wording",
            "owner": "team:someone-else",
            "drift": gated.spec.drift.model_copy(update={"cooldown_days": 1}),
            "features": features,
        }
    )
    assert features_code_version(reworded) == features_code_version(gated.spec)
    assert p.with_spec(reworded).train().already_trained["version"] == 3
    # The decision cutoff decides the adverse impact ratio: a new judgement.
    policy = gated.spec.decision.model_copy(update={"cutoff": 0.3})
    recut = p.with_spec(gated.spec.model_copy(update={"decision": policy}))
    assert recut.train().evaluation["version"] == 4
    assert [v.version for v in p.registry.list_versions(p.spec.name)] == [1, 2, 3, 4]


def test_a_rejected_version_is_not_judged_again(small_platform) -> None:
    p = small_platform
    p.land(DAYS)
    p.ingest(0, DAYS - 1)
    assert p.train().promoted
    # One two-leaf tree: clearly worse, yet above the absolute floor lowered for this test.
    worse = small_spec(num_boost_round=1, num_leaves=2, early_stopping_rounds=1)
    worse = p.with_spec(
        worse.model_copy(
            update={"gates": Gates(min_auc=0.5, max_auc_drop_vs_champion=0.01, max_score_psi=0.25)}
        )
    )
    rejected = worse.train()
    assert rejected.failed_checks == ["auc_vs_champion"]
    record, data, page = _report(p, 2)
    assert record["decision"] == "rejected" and "deployment" not in record
    assert '<strong class="rejected">REJECTED</strong>' in page
    assert _checksum_on_record(p, 2)[1] == hashlib.sha256(data).hexdigest()

    again = worse.train()
    gate = next(g for g in rejected.evaluation["gates"] if not g["passed"])
    assert again.already_trained["summary"] == (
        f"v2 already trained on this data and rejected by its gates: {gate['description']}"
    )
    assert again.failed_checks == [] and not again.promoted
    assert [v.version for v in p.registry.list_versions(p.spec.name)] == [1, 2]
    assert _materializations(p, "model_evaluation") == 2
    assert p.registry.champion(p.spec.name).version == 1


def test_the_report_is_completed_by_the_promotion(small_platform) -> None:
    p = small_platform
    p.land(DAYS)
    p.ingest(0, DAYS - 1)
    outcome = p.train()
    record, data, page = _report(p, 1)
    assert record["decision"] == "promoted"
    deployment = record["deployment"]
    assert deployment["promoted_by"] == f"dagster run {outcome.run_id}"
    assert deployment["recorded_by_run"] == outcome.run_id
    assert deployment["previous_champion_version"] is None
    move = p.registry.alias_history(p.spec.name)[-1]
    assert deployment["champion_since"] == move.created_at.isoformat(timespec="seconds")
    assert '<strong class="promoted">PROMOTED</strong>' in page and outcome.run_id in page
    assert "AWAITING" not in page
    # The registry's record of the report is the completed document.
    json_key = layout.report_key(p.spec.name, 1, "evaluation.json")
    assert _checksum_on_record(p, 1) == (p.store.uri(json_key), hashlib.sha256(data).hexdigest())

    # The next champion's report names the one it replaced.
    second = p.with_spec(small_spec(lambda_l2=2.0)).train()
    assert second.promoted
    record, data, _ = _report(p, 2)
    assert record["deployment"]["previous_champion_version"] == 1
    assert _checksum_on_record(p, 2)[1] == hashlib.sha256(data).hexdigest()


def test_a_version_left_undecided_is_decided_by_the_next_run(small_platform) -> None:
    p = small_platform
    p.land(DAYS)
    p.ingest(0, DAYS - 1)
    # A run that stops after the evaluation, before deployment (as a killed run would).
    stopped = dg.materialize(
        build_model_assets(p.spec),
        resources={
            **p.resources,
            MANIFEST_IO: ManifestIOManager(object_store=p.resources["object_store"]),
        },
        instance=p.instance,
        selection=[_key(p, n) for n in ("training_set", "challenger_model", "model_evaluation")],
    )
    assert stopped.success and p.registry.champion(p.spec.name) is None
    record, _, page = _report(p, 1)
    assert record["decision"] == "pending"
    assert "AWAITING THE DEPLOYMENT DECISION" in page and "PENDING" not in page

    # The next run trains nothing new: it evaluates v1 again and decides.
    outcome = p.train()
    assert outcome.already_trained is None and outcome.evaluation["version"] == 1
    assert outcome.promoted and p.registry.champion(p.spec.name).version == 1
    assert [v.version for v in p.registry.list_versions(p.spec.name)] == [1]
    record, data, _ = _report(p, 1)
    assert record["decision"] == "promoted"
    assert _checksum_on_record(p, 1)[1] == hashlib.sha256(data).hexdigest()
