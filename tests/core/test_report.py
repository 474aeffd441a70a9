"""Tests of ml_platform_assets.core.report: the HTML evaluation page and the JSON record.

The evaluation dicts are built with the real metrics functions on synthetic scores, as the
evaluation asset will build them.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from ml_platform_assets.core import metrics, report
from ml_platform_assets.core.gates import GATE_NAMES, evaluate_gates
from ml_platform_assets.core.spec import load_specs

GATES = load_specs()["credit_default"].gates  # min AUC 0.70, drop ≤ 0.01, score PSI < 0.25


def _model_result(seed: int, shift: float) -> report.ModelResult:
    rng = np.random.default_rng(seed)
    score = np.clip(rng.beta(2, 12, 4_000) + shift, 0.001, 0.999)
    y = (rng.random(4_000) < score).astype(int)
    return {
        "metrics": metrics.discrimination_summary(y, score),
        "calibration": metrics.calibration_by_decile(y, score).to_dict("records"),
        "lift_by_decile": metrics.lift_by_decile(y, score).to_dict("records"),
        "score_psi": np.float64(0.031),
    }


def _evaluation(with_champion: bool) -> report.Evaluation:
    """A record as core.evaluation builds it: the challenger's AUC is about 0.691, below the
    spec's 0.70 floor, and the champion's about 0.697, within the 0.01 tolerance."""
    challenger = _model_result(1, 0.0)
    champion = _model_result(2, 0.01) if with_champion else None
    gates = evaluate_gates(
        GATES,
        auc=challenger["metrics"]["auc"],
        champion_auc=champion["metrics"]["auc"] if champion else None,
        score_psi=challenger["score_psi"],
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
    for heading in [*headings, "importance"]:
        assert heading in page
    assert "ab" * 32 in page and "2026-09-01 to 2026-10-15" in page
    assert page.count("<svg") == (2 if with_champion else 1)
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
    assert auc < 0.70 and 0 < champion_auc - auc < 0.01  # what the fixture promises
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
    ]  # fmt: skip
    page = report.render_evaluation_html(ev)
    assert "2 of 3 gates passed" in page
    assert '<strong class="rejected">REJECTED</strong>' in page


def test_first_model_gates_say_there_is_no_champion() -> None:
    ev = _evaluation(False)
    rows = _GATE_ROW.findall(_section(report.render_evaluation_html(ev), "Gates"))
    assert [(name, verdict, observed) for name, verdict, observed, *_ in rows] == [
        ("min_auc", "FAIL", f"{ev['challenger']['metrics']['auc']:.4f}"),
        ("auc_vs_champion", "PASS", "n/a"),
        ("score_psi", "PASS", "0.0310"),
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
    assert rows["Recorded by run"] == "0f6d1c2e"
    assert rows["Previous champion"] == ("v2" if previous else "none (first champion)")
    assert rows["Reason on record"] == "v3 passed every promotion gate: &lt;all of them&gt;"


def test_a_rejected_record_cannot_be_completed_as_promoted() -> None:
    rejected = _evaluation(True)
    with pytest.raises(ValueError, match="v3 was rejected by its gates"):
        report.with_promotion(rejected, {})  # type: ignore[typeddict-item]
