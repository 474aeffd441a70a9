"""Tests of ml_platform_assets.core.model_document: the model document as a reviewer reads it.

The evaluation records are built with the real metrics functions on synthetic scores, as the
evaluation asset builds them; the ledger records have the shape ``LedgerRecord.as_dict()``
gives. Cases: a champion with a full evaluation and every kind of decision, a model without a
champion, a record made before the benchmark, fairness and reason codes existed, a version never
evaluated, and an evaluation record missing from or changed in the store.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re

import numpy as np
import pytest

from ml_platform_assets.core import deciles, metrics
from ml_platform_assets.core.model_document import ModelDocument, render_model_document

SPEC = {
    "name": "credit_default",
    "description": "Probability of default for pay-over-time applications.",
    "owner": "team:credit-risk",
    "data_source": {"kind": "simulator", "seed": 7},
    "features": {
        "numeric": {
            "annual_income": {"min": 0, "max": 5e6, "description": "Income <b>as stated</b>",
                              "reason": "Level of income"},
            "bureau_score": {"min": 300, "max": 850, "description": "Bureau-like credit score.",
                             "reason": "Credit bureau score is too low"},
        },
        "derived": {"loan_to_income": {"ratio": ["loan_amount", "annual_income"],
                                       "description": "Amount financed over annual income."}},
        "categorical": {"merchant_category": {"values": ["electronics", "travel"],
                                              "description": "Merchant category.",
                                              "reason": "Type of purchase"}},
    },
    "protected_attributes": {"age_band": {"values": ["18-24", "45-54", "65+"],
                                          "description": "Applicant's age band."}},
    "monotone_constraints": {"bureau_score": "decreasing"},
    "windows": {"training_days": 60, "validation_days": 10, "oot_days": 14,
                "label_maturity_days": 30},
    "gates": {"min_auc": 0.6, "max_auc_drop_vs_champion": 0.01, "max_score_psi": 0.25},
    "decision": {"cutoff": 0.15},
}  # fmt: skip
HOSTILE = "<script>alert('x')</script>"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _result(seed: int, shift: float) -> dict:
    rng = np.random.default_rng(seed)
    score = np.clip(rng.beta(2, 12, 4_000) + shift, 0.001, 0.999)
    y = (rng.random(4_000) < score).astype(int)
    return {
        "metrics": metrics.discrimination_summary(y, score),
        "calibration": deciles.calibration_by_decile(y, score).to_dict("records"),
        "lift_by_decile": deciles.lift_by_decile(y, score).to_dict("records"),
        "score_psi": 0.031,
    }


def _evaluation(champion: bool) -> dict:
    challenger = _result(1, 0.0)
    bench = _result(3, 0.02)
    record = {
        "model": "credit_default",
        "version": 3,
        "champion_version": 2 if champion else None,
        "created_at": "2026-11-29T12:00:00+00:00",
        "windows": {"train_start": "2026-01-01", "train_end": "2026-08-31",
                    "oot_start": "2026-09-01", "oot_end": "2026-10-15"},
        "training_set_fingerprint": "ab" * 32,
        "model_sha256": "cd" * 32,
        "challenger": challenger,
        "champion": _result(2, 0.01) if champion else None,
        "benchmark": {
            "method": "logistic_regression",
            "description": f"L2-regularised logistic regression on 40,000 training rows {HOSTILE}",
            "train_rows": 40_000,
            "params": {"C": 1.0, "penalty": "l2"},
            "metrics": bench["metrics"],
            "calibration": bench["calibration"],
            "coefficients": [{"feature": "bureau_score", "coefficient": -0.8123},
                             {"feature": "merchant_category_travel", "coefficient": 0.4411}],
            "auc_gap": challenger["metrics"]["auc"] - bench["metrics"]["auc"],
        },
        "csi": {"bureau_score": 0.02, "debt_to_income": 0.14, "loan_amount": 0.31},
        "feature_importance": [{"feature": "bureau_score", "gain": 600.0, "split": 40},
                               {"feature": "debt_to_income", "gain": 400.0, "split": 30}],
        "fairness": {
            "cutoff": 0.15,
            "attributes": {"age_band": {"reference_group": "45-54", "min_ratio": 0.7312,
                "groups": [
                    {"group": "18-24", "n": 400, "approved": 250, "approval_rate": 0.625,
                     "adverse_impact_ratio": 0.7312},
                    {"group": "45-54", "n": 600, "approved": 513, "approval_rate": 0.855,
                     "adverse_impact_ratio": 1.0},
                    {"group": "65+", "n": 0, "approved": 0, "approval_rate": None,
                     "adverse_impact_ratio": None},
                    {"group": "missing", "n": 40, "approved": 10, "approval_rate": 0.25,
                     "adverse_impact_ratio": 0.2924, "missing_value": True},
                ]}},
        },
        "reason_codes": {
            "cutoff": 0.15, "top_n": 4, "scored": 4_000, "declined": 612, "explained": 612,
            "without_reason": 3,
            "statements": {"bureau_score": {"statement": "Credit bureau score is too low",
                                            "reviewed": True},
                           "hour_of_day": {"statement": "Local hour", "reviewed": False}},
            "frequency": [
                {"feature": "bureau_score", "statement": "Credit bureau score is too low",
                 "top_reason_share": 0.4216, "any_reason_share": 0.8333},
                {"feature": "hour_of_day", "statement": "Local hour",
                 "top_reason_share": 0.0523, "any_reason_share": 0.2111},
            ],
            "examples": [],
            "fidelity": {"definition": "Share of declines whose risk falls.", "share": 0.9137,
                         "n": 609},
        },
        "gates": [
            {"name": "min_auc", "passed": True, "observed": challenger["metrics"]["auc"],
             "threshold": 0.6, "description": "OOT AUC must be at least 0.6000"},
            {"name": "adverse_impact_ratio", "passed": True, "observed": 0.7312,
             "threshold": None, "description": "lowest ratio 0.7312; not set: reported only"},
        ],
        "passed": True,
        "decision": "pending",
    }  # fmt: skip
    return record


def _record(sequence: int, event: str, version: int | None, payload: dict, **extra) -> dict:
    return {
        "id": sequence,
        "model": "credit_default",
        "sequence": sequence,
        "version": version,
        "event_type": event,
        "actor": extra.get("actor", "dagster run 1234"),
        "created_at": f"2026-11-{sequence:02d}T10:00:00.000000Z",
        "payload": payload,
        "artifacts": extra.get("artifacts", []),
        "previous_sha256": _sha(f"record {sequence - 1}") if sequence > 1 else None,
        "record_sha256": _sha(f"record {sequence}"),
    }


def _move(id_: int, before: int | None, to: int, action: str = "promote", **extra) -> dict:
    return {"id": id_, "model": "credit_default", "alias": "champion", "from_version": before,
            "to_version": to, "reason": extra.get("reason", f"v{to} passed every gate"),
            "actor": extra.get("actor", "dagster run 1234"),
            "created_at": f"2026-11-{10 + id_:02d}T09:00:00+00:00", "action": action}  # fmt: skip


def _alias_payload(move: dict, **extra) -> dict:
    return {"registry_row": {"table": "alias_events", "id": move["id"]}, "row": move, **extra}


def _document(champion: bool = True) -> ModelDocument:
    """v3 of credit_default; with ``champion``, v1 and v2 served before it, v2 by an override,
    v3 was approved by a reviewer and is the champion now."""
    evaluation = _evaluation(champion)
    moves = [_move(1, None, 1), _move(2, 1, 2), _move(3, 2, 3, reason=f"approved: {HOSTILE}")]
    artifact = {"key": "credit_default/models/v3/model.txt", "sha256": "cd" * 32,
                "uri": "file:///store/credit_default/models/v3/model.txt"}  # fmt: skip
    ledger = [_record(1, "registered", 3, {}, artifacts=[artifact]),
              _record(2, "evaluated", 3, {"decision": "pending"})]  # fmt: skip
    if champion:
        ledger += [
            _record(3, "promoted", 1, _alias_payload(moves[0])),
            _record(4, "override", 2, _alias_payload(
                moves[1], approver="carol", override_reason="Regulator deadline",
                failed_gates=[{"name": "score_psi", "description": "score PSI 0.31 too high"}])),
            _record(5, "approved", 3, {"row": {"note": "Looks sound"}}, actor="dana"),
            _record(6, "promoted", 3, _alias_payload(moves[2]), actor="dana"),
        ]  # fmt: skip
    return ModelDocument(
        version={
            "model": "credit_default", "version": 3, "artifact_uri": artifact["uri"],
            "model_sha256": "cd" * 32, "training_set_fingerprint": "ab" * 32,
            "code_version": "features-v3; training_set-v2-abc; training-v4",
            "git_commit": "0123456789abcdef", "created_at": "2026-11-01T10:00:00+00:00",
            "status": "champion" if champion else "evaluated",
            "params": {"learning_rate": 0.08, "num_leaves": 31, "monotone_constraints": [1, -1]},
            "windows": {"as_of": "2026-11-14", "train_start": "2026-01-01",
                        "valid_start": "2026-08-22", "train_end": "2026-08-31",
                        "oot_start": "2026-09-01", "oot_end": "2026-10-15"},
            "metrics": evaluation["challenger"]["metrics"],
            "features": ["annual_income", "bureau_score", "loan_to_income", "merchant_category"],
            "spec": SPEC, "trained_by": "bob",
        },
        spec=SPEC,
        evaluation=evaluation,
        ledger=ledger,
        approvals=[{"model": "credit_default", "version": 3, "decision": "approved",
                    "reviewer": "dana", "note": f"Looks sound {HOSTILE}",
                    "created_at": "2026-11-05T10:00:00+00:00"}] if champion else [],
        champion_history=moves if champion else [],
        current_champion=3 if champion else None,
        generated_at="2026-12-01T08:00:00+00:00",
        recorded_evaluation={"report_uri": "file:///store/credit_default/reports/v3/evaluation.json",
                             "report_sha256": "ef" * 32, "created_at": "2026-11-02T10:00:00+00:00",
                             "metrics": evaluation["challenger"]["metrics"],
                             "gates": evaluation["gates"], "passed": True},
        evaluation_sha256="ef" * 32,
    )  # fmt: skip


def _section(page: str, anchor: str) -> str:
    found = re.search(rf'<section id="{anchor}">(.*?)</section>', page, re.S)
    assert found, f"no section {anchor}"
    return found.group(1)


def _images(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', page)]


def _assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page.lower()
    for tag in ("<link", "<iframe", "<object", "<embed", "@import", "url("):
        assert tag not in page.lower(), tag
    # Every reference is a data URI or an anchor inside the page: nothing to fetch.
    for ref in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert ref.startswith(("data:image/png;base64,", "#")), ref
    assert not re.search(r'(?:src|href)\s*=\s*["\']?https?:', page)


def test_a_champion_with_a_full_evaluation_documents_everything() -> None:
    doc = _document()
    page = render_model_document(doc)
    _assert_self_contained(page)
    ev = doc["evaluation"]

    purpose = _section(page, "purpose")
    assert "This version is the champion in service since 2026-11-13T09:00:00+00:00." in purpose
    assert "Probability of default for pay-over-time applications." in purpose
    assert "team:credit-risk" in purpose and "bob" in purpose
    provenance = _section(page, "provenance")
    for value in ("ab" * 32, "cd" * 32, "0123456789abcdef", "training_set-v2-abc", "2026-08-22"):
        assert value in provenance
    assert "The record read for this document has exactly that SHA-256." in provenance

    features = _section(page, "features")
    assert "Income &lt;b&gt;as stated&lt;/b&gt;" in features and "<b>" not in features
    assert "Credit bureau score is too low" in features and "decreasing" in features
    assert "Amount financed over annual income." in features  # a derived feature
    assert "none reviewed: the description stands in" in features  # it has no reason
    assert "60.0 %" in features  # bureau_score's share of gain: 600 of 1,000
    assert "age_band" in features  # protected, listed apart from the inputs
    assert "<td>0 to 5,000,000</td>" in features and "<td>electronics, travel</td>" in features

    performance = _section(page, "performance")
    for label, result in (("Challenger v3", ev["challenger"]), ("Champion v2", ev["champion"]),
                          ("Benchmark", ev["benchmark"])):  # fmt: skip
        assert label in performance
        assert f"{result['metrics']['auc']:.4f}" in performance
    gap = ev["challenger"]["metrics"]["auc"] - ev["benchmark"]["metrics"]["auc"]
    assert f"{gap:+.4f}" in performance  # the challenger − benchmark column

    calibration = _section(page, "calibration")
    first = ev["challenger"]["calibration"][0]
    assert f"{100 * first['observed_bad_rate']:.2f} %" in calibration
    assert calibration.count("<table>") == 3  # challenger, champion, benchmark
    lift = _section(page, "lift")
    assert f"{ev['challenger']['lift_by_decile'][0]['lift']:.2f}×" in lift
    images = _images(page)
    assert len(images) == 2  # the calibration and the gains plots
    assert all(image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 5_000 for image in images)

    stability = _section(page, "stability")
    assert stability.index("loan_amount") < stability.index("debt_to_income")  # largest first
    assert 'class="shifted"' in stability and 'class="watch"' in stability
    benchmark = _section(page, "benchmark")
    assert "L2-regularised logistic regression" in benchmark and "-0.8123" in benchmark
    fairness = _section(page, "fairness")
    assert "0.7312" in fairness and "62.5 %" in fairness and "Reference group: 45-54" in fairness
    assert "below 0.8000 (the four-fifths screen) are marked" in fairness
    assert '<td class="fail">below</td>' in fairness  # 18-24's 0.7312
    # Applicants without a band: listed, never marked against a gate that leaves them out.
    assert fairness.count('class="fail"') == 1 and "no value: not in the gate" in fairness
    reasons = _section(page, "reasons")
    assert "91.4 % of 609 declines" in reasons and "42.2 %" in reasons
    assert '<td class="fail">no</td>' in reasons  # the unreviewed statement is marked
    gates = _section(page, "gates")
    assert "2 of 2 gates passed." in gates and "adverse_impact_ratio" in gates

    decisions = _section(page, "decisions")
    assert "At evaluation: passed every gate. Status of the version now: champion." in decisions
    assert "dana" in decisions and "Looks sound &lt;script&gt;" in decisions
    assert "never put in service against a failed gate" in decisions  # v2's override, not v3's
    deployment = _section(page, "deployment")
    assert deployment.count("<tr>") == 4  # header and three moves, oldest first
    assert '<td class="override">override</td>' in deployment and "carol" in deployment
    assert '<td class="this">became champion</td>' in deployment
    assert '<td class="this">replaced</td>' not in deployment
    assert "approved: &lt;script&gt;" in deployment
    ledger = _section(page, "ledger")
    # The records about v3 are listed with their hashes, not those about other versions.
    listed = re.findall(r"<tr><td>#(\d+)</td><td>(\w+)</td>", ledger)
    assert listed == [("1", "registered"), ("2", "evaluated"), ("5", "approved"), ("6", "promoted")]
    for record in doc["ledger"]:
        if record["version"] == 3:
            assert f'<td class="hash">{record["record_sha256"]}</td>' in ledger
    assert "held 6 records; its head, record #6" in ledger
    assert "cd" * 32 in ledger  # the registration's artifact with its SHA-256


def test_an_override_is_documented_on_the_version_it_put_in_service() -> None:
    doc = _document()
    for record in doc["ledger"]:
        if record["event_type"] == "override":
            record["version"] = 3
    doc["champion_history"][1]["to_version"] = 3
    page = render_model_document(doc)
    decisions = _section(page, "decisions")
    assert "Regulator deadline" in decisions and "carol" in decisions
    assert "score PSI 0.31 too high" in decisions


def test_a_model_without_a_champion_says_so() -> None:
    doc = _document(champion=False)
    doc["spec"] = {**SPEC, "gates": {**SPEC["gates"], "min_adverse_impact_ratio": 0.7}}
    page = render_model_document(doc)
    _assert_self_contained(page)
    assert "No champion is in service for credit_default." in _section(page, "purpose")
    assert "credit_default has never had a champion." in _section(page, "deployment")
    performance = _section(page, "performance")
    assert "No champion was in service at evaluation" in performance
    assert "Champion v" not in performance and "Benchmark" in performance
    assert "No reviewer approved or rejected this version." in _section(page, "decisions")
    assert len(_images(page)) == 2
    fairness = _section(page, "fairness")
    assert "below 0.7000 (the spec&#x27;s gate) are marked" in fairness
    assert '<td class="pass">ok</td>' in fairness and '<td class="fail">' not in fairness


def test_a_record_made_before_benchmark_fairness_and_reasons_renders() -> None:
    doc = _document()
    for key in ("benchmark", "fairness", "reason_codes"):
        del doc["evaluation"][key]
    for result in (doc["evaluation"]["challenger"], doc["evaluation"]["champion"]):
        del result["lift_by_decile"]
    page = render_model_document(doc)
    _assert_self_contained(page)
    for anchor, what in (("benchmark", "benchmark model"), ("fairness", "fairness measurement"),
                         ("reasons", "reason codes"), ("lift", "lift table")):  # fmt: skip
        assert f"(made 2026-11-29T12:00:00+00:00) has no {what}: it predates" in _section(
            page, anchor
        )
    assert "Benchmark" not in _section(page, "performance")
    assert len(_images(page)) == 1  # calibration only
    assert "2 of 2 gates passed." in _section(page, "gates")


def test_a_version_never_evaluated_renders_what_is_known() -> None:
    doc = _document(champion=False)
    doc |= {"evaluation": None, "recorded_evaluation": None, "evaluation_sha256": None}
    doc["version"]["metrics"] = None
    page = render_model_document(doc)
    _assert_self_contained(page)
    never = "credit_default v3 was never evaluated: there are no out-of-time results on record."
    for anchor in ("performance", "calibration", "lift", "stability", "benchmark", "fairness",
                   "reasons", "gates"):  # fmt: skip
        assert never in _section(page, anchor), anchor
    assert not _images(page)
    assert "Credit bureau score is too low" in _section(page, "features")
    assert "At evaluation: none. Status of the version now: evaluated." in page
    assert "n/a" in _section(page, "features")  # no importance without an evaluation
    assert "ab" * 32 in _section(page, "provenance")


def test_an_evaluation_record_missing_or_changed_in_the_store_is_named() -> None:
    doc = _document()
    doc["evaluation_sha256"] = "00" * 32
    changed = render_model_document(doc)
    assert f"has SHA-256 {'00' * 32}, not the one on record" in _section(changed, "provenance")

    doc |= {"evaluation": None, "evaluation_sha256": None}
    page = render_model_document(doc)
    _assert_self_contained(page)
    assert "It is missing from the object store" in _section(page, "provenance")
    performance = _section(page, "performance")
    assert "could not be read from the object store" in performance
    auc = doc["recorded_evaluation"]["metrics"]["auc"]
    assert f"{auc:.4f}" in performance  # the registry's summary stands in
    assert "2 of 2 gates passed." in _section(page, "gates")


@pytest.mark.parametrize("champion", [True, False])
def test_the_same_record_renders_the_same_page(champion: bool) -> None:
    doc = _document(champion)
    assert render_model_document(doc) == render_model_document(copy.deepcopy(doc))
