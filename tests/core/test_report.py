"""Tests of ml_platform_assets.core.report: the HTML evaluation page and the JSON record.

The evaluation dicts are built with the real metrics functions on synthetic scores, as the
evaluation asset will build them.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from ml_platform_assets.core import deciles, fairness, metrics, report
from ml_platform_assets.core.gates import GATE_NAMES, evaluate_gates
from ml_platform_assets.core.spec import load_specs

GATES = load_specs()["credit_default"].gates  # min AUC 0.70, drop ≤ 0.01, score PSI < 0.25


def _model_result(seed: int, shift: float) -> report.ModelResult:
    rng = np.random.default_rng(seed)
    score = np.clip(rng.beta(2, 12, 4_000) + shift, 0.001, 0.999)
    y = (rng.random(4_000) < score).astype(int)
    return {
        "metrics": metrics.discrimination_summary(y, score),
        "calibration": deciles.calibration_by_decile(y, score).to_dict("records"),
        "lift_by_decile": deciles.lift_by_decile(y, score).to_dict("records"),
        "score_psi": np.float64(0.031),
    }


def _benchmark(challenger_auc: float) -> report.Benchmark:
    """A benchmark block on synthetic scores: its AUC is about 0.726, 0.034 above the
    challenger's, beyond the spec's 0.01 tolerance."""
    rng = np.random.default_rng(5)
    score = np.clip(rng.beta(1.5, 10, 4_000), 0.001, 0.999)
    y = (rng.random(4_000) < score).astype(int)
    summary = metrics.discrimination_summary(y, score)
    return {
        "method": "logistic_regression",
        "description": "L2-regularised logistic regression <C=1.0> on 6,000 rows.",
        "train_rows": 6_000,
        "converged": True,
        "params": {"C": 1.0, "penalty": "l2", "max_iter": 1_000},
        "metrics": summary,
        "calibration": deciles.calibration_by_decile(y, score).to_dict("records"),
        "coefficients": [
            {"feature": f"x{i}", "coefficient": (-1) ** i / (i + 1)} for i in range(20)
        ],
        "auc_gap": challenger_auc - summary["auc"],
    }


def _fairness() -> report.Fairness:
    """age_band at the cutoff: 18-24 approved 70 of 100 against 25-34's 90 of 100 (0.7778),
    65+ without rows, and 5 applicants without a band."""
    groups = pd.Series(["18-24"] * 100 + ["25-34"] * 100 + [None] * 5, dtype=object)
    approved = np.r_[np.arange(100) < 70, np.arange(100) < 90, np.ones(5, bool)]
    block = fairness.adverse_impact(groups, approved, ["18-24", "25-34", "65+"])
    return {"cutoff": 0.15, "attributes": {"age_band": block}}


def _reason_codes() -> report.ReasonCodes:
    bureau = "Credit bureau score is too low"
    return {
        "cutoff": 0.15,
        "top_n": 4,
        "scored": 4_000,
        "declined": 512,
        "explained": 512,
        "without_reason": 0,
        "statements": {
            "bureau_score": {"statement": bureau, "reviewed": True},
            "debt_to_income": {"statement": "Debt <high> & rising", "reviewed": True},
            "hour_of_day": {"statement": "Local hour of the application.", "reviewed": False},
        },
        "frequency": [
            {"feature": "bureau_score", "statement": bureau, "top_reason_share": 0.9,
             "any_reason_share": 0.99},
            {"feature": "debt_to_income", "statement": "Debt <high> & rising",
             "top_reason_share": 0.1, "any_reason_share": 0.5},
            {"feature": "hour_of_day", "statement": "Local hour of the application.",
             "top_reason_share": 0.0, "any_reason_share": 0.25},
        ],
        "examples": [
            {"application_id": "20260901-0000007", "score": 0.31, "reasons": [
                {"feature": "bureau_score", "statement": bureau, "contribution": 0.52},
                {"feature": "debt_to_income", "statement": "Debt <high> & rising",
                 "contribution": 0.11}]},
            {"application_id": "20260901-0000019", "score": 0.17, "reasons": []},
        ],
        "fidelity": {"definition": "Share of declines whose risk falls.", "share": 0.875,
                     "n": 512},
    }  # fmt: skip


def _evaluation(with_champion: bool) -> report.Evaluation:
    """A record as core.evaluation builds it: the challenger's AUC is about 0.691, below the
    spec's 0.70 floor, and the champion's about 0.697, within the 0.01 tolerance; the
    benchmark beats it by more than its tolerance and the lowest adverse impact ratio, 0.7778,
    is below the 0.8 floor."""
    challenger = _model_result(1, 0.0)
    champion = _model_result(2, 0.01) if with_champion else None
    benchmark = _benchmark(challenger["metrics"]["auc"])
    fair = _fairness()
    gates = evaluate_gates(
        GATES,
        auc=challenger["metrics"]["auc"],
        champion_auc=champion["metrics"]["auc"] if champion else None,
        score_psi=challenger["score_psi"],
        benchmark_auc=benchmark["metrics"]["auc"],
        lowest_air=fairness.lowest_ratio(fair),
    )
    evaluation: report.Evaluation = {
        "model": "credit_default",
        "version": 3,
        "champion_version": 2 if with_champion else None,
        "created_at": "2026-11-29T12:00:00+00:00",
        "windows": {
            "train_start": "2026-01-01",
            "train_end": "2026-08-31",
            "oot_start": "2026-09-01",
            "oot_end": "2026-10-15",
        },
        "training_set_fingerprint": "ab" * 32,
        "model_sha256": "cd" * 32,
        "challenger": challenger,
        "champion": champion,
        "csi": {"income": 0.02, "utilisation": 0.14, "<script>": 0.31, "tenure": float("nan")},
        "feature_importance": [
            {"feature": f"feature_{i}", "gain": 1000.0 / (i + 1), "split": np.int64(40 - i)}
            for i in range(25)
        ]
        + [{"feature": "<script>", "gain": 5_000.0, "split": 3}],
        "benchmark": benchmark,
        "fairness": fair,
        "reason_codes": _reason_codes(),
        "gates": [g.as_dict() for g in gates],
        "passed": all(g.passed for g in gates),
    }
    if with_champion:
        evaluation["decision"] = "rejected"
    return evaluation


@pytest.mark.parametrize("with_champion", [True, False])
def test_html_has_every_section_and_is_self_contained(with_champion: bool) -> None:
    page = report.render_evaluation_html(_evaluation(with_champion))
    assert page.startswith("<!DOCTYPE html>")
    assert "credit_default version 3" in page
    headings = ["Provenance", "Gates", "Calibration", "Lift by score decile", "Feature stability"]
    headings += ["Benchmark model", "Fairness", "Adverse-action reason codes"]
    for heading in [*headings, "importance"]:
        assert heading in page
    assert "ab" * 32 in page and "2026-09-01 to 2026-10-15" in page
    # A calibration chart per model: challenger, benchmark and the champion when there is one.
    assert page.count("<svg") == (3 if with_champion else 2)
    # No scripts and no external resources: the page must render from the archive alone.
    assert "<script" not in page
    assert not re.search(r"(src|href)=", page)
    assert "http" not in page


def _section(page: str, heading: str) -> str:
    """The page from ``heading``'s <h2> to the next one."""
    start = page.index(f"<h2>{heading}")
    end = page.find("<h2>", start + 1)
    return page[start : end if end != -1 else len(page)]


_GATE_ROW = re.compile(
    r"<tr><td>(\w+)</td><td class=\"(?:pass|fail)\">(PASS|FAIL)</td>"
    r"<td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>"
)


def test_gates_are_the_platforms_and_read_as_decided() -> None:
    ev = _evaluation(True)
    auc, champion_auc = ev["challenger"]["metrics"]["auc"], ev["champion"]["metrics"]["auc"]
    benchmark_auc = ev["benchmark"]["metrics"]["auc"]
    assert auc < 0.70 and 0 < champion_auc - auc < 0.01  # what the fixture promises
    assert benchmark_auc - auc > 0.01
    rows = _GATE_ROW.findall(_section(report.render_evaluation_html(ev), "Gates"))
    assert [row[0] for row in rows] == list(GATE_NAMES)
    assert rows == [
        ("min_auc", "FAIL", f"{auc:.4f}", "0.7000",
         f"OOT AUC {auc:.4f} must be at least 0.7000"),
        ("auc_vs_champion", "PASS", f"{auc - champion_auc:.4f}", "0.0100",
         f"OOT AUC {auc:.4f} vs champion {champion_auc:.4f} on the same rows: may be at most "
         "0.0100 lower"),
        ("score_psi", "PASS", "0.0310", "0.2500",
         "score PSI training vs OOT 0.0310 must be below 0.2500"),
        ("auc_vs_benchmark", "FAIL", f"{auc - benchmark_auc:.4f}", "0.0100",
         f"OOT AUC {auc:.4f} vs logistic-regression benchmark {benchmark_auc:.4f} on the same "
         "rows: may be at most 0.0100 lower"),
        ("adverse_impact_ratio", "FAIL", "0.7778", "0.8000",
         "lowest adverse impact ratio 0.7778 (age_band 18-24 vs 25-34) must be at least 0.8000"),
    ]  # fmt: skip
    page = report.render_evaluation_html(ev)
    assert "2 of 5 gates passed" in page
    assert '<strong class="rejected">REJECTED</strong>' in page


def test_first_model_gates_say_there_is_no_champion() -> None:
    ev = _evaluation(False)
    rows = _GATE_ROW.findall(_section(report.render_evaluation_html(ev), "Gates"))
    assert [(name, verdict, observed) for name, verdict, observed, *_ in rows] == [
        ("min_auc", "FAIL", f"{ev['challenger']['metrics']['auc']:.4f}"),
        ("auc_vs_champion", "PASS", "n/a"),
        ("score_psi", "PASS", "0.0310"),
        ("auc_vs_benchmark", "FAIL", f"{ev['benchmark']['auc_gap']:.4f}"),
        ("adverse_impact_ratio", "FAIL", "0.7778"),
    ]
    assert rows[1][4] == "no champion yet: the first model only needs the absolute gates"


def test_strings_are_escaped() -> None:
    page = report.render_evaluation_html(_evaluation(True))
    assert "&lt;script&gt;" in page
    assert "<script>" not in page


def test_metrics_table_formats_and_champion_column() -> None:
    ev = _evaluation(True)
    page = report.render_evaluation_html(ev)
    assert f"{ev['challenger']['metrics']['auc']:.4f}" in page
    assert f"{ev['champion']['metrics']['auc']:.4f}" in page
    assert "Champion v2" in page and "Challenger − champion" in page
    assert " pp<" in page  # rate differences are in percentage points
    assert "REJECTED" in page


def test_without_champion_says_so() -> None:
    page = report.render_evaluation_html(_evaluation(False))
    assert "No champion in service" in page
    assert "<th>Champion" not in page
    assert "NOT RECORDED" in page


def test_csi_flags_and_top_20_importance() -> None:
    page = report.render_evaluation_html(_evaluation(True))
    assert re.search(r"income</td><td>0\.0200</td><td class=\"stable\">stable", page)
    assert re.search(r"utilisation</td><td>0\.1400</td><td class=\"watch\">watch", page)
    assert re.search(r"&lt;script&gt;</td><td>0\.3100</td><td class=\"shifted\">shifted", page)
    assert "tenure</td><td>n/a</td>" in page
    assert "feature_18" in page and "feature_19" not in page  # <script> takes rank 1 of 20


def test_json_is_stable_and_nan_becomes_null() -> None:
    ev = _evaluation(True)
    text = report.evaluation_to_json(ev)
    assert text == report.evaluation_to_json(ev)
    assert "NaN" not in text
    loaded = json.loads(text)
    assert loaded["csi"]["tenure"] is None
    assert [g["name"] for g in loaded["gates"]] == list(GATE_NAMES)
    assert loaded["gates"][0]["passed"] is False and loaded["gates"][2]["passed"] is True
    assert loaded["gates"][2]["observed"] == pytest.approx(0.031)
    assert json.loads(report.evaluation_to_json(_evaluation(False)))["gates"][1]["observed"] is None
    assert loaded["challenger"]["score_psi"] == pytest.approx(0.031)
    assert loaded["feature_importance"][0]["split"] == 40
    assert list(loaded) == sorted(loaded)
    # Round trip: dumping the loaded record again gives the same text.
    assert report.evaluation_to_json(loaded) == text


_LIFT_ROW = re.compile(
    r"<tr><td>(\d+)</td><td>([\d,]+)</td><td>([^<]*)</td><td>([\d,]+)</td><td>([^<]*)</td>"
    r"<td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>"
)


@pytest.mark.parametrize("with_champion", [True, False])
def test_lift_table_shows_every_decile_riskiest_first(with_champion: bool) -> None:
    ev = _evaluation(with_champion)
    section = _section(report.render_evaluation_html(ev), "Lift by score decile")
    models = [("challenger v3", ev["challenger"])]
    models += [("champion v2", ev["champion"])] if with_champion else []
    blocks = section.split("<h3>")[1:]
    assert [b.split("</h3>")[0] for b in blocks] == [title for title, _ in models]
    for block, (_, result) in zip(blocks, models, strict=True):
        table = result["lift_by_decile"]
        assert len(table) == 10
        expected = [
            (str(r["decile"]), f"{r['n']:,}", f"{r['min_score']:.4f}–{r['max_score']:.4f}",
             f"{r['bads']:,}", f"{100 * r['bad_rate']:.2f} %",
             f"{100 * r['cumulative_bads_share']:.1f} %", f"{r['lift']:.2f}×",
             f"{100 * r['mean_predicted']:.2f} %")
            for r in table
        ]  # fmt: skip
        assert _LIFT_ROW.findall(block) == expected
        # Riskiest first: the first row holds the highest scores and the most lift.
        assert table[0]["min_score"] > table[-1]["max_score"]
        assert table[0]["lift"] > 1 > table[-1]["lift"]
        assert expected[-1][5] == "100.0 %"


def test_lift_table_is_in_the_json_record() -> None:
    ev = _evaluation(True)
    loaded = json.loads(report.evaluation_to_json(ev))
    for side in ("challenger", "champion"):
        assert loaded[side]["lift_by_decile"] == ev[side]["lift_by_decile"]
        assert loaded[side]["calibration"] == ev[side]["calibration"]  # kept beside it


def test_a_record_from_before_the_lift_table_still_renders() -> None:
    ev = _evaluation(True)
    for side in ("challenger", "champion"):
        del ev[side]["lift_by_decile"]
    page = report.render_evaluation_html(ev)
    section = _section(page, "Lift by score decile")
    assert section.count("Not in this evaluation record.") == 2
    assert "Calibration by score decile" in page
    assert "lift_by_decile" not in json.loads(report.evaluation_to_json(ev))["challenger"]


def _passed(with_champion: bool = True) -> report.Evaluation:
    """A record whose gates all passed, as core.evaluation leaves it: awaiting deployment."""
    ev = _evaluation(with_champion)
    ev["gates"] = [{**g, "passed": True} for g in ev["gates"]]
    return {**ev, "passed": True, "decision": "pending"}


def test_a_version_awaiting_deployment_says_so_not_pending() -> None:
    page = report.render_evaluation_html(_passed())
    assert '<strong class="pending">AWAITING THE DEPLOYMENT DECISION</strong>' in page
    assert "PENDING" not in page
    assert "stopped before deployment" in page


@pytest.mark.parametrize("previous", [2, None])
def test_the_deployment_decision_completes_the_record(previous: int | None) -> None:
    deployment: report.Deployment = {
        "champion_since": "2026-11-30T08:15:00+00:00",
        "promoted_by": "dagster run 0f6d1c2e",
        "previous_champion_version": previous,
        "reason": "v3 passed every promotion gate: <all of them>",
        "recorded_by_run": "0f6d1c2e",
    }
    awaiting = _passed(previous is not None)
    completed = report.with_promotion(awaiting, deployment)
    assert awaiting["decision"] == "pending"  # the record given is left as it was
    loaded = json.loads(report.evaluation_to_json(completed))
    assert loaded["decision"] == "promoted" and loaded["deployment"] == deployment
    page = report.render_evaluation_html(completed)
    assert '<strong class="promoted">PROMOTED</strong>' in page and "AWAITING" not in page
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]*)</td></tr>", page))
    assert rows["Champion since"] == "2026-11-30T08:15:00+00:00"
    assert rows["Promoted by"] == "dagster run 0f6d1c2e"
    assert rows["Recorded by"] == "0f6d1c2e"
    assert rows["Previous champion"] == ("v2" if previous else "none (first champion)")
    assert rows["Reason on record"] == "v3 passed every promotion gate: &lt;all of them&gt;"


def test_a_rejected_record_cannot_be_completed_as_promoted() -> None:
    rejected = _evaluation(True)
    with pytest.raises(ValueError, match="v3 was rejected by its gates"):
        report.with_promotion(rejected, {})  # type: ignore[typeddict-item]
    with pytest.raises(ValueError, match="no reviewer decides on it"):
        report.with_review(rejected, {"reviewer": None, "note": None, "decided_at": None})


def test_an_override_completes_a_rejected_record_as_an_override() -> None:
    rejected = _evaluation(True)
    override: report.Override = {
        "approver": "carol",
        "reason": "the only model for <new> product",
        "failed_gates": ["OOT AUC 0.65 must be at least 0.70"],
    }
    deployment: report.Deployment = {
        "champion_since": "2026-11-30T08:15:00+00:00",
        "promoted_by": "carol",
        "previous_champion_version": 2,
        "reason": "override: the only model",
        "recorded_by_run": "override by carol",
        "override": override,
    }

    completed = report.with_promotion(rejected, deployment)

    assert completed["decision"] == "override"
    page = report.render_evaluation_html(completed)
    assert "PROMOTED BY OVERRIDE OF A FAILED GATE" in page
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]*)</td></tr>", page))
    assert rows["Override approved by"] == "carol"
    assert rows["Override reason"] == "the only model for &lt;new&gt; product"
    assert rows["Gates it failed"] == "OOT AUC 0.65 must be at least 0.70"


def test_a_reviewer_awaited_then_rejecting_reads_so() -> None:
    awaiting = report.with_review(_passed(), {"reviewer": None, "note": None, "decided_at": None})
    assert awaiting["decision"] == "pending_approval"
    page = report.render_evaluation_html(awaiting)
    assert "AWAITING A REVIEWER&#x27;S APPROVAL" in page or "AWAITING A REVIEWER'S APPROVAL" in page
    assert "AWAITING THE DEPLOYMENT DECISION" not in page

    review = {"reviewer": "bob", "note": "AIR <0.8", "decided_at": "2026-11-30T09:00:00+00:00"}
    rejected = report.with_review(awaiting, review)
    assert rejected["decision"] == "rejected_by_reviewer"
    page = report.render_evaluation_html(rejected)
    assert "REJECTED BY A REVIEWER" in page
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]*)</td></tr>", page))
    assert rows["Rejected by"] == "bob" and rows["Note"] == "AIR &lt;0.8"
    # An approval then promotes it: the review gives way to the deployment.
    approved = report.with_promotion(
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


def _rows(section: str) -> list[list[str]]:
    """Each table row of a section as its cells' text (classes dropped)."""
    return [
        re.findall(r"<td(?: class=\"[^\"]*\")?>([^<]*)</td>", row)
        for row in re.findall(r"<tr><td.*?</tr>", section)
    ]


def test_the_benchmark_stands_beside_challenger_and_champion() -> None:
    ev = _evaluation(True)
    page = report.render_evaluation_html(ev)
    metrics_table = _section(page, "Challenger vs champion and benchmark")
    assert "<th>Benchmark (logistic regression)</th><th>Challenger − benchmark</th>" in (
        metrics_table
    )
    auc_row = next(r for r in _rows(metrics_table) if r[0] == "AUC")
    bench = ev["benchmark"]["metrics"]["auc"]
    assert auc_row[4:] == [f"{bench:.4f}", f"{ev['challenger']['metrics']['auc'] - bench:+.4f}"]
    psi_row = next(r for r in _rows(metrics_table) if r[0].startswith("Score PSI"))
    assert psi_row[4:] == ["n/a", "n/a"]  # the benchmark is not scored on training rows
    section = _section(page, "Benchmark model")
    assert "&lt;C=1.0&gt; on 6,000 rows" in section and "<C=1.0>" not in section
    assert f"{ev['benchmark']['auc_gap']:+.4f}" in section
    coefficients = _rows(section.split("Largest coefficients")[1])
    assert coefficients[:2] == [["1", "x0", "+1.0000"], ["2", "x1", "-0.5000"]]
    assert len(coefficients) == 20
    assert section.count("<svg") == 1  # its calibration
    alone = report.render_evaluation_html(_evaluation(False))
    assert "<th>Benchmark (logistic regression)</th>" in alone


def test_fairness_lists_every_group_with_its_ratio() -> None:
    section = _section(report.render_evaluation_html(_evaluation(True)), "Fairness")
    assert "<h3>age_band</h3>" in section and "cutoff 0.1500" in section
    assert "Reference group: 25-34; lowest ratio: 0.7778." in section
    assert _rows(section) == [
        ["18-24", "100", "70", "70.0 %", "0.7778", "below 4/5"],
        ["25-34", "100", "90", "90.0 %", "1.0000", "reference"],
        ["65+", "0", "0", "n/a", "n/a", "n/a"],
        ["missing", "5", "5", "100.0 %", "1.1111", "no value: not screened"],
    ]
    assert '<td class="fail">below 4/5</td>' in section


def test_applicants_without_a_value_are_never_marked_below_the_screen() -> None:
    """The gate leaves them out, so the page must not show them failing it."""
    groups = pd.Series(["A"] * 100 + ["B"] * 100 + [None] * 20, dtype=object)
    approved = np.r_[np.arange(100) < 80, np.arange(100) < 70, np.arange(20) < 5]
    block = fairness.adverse_impact(groups, approved, ["A", "B"])
    ev = _evaluation(True)
    ev["fairness"] = {"cutoff": 0.15, "attributes": {"band": block}}
    section = _section(report.render_evaluation_html(ev), "Fairness")
    assert _rows(section)[-1] == [
        "missing",
        "20",
        "5",
        "25.0 %",
        "0.3125",
        "no value: not screened",
    ]
    assert "fail" not in section


def test_reason_codes_show_frequency_fidelity_and_unreviewed_features() -> None:
    section = _section(report.render_evaluation_html(_evaluation(True)), "Adverse-action")
    assert "512 of 4,000 out-of-time applications are declined at the cutoff 0.1500" in section
    assert "Fidelity: <strong>87.5 %</strong> of 512 declines." in section
    assert "without a reviewed reason statement" in section
    assert "<strong>hour_of_day</strong>" in section
    # Statements are the lender's words: escaped like every other string.
    assert "Debt &lt;high&gt; &amp; rising" in section and "<high>" not in section
    rows = _rows(section)
    assert rows[:3] == [
        ["bureau_score", "Credit bureau score is too low", "90.0 %", "99.0 %"],
        ["debt_to_income", "Debt &lt;high&gt; &amp; rising", "10.0 %", "50.0 %"],
        ["hour_of_day", "Local hour of the application. (unreviewed)", "0.0 %", "25.0 %"],
    ]
    assert rows[3:] == [
        ["20260901-0000007", "0.3100",
         "Credit bureau score is too low (+0.520); Debt &lt;high&gt; &amp; rising (+0.110)"],
        ["20260901-0000019", "0.1700", "none"],
    ]  # fmt: skip
    reviewed = _evaluation(True)
    for statement in reviewed["reason_codes"]["statements"].values():
        statement["reviewed"] = True
    page = report.render_evaluation_html(reviewed)
    assert "Every model feature has a reviewed reason statement." in page


def test_a_record_from_before_benchmark_fairness_and_reasons_still_renders() -> None:
    ev = _evaluation(True)
    for key in ("benchmark", "fairness", "reason_codes"):
        del ev[key]
    ev["gates"] = ev["gates"][:3]
    page = report.render_evaluation_html(ev)
    for heading in ("Benchmark model", "Fairness", "Adverse-action"):
        assert "Not in this evaluation record." in _section(page, heading)
    assert "<h2>Challenger vs champion (same out-of-time rows)" in page


def test_an_unset_gate_reads_not_set() -> None:
    ev = _evaluation(False)
    unset = GATES.model_copy(update={"min_adverse_impact_ratio": None})
    ev["gates"] = [
        g.as_dict()
        for g in evaluate_gates(unset, 0.75, None, 0.02, 0.7, (0.5, "age_band 18-24 vs 65+"))
    ]
    rows = _GATE_ROW.findall(_section(report.render_evaluation_html(ev), "Gates"))
    assert rows[4] == (
        "adverse_impact_ratio", "PASS", "0.5000", "not set",
        "lowest adverse impact ratio 0.5000 (age_band 18-24 vs 65+); not set: reported only",
    )  # fmt: skip


def test_the_new_blocks_round_trip_through_json() -> None:
    ev = _evaluation(True)
    loaded = json.loads(report.evaluation_to_json(ev))
    assert loaded["fairness"]["attributes"]["age_band"]["groups"][2] == {
        "group": "65+", "n": 0, "approved": 0, "approval_rate": None,
        "adverse_impact_ratio": None, "missing_value": False,
    }  # fmt: skip
    assert loaded["reason_codes"] == ev["reason_codes"]
    assert loaded["benchmark"]["coefficients"] == ev["benchmark"]["coefficients"]
    assert loaded["benchmark"]["auc_gap"] == pytest.approx(ev["benchmark"]["auc_gap"])
