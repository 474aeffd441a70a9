"""``TrainingOutcome.promoted`` is the registry's decision, not the run's status: the training
chain on a real instance, with a reviewer promoting by hand while deployed_model runs.

A training run that succeeds has promoted its challenger only when, afterwards, that version is
the champion and the alias move that made it so was recorded by that run.
"""

import dagster as dg
import pytest

from ml_platform_assets.core import layout
from tests.platforms import small_spec

DAYS = 14  # 6 training + 2 validation + 3 out-of-time days, labels matured by the last day


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
