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


def _model_result(seed: int, shift: float) -> report.ModelResult:
    rng = np.random.default_rng(seed)
    score = np.clip(rng.beta(2, 12, 4_000) + shift, 0.001, 0.999)
    y = (rng.random(4_000) < score).astype(int)
    return {
        "metrics": metrics.discrimination_summary(y, score),
        "calibration": metrics.calibration_by_decile(y, score).to_dict("records"),
        "score_psi": np.float64(0.031),
    }


def _evaluation(with_champion: bool) -> report.Evaluation:
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
        "challenger": _model_result(1, 0.0),
        "champion": _model_result(2, 0.01) if with_champion else None,
        "csi": {"income": 0.02, "utilisation": 0.14, "<script>": 0.31, "tenure": float("nan")},
        "feature_importance": [
            {"feature": f"feature_{i}", "gain": 1000.0 / (i + 1), "split": np.int64(40 - i)}
            for i in range(25)
        ]
        + [{"feature": "<script>", "gain": 5_000.0, "split": 3}],
        "gates": [
            {
                "name": "auc_floor",
                "passed": True,
                "observed": 0.74,
                "threshold": 0.70,
                "description": "AUC on the out-of-time window is at least 0.70",
            },
            {
                "name": "no_worse_than_champion",
                "passed": np.bool_(False),
                "observed": -0.012,
                "threshold": -0.005,
                "description": "AUC drop vs champion within 0.005 & no more",
            },
            {
                "name": "score_psi",
                "passed": True,
                "observed": np.float64("nan"),
                "threshold": 0.25,
                "description": "Score PSI below 0.25",
            },
        ],
    }
    if with_champion:
        evaluation["decision"] = "rejected"
    return evaluation


@pytest.mark.parametrize("with_champion", [True, False])
def test_html_has_every_section_and_is_self_contained(with_champion: bool) -> None:
    page = report.render_evaluation_html(_evaluation(with_champion))
    assert page.startswith("<!DOCTYPE html>")
    assert "credit_default version 3" in page
    for heading in ["Provenance", "Gates", "Calibration", "Feature stability", "importance"]:
        assert heading in page
    assert "ab" * 32 in page and "2026-09-01 to 2026-10-15" in page
    assert page.count("<svg") == (2 if with_champion else 1)
    # No scripts and no external resources: the page must render from the archive alone.
    assert "<script" not in page
    assert not re.search(r"(src|href)=", page)
    assert "http" not in page


def test_gates_show_pass_and_fail() -> None:
    page = report.render_evaluation_html(_evaluation(True))
    for name, verdict in [
        ("auc_floor", "PASS"),
        ("no_worse_than_champion", "FAIL"),
        ("score_psi", "PASS"),
    ]:
        assert re.search(rf"<td>{name}</td><td class=\"\w+\">{verdict}</td>", page), name
    assert "2 of 3 gates passed" in page
    assert "within 0.005 &amp; no more" in page


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
    assert loaded["gates"][2]["observed"] is None
    assert loaded["gates"][1]["passed"] is False
    assert loaded["challenger"]["score_psi"] == pytest.approx(0.031)
    assert loaded["feature_importance"][0]["split"] == 40
    assert list(loaded) == sorted(loaded)
    # Round trip: dumping the loaded record again gives the same text.
    assert report.evaluation_to_json(loaded) == text
