"""Tests of ml_platform_assets.pages.evaluation: the HTML evaluation page of a record.

The records are built with the real metrics functions on synthetic scores, as the evaluation
asset builds them (``tests/evaluation_records.py``).
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pandas as pd
import pytest

from ml_platform_assets.core import fairness
from ml_platform_assets.core.evaluation_record import with_promotion, with_review
from ml_platform_assets.core.gates import GATE_NAMES, evaluate_gates
from ml_platform_assets.pages.charts import CALIBRATION
from ml_platform_assets.pages.evaluation import render_evaluation_html
from tests.evaluation_records import GATES, evaluation, override_promotion, passed, promotion
from tests.pages.charts_markup import series, svg

HOSTILE = "<script>alert('x')</script>"


def _section(page: str, heading: str) -> str:
    """The page from ``heading``'s <h2> to the next one."""
    start = page.index(f"<h2>{heading}")
    end = page.find("<h2>", start + 1)
    return page[start : end if end != -1 else len(page)]


def _rows(section: str) -> list[list[str]]:
    """Each table row of a section as its cells' text (classes dropped)."""
    return [
        re.findall(r"<td(?: class=\"[^\"]*\")?>([^<]*)</td>", row)
        for row in re.findall(r"<tr><td.*?</tr>", section)
    ]


@pytest.mark.parametrize("with_champion", [True, False])
def test_html_has_every_section_and_is_self_contained(with_champion: bool) -> None:
    page = render_evaluation_html(evaluation(with_champion))
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert "credit_default version 3" in page
    headings = ["Provenance", "Gates", "Calibration", "Lift by score decile", "Feature stability"]
    headings += ["Benchmark model", "Fairness", "Adverse-action reason codes"]
    for heading in [*headings, "importance"]:
        assert heading in page
    assert "ab" * 32 in page and "2026-09-01 to 2026-10-15" in page
    # One chart: the calibration of every model, a point per decile.
    assert page.count("<svg") == 1
    models = ["Challenger v3", *(["Champion v2"] if with_champion else [])]
    models.append("Benchmark (logistic regression)")
    assert series(svg(page, CALIBRATION)) == dict.fromkeys(models, 10)
    # No scripts and no external resources: the page must render from the archive alone.
    assert "<script" not in page
    assert not re.search(r"(src|href)=", page)
    assert "http" not in page


def test_the_calibration_chart_draws_each_decile_where_the_record_puts_it() -> None:
    ev = evaluation(True)
    chart = svg(render_evaluation_html(ev), CALIBRATION)
    assert f"<title>{CALIBRATION}</title>" in chart
    # Each point's title says what it is; the diagonal is perfect calibration.
    first = ev["challenger"]["calibration"][0]
    assert (
        f"Challenger v3, decile 1: mean predicted {100 * first['mean_predicted']:.2f} %, "
        f"observed {100 * first['observed_bad_rate']:.2f} %"
    ) in chart
    assert "perfect calibration" in chart
    # Points lie on a shared scale: a larger prediction is further right.
    xs = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', chart)[:10]]
    assert xs == sorted(xs)


_GATE_ROW = re.compile(
    r"<tr><td>(\w+)</td><td class=\"(?:pass|fail)\">(PASS|FAIL)</td>"
    r"<td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>"
)


def test_gates_are_the_platforms_and_read_as_decided() -> None:
    ev = evaluation(True)
    auc, champion_auc = ev["challenger"]["metrics"]["auc"], ev["champion"]["metrics"]["auc"]
    benchmark_auc = ev["benchmark"]["metrics"]["auc"]
    assert auc < 0.70 and 0 < champion_auc - auc < 0.01  # what the fixture promises
    assert benchmark_auc - auc > 0.01
    rows = _GATE_ROW.findall(_section(render_evaluation_html(ev), "Gates"))
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
    page = render_evaluation_html(ev)
    assert "2 of 5 gates passed" in page
    assert '<strong class="rejected">REJECTED</strong>' in page


def test_first_model_gates_say_there_is_no_champion() -> None:
    ev = evaluation(False)
    rows = _GATE_ROW.findall(_section(render_evaluation_html(ev), "Gates"))
    assert [(name, verdict, observed) for name, verdict, observed, *_ in rows] == [
        ("min_auc", "FAIL", f"{ev['challenger']['metrics']['auc']:.4f}"),
        ("auc_vs_champion", "PASS", "n/a"),
        ("score_psi", "PASS", "0.0310"),
        ("auc_vs_benchmark", "FAIL", f"{ev['benchmark']['auc_gap']:.4f}"),
        ("adverse_impact_ratio", "FAIL", "0.7778"),
    ]
    assert rows[1][4] == "no champion yet: the first model only needs the absolute gates"


def test_strings_are_escaped() -> None:
    page = render_evaluation_html(evaluation(True))
    assert "&lt;script&gt;" in page
    assert "<script>" not in page


def test_hostile_strings_from_every_part_of_the_record_are_escaped() -> None:
    """A feature, a group, an attribute, a statement, a reviewer's note and the model's own
    name holding markup all read as text."""
    ev = with_review(passed(), {"reviewer": HOSTILE, "note": HOSTILE, "decided_at": HOSTILE})
    ev["model"] = HOSTILE
    ev["csi"][HOSTILE] = 0.5
    ev["feature_importance"].append({"feature": HOSTILE, "gain": 9e9, "split": 1})
    ev["benchmark"]["coefficients"][0]["feature"] = HOSTILE
    block = ev["fairness"]["attributes"].pop("age_band")
    block["groups"][0]["group"] = HOSTILE
    ev["fairness"]["attributes"][HOSTILE] = block
    ev["reason_codes"]["frequency"][0]["statement"] = HOSTILE
    ev["reason_codes"]["fidelity"]["definition"] = HOSTILE
    ev["reason_codes"]["examples"][0]["application_id"] = HOSTILE
    page = render_evaluation_html(ev)
    assert "<script" not in page.lower() and "alert('x')" not in page
    assert page.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") >= 12


def test_the_same_record_renders_the_same_bytes() -> None:
    ev = evaluation(True)
    first = render_evaluation_html(ev).encode()
    assert render_evaluation_html(copy.deepcopy(ev)).encode() == first
    assert render_evaluation_html(ev).encode() == first


def test_metrics_table_formats_and_champion_column() -> None:
    ev = evaluation(True)
    page = render_evaluation_html(ev)
    assert f"{ev['challenger']['metrics']['auc']:.4f}" in page
    assert f"{ev['champion']['metrics']['auc']:.4f}" in page
    assert "Champion v2" in page and "Challenger − champion" in page
    assert " pp<" in page  # rate differences are in percentage points
    assert "REJECTED" in page


def test_without_champion_says_so() -> None:
    page = render_evaluation_html(evaluation(False))
    assert "No champion in service" in page
    assert "<th>Champion" not in page
    assert '<strong class="rejected">REJECTED</strong>' in page


def test_csi_flags_and_top_20_importance() -> None:
    page = render_evaluation_html(evaluation(True))
    assert re.search(r"income</td><td>0\.0200</td><td class=\"stable\">stable", page)
    assert re.search(r"utilisation</td><td>0\.1400</td><td class=\"watch\">watch", page)
    assert re.search(r"&lt;script&gt;</td><td>0\.3100</td><td class=\"shifted\">shifted", page)
    assert "tenure</td><td>n/a</td>" in page
    assert "feature_18" in page and "feature_19" not in page  # <script> takes rank 1 of 20


_LIFT_ROW = re.compile(
    r"<tr><td>(\d+)</td><td>([\d,]+)</td><td>([^<]*)</td><td>([\d,]+)</td><td>([^<]*)</td>"
    r"<td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>"
)


@pytest.mark.parametrize("with_champion", [True, False])
def test_lift_table_shows_every_decile_riskiest_first(with_champion: bool) -> None:
    ev = evaluation(with_champion)
    section = _section(render_evaluation_html(ev), "Lift by score decile")
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


def test_a_version_awaiting_deployment_says_so_not_pending() -> None:
    page = render_evaluation_html(passed())
    assert '<strong class="pending">AWAITING THE DEPLOYMENT DECISION</strong>' in page
    assert "PENDING" not in page
    assert "stopped before deployment" in page


@pytest.mark.parametrize("previous", [2, None])
def test_a_promoted_record_reads_who_when_and_why(previous: int | None) -> None:
    deployment = promotion(previous)
    page = render_evaluation_html(with_promotion(passed(previous is not None), deployment))
    assert '<strong class="promoted">PROMOTED</strong>' in page and "AWAITING" not in page
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]*)</td></tr>", page))
    assert rows["Champion since"] == "2026-11-30T08:15:00+00:00"
    assert rows["Promoted by"] == "dagster run 0f6d1c2e"
    assert rows["Recorded by"] == "0f6d1c2e"
    assert rows["Previous champion"] == ("v2" if previous else "none (first champion)")
    assert rows["Reason on record"] == "v3 passed every promotion gate: &lt;all of them&gt;"


def test_an_override_reads_who_allowed_it_and_why() -> None:
    page = render_evaluation_html(with_promotion(evaluation(True), override_promotion()))
    assert "PROMOTED BY OVERRIDE OF A FAILED GATE" in page
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]*)</td></tr>", page))
    assert rows["Override approved by"] == "carol"
    assert rows["Override reason"] == "the only model for &lt;new&gt; product"
    assert rows["Gates it failed"] == "OOT AUC 0.65 must be at least 0.70"


def test_a_reviewer_awaited_then_rejecting_reads_so() -> None:
    awaiting = with_review(passed(), {"reviewer": None, "note": None, "decided_at": None})
    page = render_evaluation_html(awaiting)
    assert "AWAITING A REVIEWER'S APPROVAL" in page
    assert "AWAITING THE DEPLOYMENT DECISION" not in page

    review = {"reviewer": "bob", "note": "AIR <0.8", "decided_at": "2026-11-30T09:00:00+00:00"}
    page = render_evaluation_html(with_review(awaiting, review))
    assert "REJECTED BY A REVIEWER" in page
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]*)</td></tr>", page))
    assert rows["Rejected by"] == "bob" and rows["Note"] == "AIR &lt;0.8"


def test_the_benchmark_stands_beside_challenger_and_champion() -> None:
    ev = evaluation(True)
    page = render_evaluation_html(ev)
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
    # Its calibration table is here; its curve is in the calibration chart beside the others.
    first = ev["benchmark"]["calibration"][0]
    assert "<h3>benchmark</h3>" in section
    assert f"{100 * first['observed_bad_rate']:.2f} %" in section
    assert "Benchmark (logistic regression)" in series(svg(page, CALIBRATION))
    alone = render_evaluation_html(evaluation(False))
    assert "<th>Benchmark (logistic regression)</th>" in alone


def test_fairness_lists_every_group_with_its_ratio() -> None:
    section = _section(render_evaluation_html(evaluation(True)), "Fairness")
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
    ev = evaluation(True)
    ev["fairness"] = {"cutoff": 0.15, "attributes": {"band": block}}
    section = _section(render_evaluation_html(ev), "Fairness")
    assert _rows(section)[-1] == [
        "missing",
        "20",
        "5",
        "25.0 %",
        "0.3125",
        "no value: not screened",
    ]
    assert "fail" not in section


def test_a_spec_without_protected_attributes_says_so() -> None:
    ev = evaluation(True)
    ev["fairness"]["attributes"] = {}
    section = _section(render_evaluation_html(ev), "Fairness")
    assert "The spec declares no protected attribute." in section and "<table>" not in section


def test_reason_codes_show_frequency_fidelity_and_unreviewed_features() -> None:
    section = _section(render_evaluation_html(evaluation(True)), "Adverse-action")
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
    reviewed = evaluation(True)
    for statement in reviewed["reason_codes"]["statements"].values():
        statement["reviewed"] = True
    page = render_evaluation_html(reviewed)
    assert "Every model feature has a reviewed reason statement." in page


def test_a_sample_of_the_declines_is_named_a_sample() -> None:
    ev = evaluation(True)
    ev["reason_codes"] |= {"explained": 300, "without_reason": 2}
    section = _section(render_evaluation_html(ev), "Adverse-action")
    assert "the reasons of 300 (a seeded sample) were computed" in section
    assert "Declines without any reason: 2." in section


def test_an_unset_gate_reads_not_set() -> None:
    ev = evaluation(False)
    unset = GATES.model_copy(update={"min_adverse_impact_ratio": None})
    ev["gates"] = [
        g.as_dict()
        for g in evaluate_gates(unset, 0.75, None, 0.02, 0.7, (0.5, "age_band 18-24 vs 65+"))
    ]
    rows = _GATE_ROW.findall(_section(render_evaluation_html(ev), "Gates"))
    assert rows[4] == (
        "adverse_impact_ratio", "PASS", "0.5000", "not set",
        "lowest adverse impact ratio 0.5000 (age_band 18-24 vs 65+); not set: reported only",
    )  # fmt: skip
