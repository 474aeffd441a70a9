"""The code location (code_location.build_definitions, and definitions.py that Dagster loads):
every spec's graph is complete, described, and the packages are ours."""

import importlib

import dagster as dg
import pytest
import yaml

from ml_platform_assets.code_location import build_definitions
from ml_platform_assets.core.spec import BUILTIN_SPECS_DIR, load_specs
from resources.database_resource import DatabaseResource
from resources.object_store_resource import ObjectStoreResource

CHAIN = ["raw_applications", "features", "training_set", "challenger_model",
         "model_evaluation", "deployed_model"]  # fmt: skip


@pytest.fixture
def two_model_defs(tmp_path) -> tuple[dg.Definitions, dict]:
    spec = yaml.safe_load((BUILTIN_SPECS_DIR / "credit_default.yaml").read_text())
    (tmp_path / "bnpl_fraud.yaml").write_text(yaml.safe_dump(spec | {"name": "bnpl_fraud"}))
    specs = load_specs(tmp_path)
    backends = {
        "object_store": ObjectStoreResource(uri=str(tmp_path / "s")),
        "database": DatabaseResource(url=f"sqlite:///{tmp_path / 'r.db'}"),
    }
    return build_definitions(specs, backends), specs


def _upstream(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    return set(graph.get(key).parent_keys)


def test_every_model_has_the_whole_chain(two_model_defs) -> None:
    defs, specs = two_model_defs
    graph = defs.resolve_asset_graph()
    for name in specs:
        keys = [dg.AssetKey([name, a]) for a in CHAIN]
        for downstream, upstream in zip(keys[1:], keys[:-1], strict=True):
            assert upstream in _upstream(graph, downstream), f"{upstream} -> {downstream}"
        assert dg.AssetKey([name, "loan_outcomes"]) in _upstream(graph, keys[2])
        # The loop is visible: each day's drift report reads the features and the champion.
        assert _upstream(graph, dg.AssetKey([name, "drift_report"])) == {
            dg.AssetKey([name, "features"]),
            dg.AssetKey([name, "deployed_model"]),
        }
        assert defs.resolve_job_def(f"{name}__training") is not None
        assert defs.resolve_job_def(f"{name}__ingestion") is not None


def test_every_asset_is_described_for_the_ui(two_model_defs) -> None:
    defs, _ = two_model_defs
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name == key.path[0], key
        assert node.kinds, key
        assert node.owners, key
        assert node.description and len(node.description) > 30, key


def test_gates_are_blocking_checks_on_the_evaluation(two_model_defs) -> None:
    defs, _ = two_model_defs
    graph = defs.resolve_asset_graph()
    evaluation = dg.AssetKey(["credit_default", "model_evaluation"])
    checks = {
        k.name: graph.get_check_spec(k) for k in graph.asset_check_keys if k.asset_key == evaluation
    }
    assert set(checks) == {
        "min_auc",
        "auc_vs_champion",
        "score_psi",
        "auc_vs_benchmark",
        "adverse_impact_ratio",
    }
    assert all(spec.blocking for spec in checks.values())


def test_ingestion_warns_on_quarantined_shares_without_blocking(two_model_defs) -> None:
    defs, _ = two_model_defs
    graph = defs.resolve_asset_graph()
    for asset in ("raw_applications", "loan_outcomes"):
        key = dg.AssetKey(["credit_default", asset])
        [check] = [k for k in graph.asset_check_keys if k.asset_key == key]
        assert check.name == "quarantine_share" and not graph.get_check_spec(check).blocking


def test_module_definitions_load_from_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("ML_PLATFORM_OBJECT_STORE", str(tmp_path / "store"))
    module = importlib.reload(importlib.import_module("ml_platform_assets.definitions"))
    assert (
        dg.AssetKey(["credit_default", "deployed_model"])
        in module.defs.resolve_asset_graph().get_all_asset_keys()
    )


def test_building_the_definitions_reads_no_environment(tmp_path, monkeypatch) -> None:
    """build_definitions is a function of its arguments: settings that would break reading the
    environment change nothing; the compute settings passed in decide the executor."""
    monkeypatch.setenv("ML_PLATFORM_EXECUTOR", "not-an-executor")
    monkeypatch.setenv("ML_PLATFORM_COMPUTE_PROFILES", str(tmp_path / "missing.yaml"))
    monkeypatch.setenv("ML_PLATFORM_OBJECT_STORE", "s4://typo")
    specs = {"credit_default": load_specs()["credit_default"]}
    backends = {
        "object_store": ObjectStoreResource(uri=str(tmp_path / "s")),
        "database": DatabaseResource(url=f"sqlite:///{tmp_path / 'r.db'}"),
    }
    defs = build_definitions(specs, backends)
    [job] = [j for j in defs.resolve_all_job_defs() if j.name == "credit_default__training"]
    assert job.executor_def.name == "in_process"


def test_every_asset_of_a_model_shares_its_group_and_owners(two_model_defs) -> None:
    defs, specs = two_model_defs
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node, spec = graph.get(key), specs[key.path[0]]
        assert node.group_name == spec.name, key
        assert list(node.owners) == [spec.owner], key
