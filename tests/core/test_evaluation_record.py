"""Tests of ml_platform_assets.core.evaluation_record: the record's JSON and the decisions that
complete it (promotion, override, a reviewer awaited or rejecting).

The records are built with the real metrics functions on synthetic scores, as the evaluation
asset builds them (``tests/evaluation_records.py``).
"""

from __future__ import annotations

import json

import pytest

from ml_platform_assets.core.evaluation_record import (
    RECORD_VERSION,
    evaluation_to_json,
    with_promotion,
    with_review,
)
from ml_platform_assets.core.gates import GATE_NAMES
from tests.evaluation_records import evaluation, override_promotion, passed, promotion


def test_json_is_stable_and_nan_becomes_null() -> None:
    ev = evaluation(True)
    text = evaluation_to_json(ev)
    assert text == evaluation_to_json(ev)
    assert "NaN" not in text
    loaded = json.loads(text)
    assert loaded["record_version"] == RECORD_VERSION == 1
    assert loaded["csi"]["tenure"] is None
    assert [g["name"] for g in loaded["gates"]] == list(GATE_NAMES)
    assert loaded["gates"][0]["passed"] is False and loaded["gates"][2]["passed"] is True
    assert loaded["gates"][2]["observed"] == pytest.approx(0.031)
    assert json.loads(evaluation_to_json(evaluation(False)))["gates"][1]["observed"] is None
    assert loaded["challenger"]["score_psi"] == pytest.approx(0.031)
    assert loaded["feature_importance"][0]["split"] == 40
    assert list(loaded) == sorted(loaded)
    # Round trip: dumping the loaded record again gives the same text.
    assert evaluation_to_json(loaded) == text


def test_lift_table_is_in_the_json_record() -> None:
    ev = evaluation(True)
    loaded = json.loads(evaluation_to_json(ev))
    for side in ("challenger", "champion"):
        assert loaded[side]["lift_by_decile"] == ev[side]["lift_by_decile"]
        assert loaded[side]["calibration"] == ev[side]["calibration"]  # kept beside it


def test_the_benchmark_fairness_and_reason_blocks_round_trip_through_json() -> None:
    ev = evaluation(True)
    loaded = json.loads(evaluation_to_json(ev))
    assert loaded["fairness"]["attributes"]["age_band"]["groups"][2] == {
        "group": "65+", "n": 0, "approved": 0, "approval_rate": None,
        "adverse_impact_ratio": None, "missing_value": False,
    }  # fmt: skip
    assert loaded["reason_codes"] == ev["reason_codes"]
    assert loaded["benchmark"]["coefficients"] == ev["benchmark"]["coefficients"]
    assert loaded["benchmark"]["auc_gap"] == pytest.approx(ev["benchmark"]["auc_gap"])


@pytest.mark.parametrize("previous", [2, None])
def test_the_deployment_decision_completes_the_record(previous: int | None) -> None:
    deployment = promotion(previous)
    awaiting = passed(previous is not None)
    completed = with_promotion(awaiting, deployment)
    assert awaiting["decision"] == "pending"  # the record given is left as it was
    loaded = json.loads(evaluation_to_json(completed))
    assert loaded["decision"] == "promoted" and loaded["deployment"] == deployment


def test_a_rejected_record_cannot_be_completed_as_promoted() -> None:
    rejected = evaluation(True)
    with pytest.raises(ValueError, match="v3 was rejected by its gates"):
        with_promotion(rejected, {})  # type: ignore[typeddict-item]
    with pytest.raises(ValueError, match="no reviewer decides on it"):
        with_review(rejected, {"reviewer": None, "note": None, "decided_at": None})


def test_an_override_completes_a_rejected_record_as_an_override() -> None:
    deployment = override_promotion()
    completed = with_promotion(evaluation(True), deployment)
    assert completed["decision"] == "override"
    assert (
        json.loads(evaluation_to_json(completed))["deployment"]["override"]
        == deployment["override"]
    )


def test_a_reviewer_awaited_then_rejecting_then_an_approval() -> None:
    awaiting = with_review(passed(), {"reviewer": None, "note": None, "decided_at": None})
    assert awaiting["decision"] == "pending_approval"
    review = {"reviewer": "bob", "note": "AIR <0.8", "decided_at": "2026-11-30T09:00:00+00:00"}
    rejected = with_review(awaiting, review)
    assert rejected["decision"] == "rejected_by_reviewer" and rejected["review"] == review
    # An approval then promotes it: the review gives way to the deployment.
    approved = with_promotion(
        awaiting,
        {
            "champion_since": "2026-11-30T09:00:00+00:00",
            "promoted_by": "bob",
            "previous_champion_version": None,
            "reason": "approved",
            "recorded_by_run": "approval by bob",
        },
    )
    assert approved["decision"] == "promoted" and "review" not in approved
