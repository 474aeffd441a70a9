"""Promotion gates: absolute floor, tolerance against the champion, score stability."""

import pytest

from ml_platform_assets.core.gates import evaluate_gates, failed_summary
from ml_platform_assets.core.spec import Gates

GATES = Gates(min_auc=0.7, max_auc_drop_vs_champion=0.01, max_score_psi=0.25)


def _by_name(results):
    return {r.name: r for r in results}


def test_first_model_needs_only_the_absolute_gates() -> None:
    results = _by_name(evaluate_gates(GATES, auc=0.75, champion_auc=None, score_psi=0.02))
    assert all(r.passed for r in results.values())
    assert "no champion yet" in results["auc_vs_champion"].description


@pytest.mark.parametrize(
    ("auc", "champion_auc", "psi", "failed"),
    [
        (0.69, None, 0.02, {"min_auc"}),
        (0.78, 0.80, 0.02, {"auc_vs_champion"}),
        (0.795, 0.80, 0.02, set()),  # within the 0.01 tolerance
        (0.80, 0.80, 0.25, {"score_psi"}),  # the ceiling itself fails: "below"
        (0.60, 0.80, 0.40, {"min_auc", "auc_vs_champion", "score_psi"}),
    ],
)
def test_gate_outcomes(auc, champion_auc, psi, failed) -> None:
    results = evaluate_gates(GATES, auc=auc, champion_auc=champion_auc, score_psi=psi)
    assert {r.name for r in results if not r.passed} == failed


def test_failed_summary_says_what_was_observed() -> None:
    results = evaluate_gates(GATES, auc=0.78, champion_auc=0.80, score_psi=0.02)
    summary = failed_summary(results)
    assert "0.7800 vs champion 0.8000" in summary
    assert failed_summary(evaluate_gates(GATES, 0.8, None, 0.01)) == "all gates passed"
