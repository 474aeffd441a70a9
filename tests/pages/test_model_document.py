"""Tests of ml_platform_assets.pages.model_document: the model document as a reviewer reads it.

The documents are ``tests/pages/documents.py``'s: real metrics on synthetic scores, ledger
records as ``LedgerRecord.as_dict()`` gives them. Cases: a champion with a full evaluation and
every kind of decision, a model without a champion, a spec without protected attributes, a
benchmark that could not be fitted, a version never evaluated, and an evaluation record missing
from or changed in the store.
"""

from __future__ import annotations

import copy
import re

import pytest

from ml_platform_assets.pages.charts import CALIBRATION, GAINS
from ml_platform_assets.pages.evaluation import render_evaluation_html
from ml_platform_assets.pages.model_document import render_model_document
from tests.pages.charts_markup import series, svg
from tests.pages.documents import HOSTILE, SPEC, document


def _section(page: str, anchor: str) -> str:
    found = re.search(rf'<section id="{anchor}">(.*?)</section>', page, re.S)
    assert found, f"no section {anchor}"
    return found.group(1)


def _assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page.lower()
    for tag in ("<link", "<iframe", "<object", "<embed", "@import", "url("):
        assert tag not in page.lower(), tag
    # Every reference is an anchor inside the page: nothing to fetch.
    for ref in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert ref.startswith("#"), ref
    assert not re.search(r'(?:src|href)\s*=\s*["\']?https?:', page)


def test_a_champion_with_a_full_evaluation_documents_everything() -> None:
    doc = document()
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
    # The calibration chart: a point per decile of each model; the gains chart: a point per
    # decile of the challenger and the champion, from the origin.
    assert page.count("<svg") == 2
    assert series(svg(calibration, CALIBRATION)) == {
        "Challenger v3": 10, "Champion v2": 10, "Benchmark (logistic regression)": 10,
    }  # fmt: skip
    assert series(svg(lift, GAINS)) == {"Challenger v3": 11, "Champion v2": 11}

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
    doc = document()
    for record in doc["ledger"]:
        if record["event_type"] == "override":
            record["version"] = 3
    doc["champion_history"][1]["to_version"] = 3
    page = render_model_document(doc)
    decisions = _section(page, "decisions")
    assert "Regulator deadline" in decisions and "carol" in decisions
    assert "score PSI 0.31 too high" in decisions


def test_a_model_without_a_champion_says_so() -> None:
    doc = document(champion=False)
    doc["spec"] = {**SPEC, "gates": {**SPEC["gates"], "min_adverse_impact_ratio": 0.7}}
    page = render_model_document(doc)
    _assert_self_contained(page)
    assert "No champion is in service for credit_default." in _section(page, "purpose")
    assert "credit_default has never had a champion." in _section(page, "deployment")
    performance = _section(page, "performance")
    assert "No champion was in service at evaluation" in performance
    assert "Champion v" not in performance and "Benchmark" in performance
    assert "No reviewer approved or rejected this version." in _section(page, "decisions")
    assert series(svg(page, CALIBRATION)) == {
        "Challenger v3": 10, "Benchmark (logistic regression)": 10,
    }  # fmt: skip
    assert series(svg(page, GAINS)) == {"Challenger v3": 11}
    fairness = _section(page, "fairness")
    assert "below 0.7000 (the spec&#39;s gate) are marked" in fairness
    assert '<td class="pass">ok</td>' in fairness and '<td class="fail">' not in fairness


def test_a_spec_without_protected_attributes_and_an_unfitted_benchmark_say_so() -> None:
    doc = document()
    doc["evaluation"]["fairness"]["attributes"] = {}
    doc["evaluation"]["benchmark"] = {"method": "logistic_regression", "error": "one class only"}
    page = render_model_document(doc)
    _assert_self_contained(page)
    fairness = _section(page, "fairness")
    assert "The spec declares no protected attributes: nothing was measured." in fairness
    assert "The benchmark could not be fitted: one class only." in _section(page, "benchmark")
    assert "Benchmark" not in _section(page, "performance")
    assert "Benchmark" not in svg(page, CALIBRATION)
    assert "2 of 2 gates passed." in _section(page, "gates")


def test_a_version_never_evaluated_renders_what_is_known() -> None:
    doc = document(champion=False)
    doc |= {"evaluation": None, "recorded_evaluation": None, "evaluation_sha256": None}
    doc["version"]["metrics"] = None
    page = render_model_document(doc)
    _assert_self_contained(page)
    never = "credit_default v3 was never evaluated: there are no out-of-time results on record."
    for anchor in ("performance", "calibration", "lift", "stability", "benchmark", "fairness",
                   "reasons", "gates"):  # fmt: skip
        assert never in _section(page, anchor), anchor
    assert "<svg" not in page
    assert "Credit bureau score is too low" in _section(page, "features")
    assert "At evaluation: none. Status of the version now: evaluated." in page
    assert "n/a" in _section(page, "features")  # no importance without an evaluation
    assert "ab" * 32 in _section(page, "provenance")


def test_an_evaluation_record_missing_or_changed_in_the_store_is_named() -> None:
    doc = document()
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
    doc = document(champion)
    first = render_model_document(doc).encode()
    assert render_model_document(copy.deepcopy(doc)).encode() == first
    assert render_model_document(doc).encode() == first


@pytest.mark.parametrize("champion", [True, False])
def test_the_evaluation_page_draws_the_same_calibration_chart(champion: bool) -> None:
    doc = document(champion)
    chart = svg(render_model_document(doc), CALIBRATION)
    assert svg(render_evaluation_html(doc["evaluation"]), CALIBRATION) == chart


def test_hostile_strings_are_escaped_everywhere() -> None:
    """A feature, a protected attribute, a group, the model and a ledger actor holding markup
    all read as text."""
    doc = document()
    doc["version"]["model"] = HOSTILE
    doc["version"]["features"].append(HOSTILE)
    doc["spec"] = copy.deepcopy(SPEC)
    doc["spec"]["features"]["numeric"][HOSTILE] = {"description": HOSTILE, "reason": HOSTILE}
    doc["spec"]["protected_attributes"][HOSTILE] = {"description": HOSTILE}
    ev = doc["evaluation"]
    ev["csi"][HOSTILE] = 0.4
    ev["feature_importance"].append({"feature": HOSTILE, "gain": 10.0, "split": 1})
    ev["fairness"]["attributes"][HOSTILE] = ev["fairness"]["attributes"]["age_band"]
    ev["reason_codes"]["frequency"][0]["statement"] = HOSTILE
    doc["ledger"][0]["actor"] = HOSTILE
    page = render_model_document(doc)
    _assert_self_contained(page)
    assert "alert('x')" not in page
    assert page.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") >= 10
