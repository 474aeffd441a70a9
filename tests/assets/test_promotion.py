"""``TrainingOutcome.promoted`` is the registry's decision, not the run's status.

A training run that succeeds has promoted its challenger only when, afterwards, that version is
the champion and the alias move that made it so was recorded by that run.
"""

import dagster as dg
import pytest

from ml_platform_assets.core import layout
from ml_platform_assets.registry import ModelRegistry
from ml_platform_assets.services.promotion import promoted_in_run
from tests.platforms import small_spec

DAYS = 14  # 6 training + 2 validation + 3 out-of-time days, labels matured by the last day
MODEL = "credit_default"
RUN = "0f6d1c2e-5b7a-4c3d-9e8f-a1b2c3d4e5f6"


def _register(registry: ModelRegistry) -> int:
    """A version that passed its gates (the only kind promoted without an override)."""
    version = registry.register_version(
        MODEL,
        artifact_uri=f"s3://artifacts/{MODEL}/models/vN/model.txt",
        model_sha256="ab" * 32,
        training_set_fingerprint="f1e2d3",
        code_version="0.1.0",
        git_commit=None,
        params={},
        windows={},
        features=["income"],
        spec={"name": MODEL},
    ).version
    registry.record_evaluation(
        MODEL,
        version,
        metrics={"auc": 0.8},
        gates=[],
        passed=True,
        report_uri="s3://artifacts/report.json",
        report_sha256="cd" * 32,
        champion_version=None,
    )
    return version


def test_promoted_only_by_the_run_that_moved_the_alias(registry: ModelRegistry) -> None:
    first, second = _register(registry), _register(registry)
    assert not promoted_in_run(registry, MODEL, first, RUN)  # no champion at all

    registry.promote(MODEL, first, reason="passed every gate", actor=f"dagster run {RUN}")
    assert promoted_in_run(registry, MODEL, first, RUN)
    assert not promoted_in_run(registry, MODEL, first, "another-run")
    assert not promoted_in_run(registry, MODEL, second, RUN)  # evaluated, not champion

    # Promoted by someone else: the champion, but not this run's doing.
    registry.promote(MODEL, second, reason="approved by hand", actor="model-risk reviewer")
    assert not promoted_in_run(registry, MODEL, second, RUN)
    # Promoted by the run, then replaced: no longer the champion.
    assert not promoted_in_run(registry, MODEL, first, RUN)
    # Rolled back to the version the run once promoted: the rollback moved it, not the run.
    registry.rollback(MODEL, reason="incident", actor="on-call")
    assert registry.champion(MODEL).version == first
    assert not promoted_in_run(registry, MODEL, first, RUN)


def _promote_on_deployment_start(platform, actor: str, patch: pytest.MonkeyPatch) -> list[int]:
    """Makes ``actor`` promote the newest version by hand the moment the run's deployed_model
    step starts, as a reviewer acting on the evaluation might; returns the versions promoted.

    The hook is the instance's event handler, which Dagster calls as each event happens.
    """
    instance, step = platform.instance, f"{platform.spec.name}__deployed_model"
    handle = instance.handle_new_event
    promoted: list[int] = []

    def handle_new_event(event, **kwargs):
        handle(event, **kwargs)
        if event.step_key == step and event.dagster_event_type == dg.DagsterEventType.STEP_START:
            reg = platform.registry
            newest = reg.list_versions(platform.spec.name)[-1].version
            reg.promote(platform.spec.name, newest, reason="approved by hand", actor=actor)
            promoted.append(newest)

    patch.setattr(instance, "handle_new_event", handle_new_event)
    return promoted


def test_a_successful_run_that_moves_nothing_is_not_a_promotion(
    small_platform, monkeypatch
) -> None:
    p = small_platform
    p.land(DAYS)
    p.ingest(0, DAYS - 1)
    first = p.train()
    assert first.promoted and p.registry.champion(p.spec.name).version == 1

    # Retraining on the same data with one parameter changed (so that it is a new version)
    # gives about the same AUC, within the tolerance: the gates pass. A reviewer makes v2
    # champion by hand just before deployed_model runs; deployed_model finds it already
    # champion and moves nothing, so the run succeeds without promoting.
    with monkeypatch.context() as patch:
        by_hand = _promote_on_deployment_start(p, "model-risk reviewer", patch)
        second = p.with_spec(small_spec(lambda_l2=1.5)).train()
    assert by_hand == [2]
    run = p.instance.get_run_by_id(second.run_id)
    assert run.status == dg.DagsterRunStatus.SUCCESS and second.failed_checks == []
    assert second.evaluation["version"] == 2 and second.evaluation["passed"]
    assert not second.promoted
    history = p.registry.alias_history(p.spec.name)
    assert [(e.to_version, e.actor) for e in history] == [
        (1, f"dagster run {first.run_id}"),
        (2, "model-risk reviewer"),
    ]
    deployed = p.instance.get_latest_materialization_event(
        dg.AssetKey([p.spec.name, "deployed_model"])
    ).asset_materialization.metadata
    assert deployed["champion_version"].value == 2 and deployed["previous_version"].value == 2

    # The report of v2 says who promoted it: the reviewer, as the deployment found it.
    report = p.store.get_json(layout.report_key(p.spec.name, 2, "evaluation.json"))
    assert report["decision"] == "promoted"
    assert report["deployment"]["promoted_by"] == "model-risk reviewer"
    assert report["deployment"]["recorded_by_run"] == second.run_id

    # A like retraining without anyone's help is a promotion: the run moves the alias.
    third = p.with_spec(small_spec(lambda_l2=2.0)).train()
    assert third.evaluation["metrics"]["auc"] == pytest.approx(
        second.evaluation["metrics"]["auc"], abs=0.01
    )
    assert third.promoted and p.registry.champion(p.spec.name).version == 3
    assert p.registry.alias_history(p.spec.name)[-1].actor == f"dagster run {third.run_id}"
