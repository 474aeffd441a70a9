"""The model registry on SQLite and MariaDB: versions, evaluations, promotion, rollback and the
champion history, through ``ModelRegistry`` on a freshly migrated database.
"""

import datetime as dt

import pytest

from ml_platform_assets.registry import (
    ModelRegistry,
    RegistryError,
    Status,
    VersionNotFoundError,
)


def _register(registry: ModelRegistry, model: str = "credit_default", **overrides) -> int:
    fields = dict(
        artifact_uri=f"s3://artifacts/{model}/models/vN/model.txt",
        model_sha256="ab" * 32,
        training_set_fingerprint="f1e2d3",
        code_version="0.1.0",
        git_commit="abc1234",
        params={"num_leaves": 31, "learning_rate": 0.05},
        windows={"train": ["2026-01-01", "2026-03-31"], "oot": ["2026-04-01", "2026-04-30"]},
        features=["income", "age", "purpose"],
        spec={"name": model, "target": "defaulted"},
    )
    return registry.register_version(model, **{**fields, **overrides}).version


def _evaluate(registry: ModelRegistry, version: int, passed: bool = True, auc: float = 0.8):
    registry.record_evaluation(
        "credit_default",
        version,
        metrics={"auc": auc, "ks": 0.4},
        gates=[{"name": "auc_floor", "passed": passed}],
        passed=passed,
        report_uri=f"s3://artifacts/credit_default/reports/v{version}/evaluation.html",
        report_sha256="cd" * 32,
        champion_version=None,
    )


def _eligible(registry: ModelRegistry, **overrides) -> int:
    """A version that passed its gates: the only kind promoted without an override."""
    version = _register(registry, **overrides)
    _evaluate(registry, version)
    return version


def test_versions_count_up_per_model(registry: ModelRegistry):
    assert [_register(registry) for _ in range(3)] == [1, 2, 3]
    assert _register(registry, "fraud") == 1

    assert registry.list_models() == ["credit_default", "fraud"]
    assert [v.version for v in registry.list_versions("credit_default")] == [1, 2, 3]
    assert registry.list_versions("unknown") == []


def test_a_version_keeps_its_provenance(registry: ModelRegistry):
    before = dt.datetime.now(dt.UTC)
    version = _register(registry, git_commit=None)

    stored = registry.get_version("credit_default", version)
    assert stored.status == Status.TRAINED
    assert stored.params == {"num_leaves": 31, "learning_rate": 0.05}
    assert stored.windows["oot"] == ["2026-04-01", "2026-04-30"]
    assert stored.features == ["income", "age", "purpose"]
    assert stored.spec == {"name": "credit_default", "target": "defaulted"}
    assert (stored.metrics, stored.git_commit) == (None, None)
    assert stored.created_at.tzinfo == dt.UTC and before <= stored.created_at


def test_a_missing_version_names_model_and_version(registry: ModelRegistry):
    with pytest.raises(VersionNotFoundError) as raised:
        registry.get_version("credit_default", 7)

    assert isinstance(raised.value, KeyError)
    assert str(raised.value) == "Model 'credit_default' has no version 7."


def test_evaluations_set_status_and_metrics(registry: ModelRegistry):
    good, bad = _register(registry), _register(registry)

    _evaluate(registry, good, passed=True, auc=0.71)
    _evaluate(registry, good, passed=True, auc=0.82)
    _evaluate(registry, bad, passed=False, auc=0.55)

    assert registry.get_version("credit_default", good).status == Status.EVALUATED
    assert registry.get_version("credit_default", good).metrics == {"auc": 0.82, "ks": 0.4}
    assert registry.get_version("credit_default", bad).status == Status.REJECTED
    latest = registry.latest_evaluation("credit_default", good)
    assert latest["metrics"]["auc"] == 0.82 and latest["passed"] is True
    assert latest["gates"] == [{"name": "auc_floor", "passed": True}]
    assert registry.latest_evaluation("credit_default", _register(registry)) is None
    with pytest.raises(VersionNotFoundError):
        _evaluate(registry, 99)


def test_promotion_moves_the_champion_and_retires_the_previous(registry: ModelRegistry):
    first, second = _eligible(registry), _eligible(registry)
    assert registry.champion("credit_default") is None

    registry.promote("credit_default", first, reason="first model", actor="alice")
    event = registry.promote("credit_default", second, reason="better AUC", actor="run 42")

    assert registry.champion("credit_default").version == second
    assert (event.from_version, event.to_version, event.actor) == (first, second, "run 42")
    assert registry.get_version("credit_default", first).status == Status.RETIRED
    assert registry.get_version("credit_default", second).status == Status.CHAMPION


def test_promoting_the_champion_again_records_nothing(registry: ModelRegistry):
    version = _eligible(registry)
    first = registry.promote("credit_default", version, reason="first", actor="alice")

    again = registry.promote("credit_default", version, reason="retry", actor="alice")

    assert again == first
    assert len(registry.alias_history("credit_default")) == 1


def test_promoting_an_unknown_version_changes_nothing(registry: ModelRegistry):
    registry.promote("credit_default", _eligible(registry), reason="first", actor="alice")

    with pytest.raises(VersionNotFoundError, match="no version 5"):
        registry.promote("credit_default", 5, reason="typo", actor="alice")

    assert registry.champion("credit_default").version == 1
    assert len(registry.alias_history("credit_default")) == 1


def test_the_champion_keeps_its_status_when_re_evaluated(registry: ModelRegistry):
    version = _eligible(registry)
    registry.promote("credit_default", version, reason="first", actor="alice")

    _evaluate(registry, version, passed=False)

    assert registry.get_version("credit_default", version).status == Status.CHAMPION


def test_rollbacks_walk_back_through_earlier_champions(registry: ModelRegistry):
    v1, v2, v3 = (_eligible(registry) for _ in range(3))
    for version in (v1, v2, v3):
        registry.promote("credit_default", version, reason=f"v{version}", actor="ci")

    back = registry.rollback("credit_default", reason="v3 misbehaves", actor="bob")
    assert (back.from_version, back.to_version, back.action) == (v3, v2, "rollback")
    assert registry.get_version("credit_default", v3).status == Status.ROLLED_BACK
    registry.rollback("credit_default", reason="v2 too", actor="bob")
    assert registry.champion("credit_default").version == v1

    with pytest.raises(RegistryError, match="no earlier champion to roll back to: v1"):
        registry.rollback("credit_default", reason="again", actor="bob")
    assert registry.champion("credit_default").version == v1


def test_rollback_after_a_new_promotion_returns_to_the_one_it_replaced(registry: ModelRegistry):
    v1, v2, v3 = (_eligible(registry) for _ in range(3))
    registry.promote("credit_default", v1, reason="", actor="ci")
    registry.promote("credit_default", v2, reason="", actor="ci")
    registry.rollback("credit_default", reason="", actor="ci")
    registry.promote("credit_default", v3, reason="", actor="ci")

    assert registry.rollback("credit_default", reason="", actor="ci").to_version == v1


def test_rollback_without_a_champion_is_refused(registry: ModelRegistry):
    _register(registry)

    with pytest.raises(RegistryError, match="has no champion yet"):
        registry.rollback("credit_default", reason="panic", actor="bob")


def test_history_is_one_chain_oldest_first(registry: ModelRegistry):
    versions = [_eligible(registry) for _ in range(3)]
    for version in versions:
        registry.promote("credit_default", version, reason=f"v{version}", actor="ci")
    registry.rollback("credit_default", reason="incident 12", actor="bob")

    history = registry.alias_history("credit_default")

    moves = [(e.from_version, e.to_version, e.action) for e in history]
    assert moves == [(None, 1, "promote"), (1, 2, "promote"), (2, 3, "promote"), (3, 2, "rollback")]
    assert [e.id for e in history] == sorted(e.id for e in history)
    assert history[-1].reason == "incident 12" and history[-1].created_at.tzinfo == dt.UTC
    assert registry.alias_history("other_model") == []


def test_publish_runs_with_the_new_version_and_records_its_uri(registry: ModelRegistry):
    _register(registry)
    seen = []

    def publish(version: int) -> str:
        seen.append(version)
        return f"file:///store/credit_default/models/v{version}/model.txt"

    version = _register(registry, artifact_uri=None, publish=publish)
    assert seen == [2] and version == 2
    uri = registry.get_version("credit_default", 2).artifact_uri
    assert uri == "file:///store/credit_default/models/v2/model.txt"


def test_a_failing_publish_registers_nothing(registry: ModelRegistry):
    def publish(version: int) -> str:
        raise OSError(f"upload of v{version} failed")

    with pytest.raises(OSError, match="upload of v1 failed"):
        _register(registry, artifact_uri=None, publish=publish)
    assert registry.list_versions("credit_default") == []
    assert _register(registry) == 1


def _identical(registry: ModelRegistry, **overrides):
    inputs = dict(
        training_set_fingerprint="f1e2d3",
        code_version="0.1.0",
        # Key order and the JSON round trip do not make parameters differ.
        params={"learning_rate": 0.05, "num_leaves": 31},
        spec={"target": "defaulted", "name": "credit_default"},
    )
    return registry.find_identical("credit_default", **{**inputs, **overrides})


def test_an_identical_version_is_found_by_data_code_parameters_and_spec(registry: ModelRegistry):
    assert _identical(registry) is None
    version = _register(registry)
    assert _identical(registry).version == version
    for differs in (
        {"training_set_fingerprint": "0a0b0c"},
        {"code_version": "0.2.0"},
        {"params": {"learning_rate": 0.05, "num_leaves": 63}},
        {"spec": {"name": "credit_default", "target": "defaulted", "owner": "risk"}},
    ):
        assert _identical(registry, **differs) is None, differs
    assert registry.find_identical("fraud", **{
        "training_set_fingerprint": "f1e2d3", "code_version": "0.1.0",
        "params": {"learning_rate": 0.05, "num_leaves": 31},
        "spec": {"name": "credit_default", "target": "defaulted"},
    }) is None  # fmt: skip


def test_among_duplicates_the_champion_is_the_identical_version(registry: ModelRegistry):
    # Two runs that trained the same inputs at the same time.
    first, second = _eligible(registry), _eligible(registry)
    assert _identical(registry).version == second  # the newest
    registry.promote("credit_default", first, reason="passed", actor="dagster run r1")
    assert _identical(registry).version == first


def test_the_completed_report_replaces_the_newest_evaluations_checksum(registry: ModelRegistry):
    version = _register(registry)
    with pytest.raises(RegistryError, match="v1 has no evaluation on record"):
        registry.record_report("credit_default", version, report_uri="s3://r", report_sha256="0")
    _evaluate(registry, version)
    _evaluate(registry, version, auc=0.81)
    registry.record_report(
        "credit_default", version, report_uri="s3://a/evaluation.json", report_sha256="ef" * 32
    )
    newest = registry.latest_evaluation("credit_default", version)
    assert newest["report_uri"] == "s3://a/evaluation.json"
    assert newest["report_sha256"] == "ef" * 32 and newest["metrics"]["auc"] == 0.81
