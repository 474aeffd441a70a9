"""The model document: what a model-risk reviewer asks about one model version, on one page.

SR 11-7 style: purpose and owner, data windows and fingerprints, features with their reason
statements, method and parameters, code versions, every out-of-time metric beside the champion
and the benchmark, calibration and lift by decile, stability, fairness, reason codes, the gates,
the people's decisions, the deployment history and the audit-ledger records about the version
with their SHA-256 (so the page can be checked against ``ml-platform audit verify``).

The input is plain data (``ModelDocument``, gathered by ``assets.model_document``); nothing here
reads storage. The page is self-contained for archiving: inline CSS, plots drawn with
matplotlib's Agg renderer and embedded as base64 PNG data URIs, no scripts, no external
resources. Every string taken from a record passes through ``html.escape``. A section without
data (no champion, a version never evaluated, an evaluation record made before the benchmark,
fairness or reason codes existed) says so in a sentence instead of failing.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any, NotRequired, TypedDict

from ml_platform_assets.core.fairness import is_missing_value_group
from ml_platform_assets.core.report import (
    _METRIC_ROWS,
    Cell,
    _delta,
    _e,
    _fmt,
    _missing,
    _stability,
    _table,
)

# The four-fifths screen of adverse impact (DOMAIN.md), used when the spec sets no gate.
AIR_SCREEN = 0.8
_COLORS = {"challenger": "#4a6fa5", "champion": "#d08c34", "benchmark": "#5a8f29"}
_CSS = (
    "body{font-family:Georgia,serif;max-width:64rem;margin:2rem auto;color:#222;line-height:1.4}"
    "h1,h2,h3,nav{font-family:Helvetica,Arial,sans-serif}h2{border-bottom:1px solid #999;"
    "margin-top:2rem}table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid"
    " #bbb;padding:.2rem .6rem;text-align:right;vertical-align:top}th:first-child,td:first-child"
    "{text-align:left}th{background:#eee}td{overflow-wrap:anywhere}.text td{text-align:left}"
    ".hash{font-family:monospace;font-size:.8rem}.pass,.stable,.promoted{color:#1a6e2e}"
    ".fail,.shifted,.rejected,.override{color:#a4161a;font-weight:bold}.watch,.pending{color:"
    "#8a5a00}.this{font-weight:bold;background:#fff6d5}nav ol{columns:2;font-size:.9rem}"
    "img{max-width:100%;height:auto}"
)


class ModelDocument(TypedDict):
    """Input of ``render_model_document``; times are ISO-8601 strings."""

    version: dict  # registry ModelVersion fields (model, version, artifact_uri, model_sha256,
    #   training_set_fingerprint, code_version, git_commit, created_at, status, params, windows,
    #   metrics, features, spec, trained_by)
    spec: dict  # the spec as stored with the version (ModelSpec.model_dump(mode="json"))
    evaluation: dict | None  # the evaluation record (core.report.Evaluation), None if unread
    ledger: list[dict]  # the model's audit ledger, oldest first (LedgerRecord.as_dict())
    approvals: list[dict]  # reviewers' decisions on this version: decision, reviewer, note, ...
    champion_history: list[dict]  # every move of the model's champion (AliasEvent fields)
    current_champion: int | None  # the champion's version now, None without one
    generated_at: str
    # The registry's row of the newest evaluation (report_uri, report_sha256, metrics, gates,
    # passed, created_at), None when never evaluated; and the SHA-256 of the evaluation record's
    # bytes as read from the store, to show whether they are the ones on record.
    recorded_evaluation: NotRequired[dict | None]
    evaluation_sha256: NotRequired[str | None]


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _rows(pairs: list[tuple[str, Any]]) -> str:
    return _table(["Item", "Value"], [[label, _text(value)] for label, value in pairs])


def _para(sentence: str) -> str:
    return f"<p>{_e(sentence)}</p>"


def _label(doc: ModelDocument) -> str:
    return f"{doc['version']['model']} v{doc['version']['version']}"


# --- plots ---------------------------------------------------------------------------------


def _png(draw: Callable[[Any], None], alt: str) -> str:
    """A matplotlib plot as an embedded PNG ``<img>``; drawn on a Figure with the Agg canvas,
    never pyplot, so no global state or display is touched. Imported here: only the document
    needs matplotlib, not every process that imports this module."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.0, 3.8), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    draw(axes)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    buffer = io.BytesIO()
    # No "Software" entry: the same record renders to the same bytes.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _calibration_plot(series: list[tuple[str, str, list[dict]]]) -> str:
    def draw(ax) -> None:
        points = [r for _, _, rows in series for r in rows]
        values = [r[k] for r in points for k in ("mean_predicted", "observed_bad_rate")]
        top = max([float(v) for v in values if not _missing(v)] + [0.01]) * 1.05
        ax.plot([0, top], [0, top], "--", color="#888", linewidth=1, label="perfect calibration")
        for name, label, rows in series:
            kept = [r for r in rows if not _missing(r["mean_predicted"])]
            x = [r["mean_predicted"] for r in kept]
            y = [0.0 if _missing(r["observed_bad_rate"]) else r["observed_bad_rate"] for r in kept]
            ax.plot(x, y, "o-", color=_COLORS[name], markersize=4, label=label)
        ax.set(xlim=(0, top), ylim=(0, top), xlabel="Mean predicted PD per score decile",
               ylabel="Observed bad rate")  # fmt: skip

    return _png(draw, "Calibration: observed bad rate against mean predicted PD per decile")


def _gains_plot(series: list[tuple[str, str, list[dict]]]) -> str:
    def draw(ax) -> None:
        ax.plot([0, 1], [0, 1], "--", color="#888", linewidth=1, label="random order")
        for name, label, rows in series:
            total = sum(int(r["n"]) for r in rows) or 1
            x, y, seen = [0.0], [0.0], 0
            for r in rows:
                seen += int(r["n"])
                x.append(seen / total)
                share = r["cumulative_bads_share"]
                y.append(0.0 if _missing(share) else share)
            ax.plot(x, y, "o-", color=_COLORS[name], markersize=4, label=label)
        ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="Share of applications, riskiest first",
               ylabel="Share of bads captured")  # fmt: skip

    return _png(draw, "Cumulative share of bads captured by score decile, riskiest first")


# --- sections ------------------------------------------------------------------------------


def _champion_line(doc: ModelDocument) -> str:
    version, champion = doc["version"]["version"], doc["current_champion"]
    if champion is None:
        return f"No champion is in service for {doc['version']['model']}."
    if champion != version:
        return f"This version is not in service; the champion is v{champion}."
    moves = [m for m in doc["champion_history"] if m.get("to_version") == version]
    since = f" since {_text(moves[-1]['created_at'])}" if moves else ""
    return f"This version is the champion in service{since}."


def _purpose(doc: ModelDocument) -> str:
    v, spec = doc["version"], doc["spec"]
    decision = spec.get("decision") or {}
    return _para(_champion_line(doc)) + _rows(
        [
            ("Model", v["model"]),
            ("Version", f"v{v['version']}"),
            ("Status on record", v.get("status")),
            ("Purpose", spec.get("description") or "not stated in the spec"),
            ("Owner", spec.get("owner") or "not stated in the spec"),
            ("Trained by", v.get("trained_by") or "not recorded (trained before it was)"),
            ("Trained at", v.get("created_at")),
            ("Decision", f"decline when the predicted PD is above {decision.get('cutoff', 'n/a')}"),
            ("Reviewer approval required", "yes" if decision.get("requires_approval") else "no"),
        ]
    )


def _registered_artifacts(doc: ModelDocument) -> list[dict]:
    version = doc["version"]["version"]
    found = [
        r for r in doc["ledger"] if r["version"] == version and r["event_type"] == "registered"
    ]
    return found[-1]["artifacts"] if found else []


def _provenance(doc: ModelDocument) -> str:
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
    artifacts = _registered_artifacts(doc)
    listed = (
        _table(["Artifact registered with the version", "SHA-256"],
               [[a.get("uri", a.get("key")), (a.get("sha256"), "hash")] for a in artifacts])
        if artifacts else _para("No registration record in the audit ledger names its artifacts.")
    )  # fmt: skip
    return _rows(pairs + code) + listed + _evaluation_source(doc)


def _evaluation_source(doc: ModelDocument) -> str:
    recorded = doc.get("recorded_evaluation")
    if not recorded:
        return ""
    read, on_record = doc.get("evaluation_sha256"), recorded.get("report_sha256")
    if doc["evaluation"] is None:
        check = "It is missing from the object store: the registry's summary is shown instead."
    elif read == on_record:
        check = "The record read for this document has exactly that SHA-256."
    else:
        check = (
            f"The record read from the store has SHA-256 {read}, not the one on record: it was "
            "changed after it was recorded. Run ml-platform audit verify."
        )
    return _para(
        f"Evaluation record: {recorded.get('report_uri')} (SHA-256 {on_record}, recorded "
        f"{_text(recorded.get('created_at'))}). {check}"
    )


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


def _features(doc: ModelDocument) -> str:
    spec, evaluation = doc["spec"], doc["evaluation"] or {}
    spec_features = spec.get("features") or {}
    names = doc["version"].get("features") or [
        n for kind in ("numeric", "derived", "categorical") for n in spec_features.get(kind, {})
    ]
    monotone = spec.get("monotone_constraints") or {}
    gains = {r["feature"]: float(r["gain"]) for r in evaluation.get("feature_importance", [])}
    total = sum(gains.values()) or 1.0
    rows: list[list[Cell]] = []
    for name in names:
        kind, feature = _feature_kind(spec_features, name)
        reason = feature.get("reason")
        rows.append([
            name, kind, feature.get("description") or "", _valid_values(kind, feature),
            monotone.get(name, "none"),
            reason if reason else ("none reviewed: the description stands in", "fail"),
            _fmt(gains[name] / total, "pct") if name in gains else "n/a",
        ])  # fmt: skip
    headers = ["Feature", "Kind", "Description", "Valid values", "Monotone constraint",
               "Reason statement (reviewed)", "Share of gain"]  # fmt: skip
    protected = spec.get("protected_attributes") or {}
    after = (
        _para("Protected attributes, never model inputs, used only to test outcomes: "
              + "; ".join(f"{n} ({a.get('description') or 'no description'})"
                          for n, a in protected.items()) + ".")
        if protected else _para("The spec declares no protected attributes.")
    )  # fmt: skip
    intro = _para(f"{len(names)} model inputs, in the order the model reads them.")
    return intro + f"<div class='text'>{_table(headers, rows)}</div>" + after


def _method(doc: ModelDocument) -> str:
    params = doc["version"].get("params") or {}
    rows: list[list[Cell]] = [[k, _text(params[k])] for k in sorted(params)]
    intro = _para(
        "LightGBM gradient-boosted trees for the probability of bad, trained with the "
        "parameters below (monotone constraints as listed under Features), early stopping on "
        "the validation days."
    )
    return intro + _table(["Parameter", "Value"], rows)


def _absent(doc: ModelDocument) -> str | None:
    """The sentence for a section that needs the evaluation record, when there is none."""
    if doc["evaluation"] is not None:
        return None
    if doc.get("recorded_evaluation"):
        return (
            f"The evaluation record of {_label(doc)} could not be read from the object store, "
            "so this is not available."
        )
    return f"{_label(doc)} was never evaluated: there are no out-of-time results on record."


def _predates(doc: ModelDocument, what: str) -> str:
    created = doc["evaluation"].get("created_at", "an unknown time")
    return (
        f"The evaluation record of {_label(doc)} (made {created}) has no {what}: it predates "
        "that part of the evaluation."
    )


def _models(ev: dict) -> list[tuple[str, str, dict]]:
    """(role, column label, result) of the challenger, the champion and the benchmark."""
    out = [("challenger", f"Challenger v{ev.get('version')}", ev["challenger"])]
    if ev.get("champion"):
        out.append(("champion", f"Champion v{ev.get('champion_version')}", ev["champion"]))
    bench = ev.get("benchmark") or {}
    if bench.get("metrics"):
        out.append(("benchmark", "Benchmark (logistic regression)", bench))
    return out


def _performance(doc: ModelDocument) -> str:
    ev = doc["evaluation"]
    if ev is None:
        recorded = doc.get("recorded_evaluation")
        if not recorded:
            return _para(_absent(doc))
        metrics = recorded.get("metrics") or {}
        rows = [[label, _fmt(metrics.get(key), kind)] for key, label, kind in _METRIC_ROWS]
        header = f"v{doc['version']['version']} (registry's summary)"
        return _para(_absent(doc)) + _table(["Metric", header], rows)
    models = _models(ev)
    values = [{**m["metrics"], "score_psi": m.get("score_psi")} for _, _, m in models]
    headers = ["Metric", *(label for _, label, _ in models)]
    compared = [(i, role) for i, (role, _, _) in enumerate(models) if i > 0]
    headers += [f"Challenger − {role}" for _, role in compared]
    rows: list[list[Cell]] = []
    for key, label, kind in _METRIC_ROWS:
        row: list[Cell] = [label, *(_fmt(v.get(key), kind) for v in values)]
        row += [_delta(kind, values[0].get(key), values[i].get(key)) for i, _ in compared]
        rows.append(row)
    win = ev.get("windows") or {}
    notes = [
        f"Scored on the out-of-time rows of {win.get('oot_start')} to {win.get('oot_end')}, "
        f"evaluated {ev.get('created_at')}; every model on the same rows."
    ]
    if not ev.get("champion"):
        notes.append("No champion was in service at evaluation: the challenger had none beside it.")
    if "benchmark" not in ev:
        notes.append(_predates(doc, "benchmark model"))
    return "".join(map(_para, notes)) + _table(headers, rows)


def _calibration(doc: ModelDocument) -> str:
    ev = doc["evaluation"]
    if ev is None:
        return _para(_absent(doc))
    series = [(role, label, m["calibration"]) for role, label, m in _models(ev)
              if m.get("calibration")]  # fmt: skip
    blocks = []
    for _, label, rows in series:
        table = [
            [str(r["decile"]), _fmt(r["n"], "count"),
             f"{_fmt(r['min_score'])}–{_fmt(r['max_score'])}", _fmt(r["mean_predicted"], "pct2"),
             _fmt(r["observed_bad_rate"], "pct2")]
            for r in rows
        ]  # fmt: skip
        headers = ["Decile (1 = lowest score)", "Rows", "Score range", "Mean predicted",
                   "Observed bad rate"]  # fmt: skip
        blocks.append(f"<h3>{_e(label)}</h3>{_table(headers, table)}")
    return _calibration_plot(series) + "".join(blocks)


def _lift(doc: ModelDocument) -> str:
    ev = doc["evaluation"]
    if ev is None:
        return _para(_absent(doc))
    series = [(role, label, m["lift_by_decile"]) for role, label, m in _models(ev)
              if m.get("lift_by_decile")]  # fmt: skip
    if not series:
        return _para(_predates(doc, "lift table"))
    blocks = []
    for _, label, rows in series:
        table = [
            [str(r["decile"]), _fmt(r["n"], "count"), _fmt(r["bads"], "count"),
             _fmt(r["bad_rate"], "pct2"), _fmt(r["cumulative_bads_share"], "pct"),
             _fmt(r["lift"], "lift"), _fmt(r["mean_predicted"], "pct2")]
            for r in rows
        ]  # fmt: skip
        headers = ["Decile (1 = riskiest)", "Rows", "Bads", "Bad rate",
                   "Cumulative share of bads", "Lift", "Mean predicted PD"]  # fmt: skip
        blocks.append(f"<h3>{_e(label)}</h3>{_table(headers, table)}")
    intro = _para("Lift is a decile's bad rate over the overall bad rate.")
    return intro + _gains_plot(series) + "".join(blocks)


def _stability_section(doc: ModelDocument) -> str:
    ev = doc["evaluation"]
    if ev is None:
        return _para(_absent(doc))
    psi_rows: list[list[Cell]] = [
        [label, _fmt(m.get("score_psi")), _stability(m.get("score_psi"))]
        for role, label, m in _models(ev) if role != "benchmark"
    ]  # fmt: skip
    csi = sorted((ev.get("csi") or {}).items(),
                 key=lambda kv: float("inf") if _missing(kv[1]) else -kv[1])  # fmt: skip
    csi_rows: list[list[Cell]] = [[name, _fmt(v), _stability(v)] for name, v in csi]
    intro = _para(
        "PSI of the scores and CSI of each feature, out-of-time against the training rows: "
        "below 0.1 stable, 0.1 to 0.25 worth watching, above 0.25 shifted."
    )
    return (
        intro + _table(["Score PSI", "PSI", "Status"], psi_rows)
        + _table(["Feature", "CSI", "Status"], csi_rows)
    )  # fmt: skip


def _benchmark(doc: ModelDocument) -> str:
    ev = doc["evaluation"]
    if ev is None:
        return _para(_absent(doc))
    bench = ev.get("benchmark")
    if bench is None:
        return _para(_predates(doc, "benchmark model"))
    if not bench.get("metrics"):
        return _para(f"The benchmark could not be fitted: {bench.get('error', 'no reason given')}.")
    gap, allowed = (
        bench.get("auc_gap"),
        (doc["spec"].get("gates") or {}).get("max_auc_gap_vs_benchmark"),
    )
    verdict = (
        f"The challenger's AUC minus the benchmark's is {_fmt(gap)}"
        + ("." if allowed is None else f"; the spec allows the challenger to trail by at most "
           f"{_fmt(allowed)}.")
    )  # fmt: skip
    coefficients: list[list[Cell]] = [
        [c["feature"], _fmt(c["coefficient"])] for c in bench.get("coefficients", [])
    ]
    params = bench.get("params") or {}
    return (
        _para(bench.get("description", "")) + _para(verdict)
        + _table(["Parameter", "Value"], [[k, _text(params[k])] for k in sorted(params)])
        + "<h3>Largest coefficients</h3>"
        + _table(["Input (normal score or one-hot level)", "Coefficient"], coefficients)
    )  # fmt: skip


def _fairness(doc: ModelDocument) -> str:
    ev = doc["evaluation"]
    if ev is None:
        return _para(_absent(doc))
    fair = ev.get("fairness")
    if fair is None:
        return _para(_predates(doc, "fairness measurement"))
    attributes = fair.get("attributes") or {}
    if not attributes:
        return _para("The spec declares no protected attributes: nothing was measured.")
    floor = (doc["spec"].get("gates") or {}).get("min_adverse_impact_ratio")
    screen = AIR_SCREEN if floor is None else floor
    kind = "four-fifths screen" if floor is None else "spec's gate"
    parts = [_para(
        f"Approval means a predicted PD at or below the cutoff {_fmt(fair.get('cutoff'))}. The "
        "adverse impact ratio is a group's approval rate over the most-approved group's; "
        f"ratios below {_fmt(screen)} (the {kind}) are marked. Applicants without a value "
        "are listed as their own group, never the reference nor in the gate."
    )]  # fmt: skip
    for name, block in attributes.items():
        rows: list[list[Cell]] = []
        for g in block.get("groups", []):
            ratio = g.get("adverse_impact_ratio")
            flag = ("n/a", "") if _missing(ratio) else (
                ("below", "fail") if ratio < screen else ("ok", "pass"))  # fmt: skip
            if is_missing_value_group(g):
                flag = ("no value: not in the gate", "")
            rows.append([str(g["group"]), _fmt(g["n"], "count"), _fmt(g["approved"], "count"),
                         _fmt(g.get("approval_rate"), "pct"), _fmt(ratio), flag])  # fmt: skip
        reference = block.get("reference_group")
        parts.append(
            f"<h3>{_e(name)}</h3>"
            + _para(f"Reference group: {reference or 'none (no approvals)'}; lowest ratio "
                    f"{_fmt(block.get('min_ratio'))}.")
            + _table(["Group", "Applications", "Approved", "Approval rate",
                      "Adverse impact ratio", f"Against {_fmt(screen)}"], rows)
        )  # fmt: skip
    return "".join(parts)


def _reasons(doc: ModelDocument) -> str:
    ev = doc["evaluation"]
    if ev is None:
        return _para(_absent(doc))
    codes = ev.get("reason_codes")
    if codes is None:
        return _para(_predates(doc, "reason codes"))
    fidelity = codes.get("fidelity") or {}
    summary = _rows([
        ("Decline cutoff (predicted PD above)", _fmt(codes.get("cutoff"))),
        ("Out-of-time applications scored", _fmt(codes.get("scored"), "count")),
        ("Declined", _fmt(codes.get("declined"), "count")),
        ("Declines explained", _fmt(codes.get("explained", codes.get("declined")), "count")),
        ("Declines without a reason", _fmt(codes.get("without_reason"), "count")),
        ("Reasons given per decline (at most)", _fmt(codes.get("top_n"), "count")),
        ("Fidelity", f"{_fmt(fidelity.get('share'), 'pct')} of "
                     f"{_fmt(fidelity.get('n'), 'count')} declines"),
        ("Fidelity means", fidelity.get("definition", "not recorded")),
    ])  # fmt: skip
    statements = codes.get("statements") or {}
    rows: list[list[Cell]] = [
        [r["feature"], r["statement"],
         ("yes", "pass") if statements.get(r["feature"], {}).get("reviewed") else ("no", "fail"),
         _fmt(r["top_reason_share"], "pct"), _fmt(r["any_reason_share"], "pct")]
        for r in codes.get("frequency", [])
    ]  # fmt: skip
    if not rows:
        return summary + _para("No declined application had a reason: the table is empty.")
    headers = ["Feature", "Statement", "Reviewed", "Top reason of declines",
               "Among the reasons of declines"]  # fmt: skip
    return summary + f"<div class='text'>{_table(headers, rows)}</div>"


def _gates(doc: ModelDocument) -> str:
    ev = doc["evaluation"] or doc.get("recorded_evaluation") or {}
    gates = ev.get("gates")
    if not gates:
        return _para(_absent(doc) or f"No gate results are on record for {_label(doc)}.")
    rows: list[list[Cell]] = [
        [g["name"], ("PASS", "pass") if g["passed"] else ("FAIL", "fail"),
         _fmt(g.get("observed")), _fmt(g.get("threshold")), g.get("description", "")]
        for g in gates
    ]  # fmt: skip
    passed = sum(bool(g["passed"]) for g in gates)
    summary = _para(f"{passed} of {len(gates)} gates passed.")
    return summary + _table(["Gate", "Result", "Observed", "Threshold", "Description"], rows)


def _this_versions(doc: ModelDocument, *types: str) -> list[dict]:
    version = doc["version"]["version"]
    return [r for r in doc["ledger"] if r["version"] == version and r["event_type"] in types]


def _decisions(doc: ModelDocument) -> str:
    ev = doc["evaluation"] or doc.get("recorded_evaluation") or {}
    gates = {True: "passed every gate", False: "failed a gate"}.get(ev.get("passed"), "none")
    status = doc["version"].get("status")
    parts = [_para(f"At evaluation: {gates}. Status of the version now: {status}.")]
    if status == "pending_approval":
        parts.append(_para("The version passed every gate and waits for a reviewer's decision."))
    approvals: list[list[Cell]] = [
        [_text(a.get("created_at")), (a["decision"], "pass" if a["decision"] == "approved"
         else "fail"), a.get("reviewer", ""), a.get("note", "")]
        for a in doc["approvals"]
    ]  # fmt: skip
    parts.append("<h3>Approvals and rejections</h3>")
    parts.append(
        f"<div class='text'>{_table(['Time', 'Decision', 'Reviewer', 'Note'], approvals)}</div>"
        if approvals
        else _para("No reviewer approved or rejected this version.")
    )
    overrides: list[list[Cell]] = [
        [_text(r["created_at"]), r["payload"].get("approver", ""), r["actor"],
         r["payload"].get("override_reason", ""),
         "; ".join(g.get("description", g.get("name", "")) for g in
                   r["payload"].get("failed_gates", []))]
        for r in _this_versions(doc, "override")
    ]  # fmt: skip
    headers = ["Time", "Approver", "Actor", "Reason", "Failed gates"]
    parts.append("<h3>Overrides</h3>")
    parts.append(
        f"<div class='text'>{_table(headers, overrides)}</div>"
        if overrides
        else _para("This version was never put in service against a failed gate.")
    )
    return "".join(parts)


def _deployment(doc: ModelDocument) -> str:
    version = doc["version"]["version"]
    by_move = {
        (r["payload"].get("registry_row") or {}).get("id"): r
        for r in doc["ledger"]
        if r["event_type"] in ("promoted", "override", "rolled_back")
        and (r["payload"].get("registry_row") or {}).get("table") == "alias_events"
    }
    rows: list[list[Cell]] = []
    for move in doc["champion_history"]:
        record = by_move.get(move.get("id"))
        kind = record["event_type"] if record else move.get("action", "promote")
        before = move.get("from_version")
        mark = ("became champion", "this") if move["to_version"] == version else (
            ("replaced", "this") if before == version else "")  # fmt: skip
        approver = (record or {}).get("payload", {}).get("approver") or ""
        rows.append([
            _text(move["created_at"]), (kind, "override" if kind == "override" else ""),
            "none" if before is None else f"v{before}", f"v{move['to_version']}",
            move.get("actor", ""), approver, move.get("reason", ""), mark,
            f"#{record['sequence']}" if record else "not in the ledger",
        ])  # fmt: skip
    if not rows:
        return _para(f"{doc['version']['model']} has never had a champion.")
    headers = ["Time", "Move", "From", "To", "Actor", "Approver", "Reason", "This version",
               "Ledger record"]  # fmt: skip
    return _para(_champion_line(doc)) + f"<div class='text'>{_table(headers, rows)}</div>"


def _summary(record: dict) -> str:
    payload = record["payload"]
    row = payload.get("row") or {}
    if record["event_type"] == "override":
        return payload.get("override_reason", "")
    return str(payload.get("decision") or row.get("reason") or row.get("note") or "")


def _ledger(doc: ModelDocument) -> str:
    version = doc["version"]["version"]
    records = [r for r in doc["ledger"] if r["version"] == version]
    if not doc["ledger"]:
        return _para(f"The audit ledger holds no record of {doc['version']['model']}.")
    head = doc["ledger"][-1]
    intro = _para(
        f"When this document was generated, {doc['version']['model']}'s ledger held "
        f"{len(doc['ledger'])} records; its head, record #{head['sequence']}, has SHA-256 "
        f"{head['record_sha256']}. The records below are those about v{version}; "
        f"ml-platform audit verify {doc['version']['model']} recomputes their hashes."
    )
    if not records:
        return intro + _para(f"No record is about v{version}.")
    rows: list[list[Cell]] = [
        [f"#{r['sequence']}", r["event_type"], r["actor"], _text(r["created_at"]), _summary(r),
         (r["record_sha256"], "hash"), (r["previous_sha256"] or "none (first record)", "hash")]
        for r in records
    ]  # fmt: skip
    artifacts: list[list[Cell]] = [
        [f"#{r['sequence']}", a.get("uri", a.get("key")), (a.get("sha256"), "hash")]
        for r in records for a in r.get("artifacts", [])
    ]  # fmt: skip
    headers = ["Record", "Event", "Actor", "Time (UTC)", "Decision or reason", "SHA-256",
               "Previous record's SHA-256"]  # fmt: skip
    named = _table(["Record", "Artifact", "SHA-256 on record"], artifacts) if artifacts else ""
    return intro + f"<div class='text'>{_table(headers, rows)}</div>" + named


_SECTIONS: list[tuple[str, str, Callable[[ModelDocument], str]]] = [
    ("purpose", "Purpose and ownership", _purpose),
    ("provenance", "Data, code and provenance", _provenance),
    ("features", "Features and reason statements", _features),
    ("method", "Method and parameters", _method),
    ("performance", "Out-of-time performance", _performance),
    ("calibration", "Calibration by score decile", _calibration),
    ("lift", "Lift by score decile", _lift),
    ("stability", "Stability (PSI and CSI)", _stability_section),
    ("benchmark", "Benchmark model", _benchmark),
    ("fairness", "Fair lending: approval rates and adverse impact", _fairness),
    ("reasons", "Adverse-action reason codes", _reasons),
    ("gates", "Promotion gates", _gates),
    ("decisions", "Approvals, rejections and overrides", _decisions),
    ("deployment", "Deployment history", _deployment),
    ("ledger", "Audit ledger records", _ledger),
]


def render_model_document(document: ModelDocument) -> str:
    """One self-contained HTML page (inline CSS, PNG data URIs, no scripts or external
    resources) documenting the version for a model-risk reviewer."""
    title = _e(f"{_label(document)}")
    nav = "".join(f'<li><a href="#{anchor}">{_e(name)}</a></li>' for anchor, name, _ in _SECTIONS)
    body = "".join(
        f'<section id="{anchor}"><h2>{_e(name)}</h2>{render(document)}</section>'
        for anchor, name, render in _SECTIONS
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Model document: {title}</title><style>{_CSS}</style></head><body>"
        f"<h1>Model document: {title}</h1><nav><ol>{nav}</ol></nav>{body}"
        f"<footer><p>Generated {_e(document['generated_at'])} from the registry, the "
        "evaluation record and the audit ledger.</p></footer></body></html>\n"
    )
