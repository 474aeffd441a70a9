"""The whole asset chain on a real Dagster instance, embedded and on MariaDB + SeaweedFS."""

import hashlib

import dagster as dg
import pytest

from ml_platform_assets.assets.common import MANIFEST_IO, partition_range_tags
from ml_platform_assets.assets.factory import build_model_assets
from ml_platform_assets.assets.manifests import ManifestIOManager
from ml_platform_assets.core import layout
from ml_platform_assets.core.spec_policies import Gates
from ml_platform_assets.orchestration.runs import LifecycleError
from tests.platforms import small_spec

DAYS = 14  # 6 training + 3 out-of-time + 3 maturity days, and two to spare


def _key(platform, name: str) -> dg.AssetKey:
    return dg.AssetKey([platform.spec.name, name])


def test_materialize_runs_landing_to_deployment(small_platform) -> None:
    p = small_platform
    p.land(DAYS)
    assets = build_model_assets(p.spec)
    resources = {
        **p.resources,
        MANIFEST_IO: ManifestIOManager(object_store=p.resources["object_store"]),
    }
    ingestion = dg.materialize(
        assets,
        resources=resources,
        instance=p.instance,
        selection=[_key(p, n) for n in ("raw_applications", "loan_outcomes", "features")],
        tags=partition_range_tags(p.day(0), p.day(DAYS - 1)),
    )
    assert ingestion.success
    training = dg.materialize(
        assets,
        resources=resources,
        instance=p.instance,
        selection=[
            _key(p, n)
            for n in ("training_set", "challenger_model", "model_evaluation", "deployed_model")
        ],
    )
    assert training.success

    champion = p.registry.champion(p.spec.name)
    assert champion.version == 1 and champion.status == "champion"
    assert champion.git_commit and len(champion.git_commit) == 40  # the code's own commit
    # Every stage that shaped the model has its code version on record, not only the features'.
    stages = [part.split("-v")[0] for part in champion.code_version.split("; ")]
    assert stages == ["features", "training_set", "training"]
    model_text = p.store.get_bytes(layout.model_artifact_key(p.spec.name, 1, "model.txt"))
    assert hashlib.sha256(model_text).hexdigest() == champion.model_sha256
    assert p.store.exists(layout.report_key(p.spec.name, 1, "evaluation.html"))

    evaluation = p.instance.get_latest_materialization_event(_key(p, "model_evaluation"))
    metadata = evaluation.asset_materialization.metadata
    assert 0.65 < metadata["auc"].value < 0.95
    assert metadata["ks"].value > 0.2
    trained_set = p.instance.get_latest_materialization_event(_key(p, "training_set"))
    ts_meta = trained_set.asset_materialization.metadata
    assert ts_meta["fingerprint"].value == champion.training_set_fingerprint
    # 4 training, 2 validation and 3 out-of-time days of 1,500 applications, all matured.
    assert ts_meta["train_rows"].value == 4 * 1500 and ts_meta["oot_rows"].value == 3 * 1500
    assert len(p.instance.get_materialized_partitions(_key(p, "features"))) == DAYS


def test_worse_challenger_is_rejected_and_champion_stays(small_platform) -> None:
    p = small_platform
    p.land(DAYS)
    p.ingest(0, DAYS - 1)
    first = p.train()
    assert first.promoted and p.registry.champion(p.spec.name).version == 1

    # One two-leaf tree: clearly worse, yet above the absolute floor lowered for this test.
    worse = small_spec(num_boost_round=1, num_leaves=2, early_stopping_rounds=1)
    worse = worse.model_copy(
        update={"gates": Gates(min_auc=0.5, max_auc_drop_vs_champion=0.01, max_score_psi=0.25)}
    )
    second = p.with_spec(worse).train()

    assert not second.promoted
    assert second.failed_checks == ["auc_vs_champion"]
    assert p.registry.champion(p.spec.name).version == 1
    assert p.registry.get_version(p.spec.name, 2).status == "rejected"
    record = p.registry.latest_evaluation(p.spec.name, 2)
    assert record["passed"] is False and record["champion_version"] == 1
    assert [e.to_version for e in p.registry.alias_history(p.spec.name)] == [1]
    deployments = p.instance.fetch_materializations(_key(p, "deployed_model"), limit=10)
    assert len(deployments.records) == 1


def test_deployed_model_alone_refuses_a_failed_evaluation(small_platform) -> None:
    p = small_platform
    p.land(DAYS)
    p.ingest(0, DAYS - 1)
    strict = p.spec.model_copy(
        update={"gates": Gates(min_auc=0.99, max_auc_drop_vs_champion=0.0, max_score_psi=0.25)}
    )
    outcome = p.with_spec(strict).train()
    assert not outcome.promoted and "min_auc" in outcome.failed_checks
    result = dg.materialize(
        build_model_assets(strict),
        resources={
            **p.resources,
            MANIFEST_IO: ManifestIOManager(object_store=p.resources["object_store"]),
        },
        instance=p.instance,
        selection=[_key(p, "deployed_model")],
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "cannot be deployed" in failure.step_failure_data.user_failure_data.description
    assert p.registry.champion(p.spec.name) is None


def test_training_set_names_the_missing_partitions(small_platform) -> None:
    p = small_platform
    p.land(DAYS)
    p.ingest(0, 4)
    p.ingest(6, DAYS - 1)
    with pytest.raises(LifecycleError, match=r"features 2026-01-06; loan_outcomes 2026-01-06"):
        p.train()
