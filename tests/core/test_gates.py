"""Promotion gates: absolute floor, tolerance against the champion, score stability."""

import pytest

from ml_platform_assets.core.gates import GATE_NAMES, evaluate_gates, failed_summary
from ml_platform_assets.core.spec_policies import Gates

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


OPTIONAL = GATES.model_copy(
    update={"min_adverse_impact_ratio": 0.8, "max_auc_gap_vs_benchmark": 0.02}
)


def _gate(results, name: str):
    return next(r for r in results if r.name == name)


def test_gates_come_in_their_declared_order() -> None:
    results = evaluate_gates(GATES, 0.8, 0.8, 0.01, 0.8, (0.9, "age_band 18-24 vs 65+"))
    assert tuple(r.name for r in results) == GATE_NAMES


@pytest.mark.parametrize(
    ("benchmark_auc", "passed", "observed"),
    [
        (0.81, True, -0.01),  # trails by less than 0.02
        (0.82, True, -0.02),  # the tolerance itself passes: "at most"
        (0.83, False, -0.03),
        (0.70, True, 0.10),  # ahead of the benchmark
    ],
)
def test_the_challenger_may_trail_the_benchmark_by_the_tolerance(
    benchmark_auc, passed, observed
) -> None:
    gate = _gate(evaluate_gates(OPTIONAL, 0.80, None, 0.01, benchmark_auc), "auc_vs_benchmark")
    assert gate.passed is passed and gate.observed == pytest.approx(observed)
    assert gate.threshold == 0.02
    assert f"vs logistic-regression benchmark {benchmark_auc:.4f}" in gate.description


@pytest.mark.parametrize(
    ("ratio", "passed"), [(0.79, False), (0.8, True), (0.95, True)]
)  # fmt: skip
def test_every_group_must_reach_the_adverse_impact_floor(ratio, passed) -> None:
    lowest = (ratio, "age_band 18-24 vs 65+")
    gate = _gate(evaluate_gates(OPTIONAL, 0.8, None, 0.01, 0.8, lowest), "adverse_impact_ratio")
    assert gate.passed is passed and gate.observed == ratio and gate.threshold == 0.8
    assert gate.description == (
        f"lowest adverse impact ratio {ratio:.4f} (age_band 18-24 vs 65+) must be at least 0.8000"
    )


def test_unset_optional_gates_pass_and_report_the_value() -> None:
    results = evaluate_gates(GATES, 0.70, None, 0.01, 0.90, (0.5, "age_band 18-24 vs 65+"))
    benchmark, impact = _gate(results, "auc_vs_benchmark"), _gate(results, "adverse_impact_ratio")
    assert benchmark.passed and benchmark.threshold is None
    assert benchmark.observed == pytest.approx(-0.2)
    assert benchmark.description.endswith("not set: reported only")
    assert impact.passed and impact.threshold is None and impact.observed == 0.5
    assert impact.description == (
        "lowest adverse impact ratio 0.5000 (age_band 18-24 vs 65+); not set: reported only"
    )
    assert failed_summary(results) == "all gates passed"


def test_a_set_gate_that_cannot_be_measured_fails() -> None:
    results = evaluate_gates(OPTIONAL, 0.8, None, 0.01, None, None)
    assert {r.name for r in results if not r.passed} == {"auc_vs_benchmark", "adverse_impact_ratio"}
    unset = evaluate_gates(GATES, 0.8, None, 0.01, None, None)
    assert all(r.passed for r in unset)
    assert _gate(unset, "adverse_impact_ratio").description.endswith("not set: reported only")


def test_an_attribute_that_could_not_be_measured_is_named_and_fails_a_set_gate() -> None:
    """One attribute measured does not vouch for another that could not be: every row
    without an age band, say."""
    why = {"age_band": "no applicant had a value"}
    alone = _gate(evaluate_gates(OPTIONAL, 0.8, None, 0.01, 0.8, None, why), "adverse_impact_ratio")
    assert not alone.passed
    assert alone.description == "adverse impact not measured for age_band: no applicant had a value"
    beside = evaluate_gates(OPTIONAL, 0.8, None, 0.01, 0.8, (1.0, "sex f vs f"), why)
    gate = _gate(beside, "adverse_impact_ratio")
    assert not gate.passed and gate.observed == 1.0
    assert gate.description.endswith(
        "; adverse impact not measured for age_band: no applicant had a value"
    )
    reported = _gate(
        evaluate_gates(GATES, 0.8, None, 0.01, 0.8, (1.0, "sex f vs f"), why),
        "adverse_impact_ratio",
    )
    assert reported.passed and "age_band: no applicant had a value" in reported.description
