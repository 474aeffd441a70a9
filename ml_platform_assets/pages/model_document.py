"""The model document: what a model-risk reviewer asks about one model version, on one page.

SR 11-7 style: purpose and owner, data windows and fingerprints, features with their reason
statements, method and parameters, code versions, every out-of-time metric beside the champion
and the benchmark, calibration and lift by decile, stability, fairness, reason codes, the gates,
the people's decisions, the deployment history and the audit-ledger records about the version
with their SHA-256 (so the page can be checked against ``ml-platform audit verify``).

The input is plain data (``ModelDocument``, gathered by ``services.documents``); nothing here
reads storage. Each section is a list of blocks (paragraphs, tables, charts) that
``templates/model_document.html.j2`` draws. A section without data (no champion, a version never
evaluated, an evaluation record missing from the store) says so in a sentence instead of
failing. The sections drawn from the evaluation record are in ``pages.document_results``, the
decisions and the ledger in ``pages.document_history``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ml_platform_assets.pages import document_history as history
from ml_platform_assets.pages import document_results as results
from ml_platform_assets.pages.document_data import Block, ModelDocument
from ml_platform_assets.pages.kit import Para, Table, pct, render, table, text_of


def _rows(pairs: list[tuple[str, Any]]) -> Table:
    return table(["Item", "Value"], [[label, text_of(value)] for label, value in pairs])


def _purpose(doc: ModelDocument) -> list[Block]:
    v, spec = doc["version"], doc["spec"]
    decision = spec.get("decision") or {}
    return [
        Para(history.champion_line(doc)),
        _rows([
            ("Model", v["model"]),
            ("Version", f"v{v['version']}"),
            ("Status on record", v.get("status")),
            ("Purpose", spec.get("description") or "not stated in the spec"),
            ("Owner", spec.get("owner") or "not stated in the spec"),
            ("Trained by", v.get("trained_by") or "not recorded (trained before it was)"),
            ("Trained at", v.get("created_at")),
            ("Decision",
             f"decline when the predicted PD is above {decision.get('cutoff', 'n/a')}"),
            ("Reviewer approval required", "yes" if decision.get("requires_approval") else "no"),
        ]),
    ]  # fmt: skip


def _provenance(doc: ModelDocument) -> list[Block]:
    v, spec = doc["version"], doc["spec"]
    win, spec_windows = v.get("windows") or {}, spec.get("windows") or {}
    source = spec.get("data_source") or {}
    valid = f"{win['valid_start']} to {win.get('train_end')}" if win.get("valid_start") else None
    pairs = [
        ("Data source", source.get("applications") or source.get("kind")),
        ("Training cutoff (as of)", win.get("as_of")),
        ("Training window (learns from)", f"{win.get('train_start')} to {win.get('train_end')}"),
        ("Validation days (early stopping; the training window's last)", valid),
        ("Out-of-time window (evaluated on)", f"{win.get('oot_start')} to {win.get('oot_end')}"),
        ("Label maturity (days)", spec_windows.get("label_maturity_days")),
        ("Training-set fingerprint (SHA-256)", v.get("training_set_fingerprint")),
        ("Model artifact", v.get("artifact_uri")),
        ("Model artifact SHA-256", v.get("model_sha256")),
        ("Git commit", v.get("git_commit") or "unknown"),
    ]
    # "features; training_set; training": one code version per stage that made the model.
    stages = str(v.get("code_version", "")).split(";")
    code = [(f"Code version ({i})", part.strip()) for i, part in enumerate(stages, start=1)]
    artifacts = history.registered_artifacts(doc)
    listed = (
        table(["Artifact registered with the version", "SHA-256"],
              [[a.get("uri", a.get("key")), (a.get("sha256"), "hash")] for a in artifacts])
        if artifacts else Para("No registration record in the audit ledger names its artifacts.")
    )  # fmt: skip
    return [_rows(pairs + code), listed, *_evaluation_source(doc)]


def _evaluation_source(doc: ModelDocument) -> list[Block]:
    recorded = doc["recorded_evaluation"]
    if not recorded:
        return []
    read, on_record = doc["evaluation_sha256"], recorded.get("report_sha256")
    if doc["evaluation"] is None:
        check = "It is missing from the object store: the registry's summary is shown instead."
    elif read == on_record:
        check = "The record read for this document has exactly that SHA-256."
    else:
        check = (
            f"The record read from the store has SHA-256 {read}, not the one on record: it was "
            "changed after it was recorded. Run ml-platform audit verify."
        )
    return [Para(
        f"Evaluation record: {recorded.get('report_uri')} (SHA-256 {on_record}, recorded "
        f"{text_of(recorded.get('created_at'))}). {check}"
    )]  # fmt: skip


def _feature_kind(spec_features: dict, name: str) -> tuple[str, dict]:
    for kind in ("numeric", "derived", "categorical"):
        if name in spec_features.get(kind, {}):
            return kind, spec_features[kind][name] or {}
    return "unknown", {}


def _valid_values(kind: str, feature: dict) -> str:
    if kind == "categorical":
        return ", ".join(map(str, feature.get("values", [])))
    if kind == "derived":
        return " / ".join(feature.get("ratio", []))
    low, high = (feature.get(bound) for bound in ("min", "max"))
    return f"{'−∞' if low is None else _bound(low)} to {'∞' if high is None else _bound(high)}"


def _bound(value: float) -> str:
    """A spec bound as written: 5,000,000 and 0.5, not 5000000.0 or 5e+06."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.10g}"


def _features(doc: ModelDocument) -> list[Block]:
    spec, evaluation = doc["spec"], doc["evaluation"] or {}
    spec_features = spec.get("features") or {}
    names = doc["version"].get("features") or [
        n for kind in ("numeric", "derived", "categorical") for n in spec_features.get(kind, {})
    ]
    monotone = spec.get("monotone_constraints") or {}
    gains = {r["feature"]: float(r["gain"]) for r in evaluation.get("feature_importance", [])}
    total = sum(gains.values()) or 1.0
    rows = []
    for name in names:
        kind, feature = _feature_kind(spec_features, name)
        reason = feature.get("reason")
        rows.append([
            name, kind, feature.get("description") or "", _valid_values(kind, feature),
            monotone.get(name, "none"),
            reason if reason else ("none reviewed: the description stands in", "fail"),
            pct(gains[name] / total) if name in gains else "n/a",
        ])  # fmt: skip
    headers = ["Feature", "Kind", "Description", "Valid values", "Monotone constraint",
               "Reason statement (reviewed)", "Share of gain"]  # fmt: skip
    protected = spec.get("protected_attributes") or {}
    after = (
        Para("Protected attributes, never model inputs, used only to test outcomes: "
             + "; ".join(f"{n} ({a.get('description') or 'no description'})"
                         for n, a in protected.items()) + ".")
        if protected else Para("The spec declares no protected attributes.")
    )  # fmt: skip
    intro = Para(f"{len(names)} model inputs, in the order the model reads them.")
    return [intro, table(headers, rows, css="text"), after]


def _method(doc: ModelDocument) -> list[Block]:
    params = doc["version"].get("params") or {}
    return [
        Para(
            "LightGBM gradient-boosted trees for the probability of bad, trained with the "
            "parameters below (monotone constraints as listed under Features), early stopping "
            "on the validation days."
        ),
        table(["Parameter", "Value"], [[k, text_of(params[k])] for k in sorted(params)]),
    ]


SECTIONS: list[tuple[str, str, Callable[[ModelDocument], list[Block]]]] = [
    ("purpose", "Purpose and ownership", _purpose),
    ("provenance", "Data, code and provenance", _provenance),
    ("features", "Features and reason statements", _features),
    ("method", "Method and parameters", _method),
    ("performance", "Out-of-time performance", results.performance),
    ("calibration", "Calibration by score decile", results.calibration),
    ("lift", "Lift by score decile", results.lift),
    ("stability", "Stability (PSI and CSI)", results.stability),
    ("benchmark", "Benchmark model", results.benchmark),
    ("fairness", "Fair lending: approval rates and adverse impact", results.fairness),
    ("reasons", "Adverse-action reason codes", results.reasons),
    ("gates", "Promotion gates", results.gates),
    ("decisions", "Approvals, rejections and overrides", history.decisions),
    ("deployment", "Deployment history", history.deployment),
    ("ledger", "Audit ledger records", history.ledger),
]


def render_model_document(document: ModelDocument) -> str:
    """The version's model document for a model-risk reviewer.

    Returns:
        One self-contained HTML page (inline CSS and SVG, no scripts or external resources),
        ending in a newline; the same document gives the same text.
    """
    v = document["version"]
    return render(
        "model_document.html.j2",
        title=f"{v['model']} v{v['version']}",
        sections=[(anchor, name, build(document)) for anchor, name, build in SECTIONS],
        generated_at=document["generated_at"],
    )
