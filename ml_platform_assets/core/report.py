"""The evaluation report of a challenger model: one archivable HTML page and its JSON record.

The page has inline CSS and hand-written SVG only (no scripts, no external resources), so it
can be kept next to the model and still read by a compliance reviewer years later. Every string
taken from the record passes through ``html.escape``. The record's shape is ``Evaluation`` below;
a missing or non-finite number is shown as "n/a" rather than failing the whole report.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from typing import Any, Literal, NotRequired, TypedDict

import numpy as np

from ml_platform_assets.core.fairness import is_missing_value_group


class Windows(TypedDict):
    """Data windows as ISO-8601 dates."""

    train_start: str
    train_end: str
    oot_start: str
    oot_end: str


class ModelResult(TypedDict):
    """One model scored on the out-of-time rows."""

    metrics: dict[str, float]  # metrics.discrimination_summary(...)
    calibration: list[dict[str, float]]  # metrics.calibration_by_decile(...).to_dict("records")
    # metrics.lift_by_decile(...).to_dict("records"); absent from records made before it existed
    lift_by_decile: NotRequired[list[dict[str, float]]]
    score_psi: float  # PSI of the model's out-of-time scores against its training-window scores


class Gate(TypedDict):
    name: str
    passed: bool
    observed: float | None  # None when the gate could not be measured (e.g. no champion)
    threshold: float | None  # None for an optional gate the spec leaves unset
    description: str


class Coefficient(TypedDict):
    feature: str  # input column after preprocessing: a feature, missingindicator_<f>, <f>_<level>
    coefficient: float  # log-odds per standard deviation (numeric) or for the level (one-hot)


class Benchmark(TypedDict):
    """The logistic-regression benchmark (``core.benchmark``) on the challenger's rows."""

    method: Literal["logistic_regression"]
    description: str
    train_rows: int  # rows of the training split it was fitted on (capped, seeded sample)
    converged: NotRequired[bool]  # the solver stopped before max_iter
    params: dict[str, Any]
    metrics: dict[str, float]  # metrics.discrimination_summary on the out-of-time rows
    calibration: list[dict[str, float]]  # as ModelResult's
    coefficients: list[Coefficient]  # top 20 by magnitude
    auc_gap: float  # challenger AUC − benchmark AUC on the same rows


class GroupApproval(TypedDict):
    group: str  # a level of the attribute, or the rows without a value ("missing")
    n: int
    approved: int
    approval_rate: float | None  # None when n == 0
    adverse_impact_ratio: float | None  # approval rate / reference group's; None without one
    # True for the rows without a value (named "(missing)" when a level is called "missing");
    # absent from records written before it, where that group is the one named "missing".
    missing_value: NotRequired[bool]


class AttributeFairness(TypedDict):
    reference_group: str | None  # most-approved group, never "missing"; None when none approved
    min_ratio: float | None  # lowest ratio of the groups other than "missing"
    groups: list[GroupApproval]  # declared levels in spec order, others seen, then "missing"


class Fairness(TypedDict):
    """Approval rates per protected group at the cutoff (``core.fairness``)."""

    cutoff: float  # approved when the predicted probability of bad is at most this
    attributes: dict[str, AttributeFairness]


class Statement(TypedDict):
    statement: str  # the spec's reviewed reason, else the feature's description
    reviewed: bool


class ReasonFrequency(TypedDict):
    feature: str
    statement: str
    top_reason_share: float  # share of explained declines where it is the first reason
    any_reason_share: float  # share where it is any of the top_n reasons


class Reason(TypedDict):
    feature: str
    statement: str
    contribution: float  # TreeSHAP contribution in log-odds, positive


class ReasonExample(TypedDict):
    application_id: str
    score: float
    reasons: list[Reason]  # largest contribution first


class Fidelity(TypedDict):
    definition: str
    share: float | None  # None when no decline could be counted
    n: int  # declines counted


class ReasonCodes(TypedDict):
    """Adverse-action reasons of the declined out-of-time applications (``core.reasons``)."""

    cutoff: float  # declined when the predicted probability of bad is above this
    top_n: int
    scored: int  # out-of-time applications scored
    declined: int
    explained: NotRequired[int]  # declines whose reasons were computed (a seeded sample)
    without_reason: NotRequired[int]  # explained declines with no positive contribution
    statements: dict[str, Statement]  # every model feature
    frequency: list[ReasonFrequency]  # features that are a reason at least once
    examples: list[ReasonExample]  # the first 20 declines
    fidelity: Fidelity


class Override(TypedDict):
    """Who put a version that failed a gate into service, and why."""

    approver: str
    reason: str
    failed_gates: list[str]  # the failed gates' descriptions


class Deployment(TypedDict):
    """How a version became champion: the alias move on record."""

    champion_since: str  # ISO-8601 time of the alias move
    promoted_by: str  # the move's actor: "dagster run <id>", or a person promoting by hand
    previous_champion_version: int | None  # None for the model's first champion
    reason: str  # the reason recorded with the move
    # What completed this record: the Dagster run, or the person's decision (approval, override).
    recorded_by_run: str
    override: NotRequired[Override]  # only when a failed gate was overridden


class Review(TypedDict):
    """A reviewer's part in the decision: awaited, or a rejection."""

    reviewer: str | None  # None while the approval is awaited
    note: str | None
    decided_at: str | None  # ISO-8601


class Evaluation(TypedDict):
    """Input of ``render_evaluation_html`` and ``evaluation_to_json``."""

    model: str
    version: int
    champion_version: int | None
    created_at: str  # ISO-8601 timestamp with offset
    windows: Windows
    training_set_fingerprint: str  # SHA-256 hex
    model_sha256: str  # SHA-256 hex of the model artifact
    challenger: ModelResult
    champion: ModelResult | None  # scored on the same out-of-time rows; None without a champion
    csi: dict[str, float]  # feature -> CSI
    feature_importance: list[dict[str, Any]]  # {"feature", "gain", "split"}, gain descending
    # Absent from records made before they existed.
    benchmark: NotRequired[Benchmark]
    fairness: NotRequired[Fairness]
    reason_codes: NotRequired[ReasonCodes]
    gates: list[Gate]
    passed: NotRequired[bool]  # all gates passed
    # "pending" from evaluation until the decision rewrites the record: "promoted" (with its
    # deployment), "pending_approval" (the spec asks a reviewer) and then "promoted" or
    # "rejected_by_reviewer" (with the review), or "override" (a failed gate overridden, with
    # its deployment). "rejected" (by the gates) is final at evaluation unless overridden.
    decision: NotRequired[
        Literal[
            "promoted", "rejected", "pending", "pending_approval", "rejected_by_reviewer",
            "override",
        ]
    ]  # fmt: skip
    deployment: NotRequired[Deployment]  # with "promoted" and "override"
    review: NotRequired[Review]  # with "pending_approval" and "rejected_by_reviewer"


Cell = str | tuple[str, str]  # cell text, or (text, CSS class)

_CSS = (
    "body{font-family:Georgia,serif;max-width:60rem;margin:2rem auto;color:#222;line-height:1.4}"
    "h1,h2,h3{font-family:Helvetica,Arial,sans-serif}h2{border-bottom:1px solid #999}"
    "table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #bbb;"
    "padding:.2rem .6rem;text-align:right}th:first-child,td:first-child{text-align:left}"
    "th{background:#eee}td{overflow-wrap:anywhere}.pass,.stable,.promoted{color:#1a6e2e}"
    ".fail,.shifted,.rejected{color:#a4161a;font-weight:bold}.watch,.pending{color:#8a5a00}"
    ".pair{display:flex;gap:1.5rem;flex-wrap:wrap;align-items:flex-start}"
)
_SERIES = (
    ("mean_predicted", "#4a6fa5", "mean predicted"),
    ("observed_bad_rate", "#d08c34", "observed bad rate"),
)


def _e(value: Any) -> str:
    return html.escape(str(value))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and not math.isfinite(value))


_FORMATS = {"num": "{:.4f}", "pct": "{:.1f} %", "pct2": "{:.2f} %", "lift": "{:.2f}×"}


def _fmt(value: Any, kind: str = "num") -> str:
    """Format a number for display: ``num`` 4 decimals, ``pct``/``pct2`` as %, ``count``."""
    if _missing(value):
        return "n/a"
    if kind == "count":
        return f"{int(value):,}"
    return _FORMATS[kind].format(float(value) * (100 if kind.startswith("pct") else 1))


_METRIC_ROWS = [
    ("auc", "AUC", "num"),
    ("gini", "Gini (2·AUC − 1)", "num"),
    ("ks", "KS (max |TPR − FPR|)", "num"),
    ("brier", "Brier score", "num"),
    ("log_loss", "Log loss", "num"),
    ("bad_rate", "Observed bad rate", "pct"),
    ("capture_top10", "Bads captured in riskiest 10 %", "pct"),
    ("capture_top20", "Bads captured in riskiest 20 %", "pct"),
    ("lift_top10", "Lift in riskiest 10 %", "lift"),
    ("n", "Out-of-time rows scored", "count"),
    ("score_psi", "Score PSI (out-of-time vs training)", "num"),
]


def _delta(kind: str, new: Any, old: Any) -> str:
    if _missing(new) or _missing(old):
        return "n/a"
    diff = float(new) - float(old)
    # Rates differ in percentage points; a relative "%" change would be misread.
    if kind == "pct":
        return f"{100 * diff:+.1f} pp"
    return {"count": f"{diff:+,.0f}", "lift": f"{diff:+.2f}×"}.get(kind, f"{diff:+.4f}")


def _td(cell: Cell) -> str:
    text, css = cell if isinstance(cell, tuple) else (cell, "")
    return f'<td class="{_e(css)}">{_e(text)}</td>' if css else f"<td>{_e(text)}</td>"


def _table(headers: list[str], rows: list[list[Cell]]) -> str:
    """HTML table; all text is escaped here so no caller can forget to."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _provenance(ev: Evaluation) -> str:
    win = ev["windows"]
    champion = ev.get("champion_version")
    rows: list[list[Cell]] = [
        ["Model", ev["model"]],
        ["Version", str(ev["version"])],
        ["Champion version", "none in service" if champion is None else str(champion)],
        ["Evaluated at", ev["created_at"]],
        ["Training window", f"{win['train_start']} to {win['train_end']}"],
        ["Out-of-time window", f"{win['oot_start']} to {win['oot_end']}"],
        ["Training-set fingerprint (SHA-256)", ev["training_set_fingerprint"]],
        ["Model artifact SHA-256", ev["model_sha256"]],
    ]
    return "<h2>Provenance</h2>" + _table(["Item", "Value"], rows)


def _metrics_section(ev: Evaluation) -> str:
    values = [{**ev["challenger"]["metrics"], "score_psi": ev["challenger"].get("score_psi")}]
    headers = ["Metric", f"Challenger v{ev['version']}"]
    if ev.get("champion") is not None:
        values.append({**ev["champion"]["metrics"], "score_psi": ev["champion"].get("score_psi")})
        headers += [f"Champion v{ev.get('champion_version')}", "Challenger − champion"]
    if ev.get("benchmark") is not None:
        values.append(ev["benchmark"]["metrics"])  # not scored on training rows: no score PSI
        headers += ["Benchmark (logistic regression)", "Challenger − benchmark"]
    rows: list[list[Cell]] = []
    for key, label, kind in _METRIC_ROWS:
        row: list[Cell] = [label, _fmt(values[0].get(key), kind)]
        for other in values[1:]:
            row += [_fmt(other.get(key), kind), _delta(kind, values[0].get(key), other.get(key))]
        rows.append(row)
    note = "" if ev.get("champion") else "<p>No champion in service: the challenger is alone.</p>"
    title = "Challenger vs champion" + (" and benchmark" if ev.get("benchmark") else "")
    return f"<h2>{title} (same out-of-time rows)</h2>" + note + _table(headers, rows)


def _gates_section(ev: Evaluation) -> str:
    gates = ev["gates"]
    rows: list[list[Cell]] = [
        [g["name"], ("PASS", "pass") if g["passed"] else ("FAIL", "fail"), _fmt(g["observed"]),
         "not set" if g["threshold"] is None else _fmt(g["threshold"]), g.get("description", "")]
        for g in gates
    ]  # fmt: skip
    passed = sum(bool(g["passed"]) for g in gates)
    summary = f"<p>{passed} of {len(gates)} gates passed.</p>"
    headers = ["Gate", "Result", "Observed", "Threshold", "Description"]
    return "<h2>Gates</h2>" + summary + _table(headers, rows)


def _calibration_svg(rows: list[dict[str, float]], label: str) -> str:
    """Bar chart of mean predicted vs observed bad rate per decile, scaled to the largest bar."""
    left, base, tall = 46, 180, 160.0
    values = [r[key] for r in rows for key, _, _ in _SERIES]
    top = max([float(v) for v in values if not _missing(v)] + [1e-9])
    slot = 400 / max(len(rows), 1)
    parts = [
        f'<svg width="460" height="220" viewBox="0 0 460 220" role="img" aria-label="{_e(label)}">'
        f'<title>{_e(label)}</title><line x1="{left}" y1="{base}" x2="450" y2="{base}" '
        f'stroke="#444"/><text x="40" y="24" font-size="10" text-anchor="end">'
        f'{_e(_fmt(top, "pct"))}</text><text x="40" y="{base + 4}" font-size="10" '
        'text-anchor="end">0 %</text>'
    ]
    for i, row in enumerate(rows):
        x = left + i * slot
        for j, (key, color, _) in enumerate(_SERIES):
            h = 0.0 if _missing(row[key]) else tall * float(row[key]) / top
            parts.append(
                f'<rect x="{x + slot * (0.1 + 0.4 * j):.1f}" y="{base - h:.1f}" '
                f'width="{slot * 0.4:.1f}" height="{h:.1f}" fill="{color}"/>'
            )
        parts.append(
            f'<text x="{x + slot / 2:.1f}" y="{base + 14}" font-size="10" '
            f'text-anchor="middle">{_e(row["decile"])}</text>'
        )
    for j, (_, color, name) in enumerate(_SERIES):
        parts.append(
            f'<rect x="{left + 150 * j}" y="200" width="10" height="10" fill="{color}"/>'
            f'<text x="{left + 150 * j + 14}" y="209" font-size="11">{name}</text>'
        )
    return "".join(parts) + "</svg>"


def _calibration_block(title: str, result: ModelResult) -> str:
    rows: list[list[Cell]] = [
        [str(r["decile"]), _fmt(r["n"], "count"), f"{_fmt(r['min_score'])}–{_fmt(r['max_score'])}",
         _fmt(r["mean_predicted"], "pct2"), _fmt(r["observed_bad_rate"], "pct2")]
        for r in result["calibration"]
    ]  # fmt: skip
    headers = ["Decile (1 = lowest score)", "Rows", "Score range", "Mean predicted", "Observed"]
    chart = _calibration_svg(result["calibration"], f"Calibration of the {title}")
    return f"<h3>{_e(title)}</h3><div class='pair'>{_table(headers, rows)}{chart}</div>"


def _calibration_section(ev: Evaluation) -> str:
    blocks = [_calibration_block(f"challenger v{ev['version']}", ev["challenger"])]
    if ev.get("champion") is not None:
        blocks.append(_calibration_block(f"champion v{ev['champion_version']}", ev["champion"]))
    return "<h2>Calibration by score decile (out-of-time)</h2>" + "".join(blocks)


def _lift_block(title: str, result: ModelResult) -> str:
    rows: list[list[Cell]] = [
        [str(r["decile"]), _fmt(r["n"], "count"), f"{_fmt(r['min_score'])}–{_fmt(r['max_score'])}",
         _fmt(r["bads"], "count"), _fmt(r["bad_rate"], "pct2"),
         _fmt(r["cumulative_bads_share"], "pct"), _fmt(r["lift"], "lift"),
         _fmt(r["mean_predicted"], "pct2")]
        for r in result.get("lift_by_decile") or []
    ]  # fmt: skip
    if not rows:
        return f"<h3>{_e(title)}</h3><p>Not in this evaluation record.</p>"
    headers = ["Decile (1 = riskiest)", "Rows", "Score range", "Bads", "Bad rate",
               "Cumulative share of bads", "Lift", "Mean predicted PD"]  # fmt: skip
    return f"<h3>{_e(title)}</h3>{_table(headers, rows)}"


def _lift_section(ev: Evaluation) -> str:
    blocks = [_lift_block(f"challenger v{ev['version']}", ev["challenger"])]
    if ev.get("champion") is not None:
        blocks.append(_lift_block(f"champion v{ev['champion_version']}", ev["champion"]))
    intro = (
        "<p>Score deciles from the riskiest down; lift is the decile's bad rate over the "
        "overall bad rate.</p>"
    )
    return "<h2>Lift by score decile (out-of-time)</h2>" + intro + "".join(blocks)


def _stability(value: Any) -> tuple[str, str]:
    # Industry rule of thumb from the domain notes: < 0.1 stable, 0.1-0.25 watch, > 0.25 shifted.
    if _missing(value):
        return ("n/a", "")
    label = "stable" if value < 0.1 else "watch" if value <= 0.25 else "shifted"
    return (label, label)


def _csi_section(ev: Evaluation) -> str:
    # Largest shift first; unknown values last.
    ranked = sorted(ev["csi"].items(), key=lambda kv: math.inf if _missing(kv[1]) else -kv[1])
    rows: list[list[Cell]] = [[name, _fmt(v), _stability(v)] for name, v in ranked]
    intro = "<p>CSI below 0.1 is stable, 0.1 to 0.25 worth watching, above 0.25 shifted.</p>"
    return "<h2>Feature stability (CSI)</h2>" + intro + _table(["Feature", "CSI", "Status"], rows)


def _importance_section(ev: Evaluation) -> str:
    ranked = sorted(ev["feature_importance"], key=lambda r: r["gain"], reverse=True)
    total = sum(float(r["gain"]) for r in ranked) or 1.0
    rows: list[list[Cell]] = [
        [str(i), r["feature"], f"{float(r['gain']):,.1f}", _fmt(float(r["gain"]) / total, "pct"),
         _fmt(r["split"], "count")]
        for i, r in enumerate(ranked[:20], start=1)
    ]  # fmt: skip
    headers = ["Rank", "Feature", "Gain", "Share of gain", "Splits"]
    return "<h2>Feature importance (top 20 by gain)</h2>" + _table(headers, rows)


_ABSENT = "<p>Not in this evaluation record.</p>"


def _benchmark_section(ev: Evaluation) -> str:
    heading = "<h2>Benchmark model (logistic regression)</h2>"
    bench = ev.get("benchmark")
    if bench is None:
        return heading + _ABSENT
    rows: list[list[Cell]] = [
        [str(i), c["feature"], f"{float(c['coefficient']):+.4f}"]
        for i, c in enumerate(bench["coefficients"], start=1)
    ]
    intro = (
        f"<p>{_e(bench['description'])}</p><p>Challenger AUC − benchmark AUC: "
        f"<strong>{_e(_delta('num', bench['auc_gap'], 0.0))}</strong>.</p>"
    )
    coefficients = "<h3>Largest coefficients</h3>" + _table(["Rank", "Input", "Coefficient"], rows)
    return heading + intro + _calibration_block("benchmark", bench) + coefficients


_FOUR_FIFTHS = 0.8  # the usual screen for adverse impact (DOMAIN.md)


def _screen(group: GroupApproval, reference: str | None) -> Cell:
    ratio = group["adverse_impact_ratio"]
    if group["group"] == reference:
        return ("reference", "stable")
    if is_missing_value_group(group):
        return "no value: not screened"
    if _missing(ratio):
        return "n/a"
    return ("below 4/5", "fail") if ratio < _FOUR_FIFTHS else ("at or above 4/5", "pass")


def _fairness_section(ev: Evaluation) -> str:
    heading = "<h2>Fairness: approval rates by protected group</h2>"
    fair = ev.get("fairness")
    if fair is None:
        return heading + _ABSENT
    intro = (
        f"<p>Approved: predicted probability of bad at most the cutoff {_e(_fmt(fair['cutoff']))}"
        ". Adverse impact ratio: a group's approval rate over that of the most-approved group "
        "(the reference); below 0.8 (four-fifths) calls for a closer look. Applicants without "
        "a value form the group <em>missing</em> (<em>(missing)</em> when a group of the "
        "attribute has that name), never the reference and not counted in the gate.</p>"
    )
    if not fair["attributes"]:
        return heading + intro + "<p>The spec declares no protected attribute.</p>"
    headers = ["Group", "Applications", "Approved", "Approval rate", "Adverse impact ratio",
               "Screen"]  # fmt: skip
    blocks = []
    for name, block in fair["attributes"].items():
        reference = block["reference_group"]
        rows: list[list[Cell]] = [
            [g["group"], _fmt(g["n"], "count"), _fmt(g["approved"], "count"),
             _fmt(g["approval_rate"], "pct"), _fmt(g["adverse_impact_ratio"]),
             _screen(g, reference)]
            for g in block["groups"]
        ]  # fmt: skip
        summary = (
            f"<p>Reference group: {_e(reference or 'none (no group approved)')}; lowest ratio: "
            f"{_e(_fmt(block['min_ratio']))}.</p>"
        )
        blocks.append(f"<h3>{_e(name)}</h3>{summary}{_table(headers, rows)}")
    return heading + intro + "".join(blocks)


def _reason_list(reasons: list[Reason]) -> str:
    return "; ".join(f"{r['statement']} ({float(r['contribution']):+.3f})" for r in reasons)


def _reasons_section(ev: Evaluation) -> str:
    heading = "<h2>Adverse-action reason codes</h2>"
    codes = ev.get("reason_codes")
    if codes is None:
        return heading + _ABSENT
    explained = codes.get("explained", codes["declined"])
    sampled = "" if explained == codes["declined"] else " (a seeded sample)"
    fidelity = codes["fidelity"]
    parts = [
        f"<p>{_e(_fmt(codes['declined'], 'count'))} of {_e(_fmt(codes['scored'], 'count'))} "
        f"out-of-time applications are declined at the cutoff {_e(_fmt(codes['cutoff']))}; the "
        f"reasons of {_e(_fmt(explained, 'count'))}{sampled} were computed from the model's "
        f"TreeSHAP contributions, up to {_e(codes['top_n'])} each. "
        f"Declines without any reason: {_e(_fmt(codes.get('without_reason'), 'count'))}.</p>",
        f"<p>Fidelity: <strong>{_e(_fmt(fidelity['share'], 'pct'))}</strong> of "
        f"{_e(_fmt(fidelity['n'], 'count'))} declines. {_e(fidelity['definition'])}</p>",
    ]
    unreviewed = [name for name, s in codes["statements"].items() if not s["reviewed"]]
    if unreviewed:
        parts.append(
            "<p>Features without a reviewed reason statement (their description is shown "
            f"instead): <strong>{_e(', '.join(unreviewed))}</strong>.</p>"
        )
    else:
        parts.append("<p>Every model feature has a reviewed reason statement.</p>")
    reviewed = {name: s["reviewed"] for name, s in codes["statements"].items()}
    rows: list[list[Cell]] = [
        [f["feature"], f["statement"] if reviewed.get(f["feature"]) else
         (f"{f['statement']} (unreviewed)", "watch"),
         _fmt(f["top_reason_share"], "pct"), _fmt(f["any_reason_share"], "pct")]
        for f in codes["frequency"]
    ]  # fmt: skip
    headers = ["Feature", "Statement", "Top reason", f"Any of the top {codes['top_n']}"]
    parts.append("<h3>How often each feature is a reason</h3>" + _table(headers, rows))
    examples: list[list[Cell]] = [
        [x["application_id"], _fmt(x["score"]), _reason_list(x["reasons"]) or "none"]
        for x in codes["examples"]
    ]
    parts.append(
        f"<h3>The first {len(examples)} declines</h3>"
        + _table(["Application", "Score", "Reasons (log-odds contribution)"], examples)
    )
    return heading + "".join(parts)


FINAL_DECISIONS = ("promoted", "rejected")


def with_promotion(evaluation: Evaluation, deployment: Deployment) -> Evaluation:
    """The record completed by the deployment decision: promoted, when, by whom, replacing
    which champion. A record whose gates failed says "override", and only when the deployment
    names the override; raises ``ValueError`` otherwise."""
    failed = evaluation.get("decision") == "rejected" or not evaluation.get("passed", True)
    if failed and not deployment.get("override"):
        raise ValueError(
            f"{evaluation['model']} v{evaluation['version']} was rejected by its gates; "
            "its record can say promoted only with the override that allowed it"
        )
    decision = "override" if failed else "promoted"
    completed = {k: v for k, v in evaluation.items() if k != "review"}
    return {**completed, "decision": decision, "deployment": deployment}


def with_review(evaluation: Evaluation, review: Review) -> Evaluation:
    """The record of a version that passed every gate and goes to a reviewer: awaiting
    approval (``review["reviewer"]`` None), or rejected by the reviewer. A promotion after an
    approval is ``with_promotion``. Raises ``ValueError`` for a version its gates rejected."""
    if evaluation.get("decision") == "rejected" or not evaluation.get("passed", True):
        raise ValueError(
            f"{evaluation['model']} v{evaluation['version']} was rejected by its gates; "
            "no reviewer decides on it"
        )
    decision = "pending_approval" if review["reviewer"] is None else "rejected_by_reviewer"
    return {**evaluation, "decision": decision, "review": review}


def _decision(ev: Evaluation) -> str:
    """The headline: what was decided, and for a promotion when, by whom and replacing what."""
    decision = str(ev.get("decision") or "not recorded")
    if decision == "pending":
        return (
            '<p>Decision: <strong class="pending">AWAITING THE DEPLOYMENT DECISION</strong></p>'
            "<p>Every gate passed, so this version may become champion. The deployment step "
            "rewrites this report when it decides; a report that still reads so was not "
            "decided, as when its run stopped before deployment.</p>"
        )
    if decision == "pending_approval":
        return (
            '<p>Decision: <strong class="pending">AWAITING A REVIEWER\'S APPROVAL</strong></p>'
            "<p>Every gate passed and the spec asks a reviewer other than the trainer to approve "
            "it (<code>ml-platform approve</code>); this report is rewritten with the "
            "decision.</p>"
        )
    review = ev.get("review")
    if decision == "rejected_by_reviewer" and review:
        rows: list[list[Cell]] = [
            ["Rejected by", review.get("reviewer") or "n/a"],
            ["Note", review.get("note") or ""],
            ["Decided at", review.get("decided_at") or "n/a"],
        ]
        return '<p>Decision: <strong class="rejected">REJECTED BY A REVIEWER</strong></p>' + _table(
            ["Review", "Value"], rows
        )
    shown = {"override": "PROMOTED BY OVERRIDE OF A FAILED GATE"}.get(decision, decision.upper())
    css = "rejected" if decision == "override" else decision
    headline = f'<p>Decision: <strong class="{_e(css)}">{_e(shown)}</strong></p>'
    deployment = ev.get("deployment")
    if decision not in ("promoted", "override") or not deployment:
        return headline
    previous = deployment.get("previous_champion_version")
    rows = [
        ["Champion since", deployment["champion_since"]],
        ["Promoted by", deployment["promoted_by"]],
        ["Previous champion", "none (first champion)" if previous is None else f"v{previous}"],
        ["Reason on record", deployment["reason"]],
        ["Recorded by", deployment["recorded_by_run"]],
    ]
    override = deployment.get("override")
    if override:
        rows += [
            ["Override approved by", override["approver"]],
            ["Override reason", override["reason"]],
            ["Gates it failed", "; ".join(override["failed_gates"])],
        ]
    return headline + _table(["Deployment", "Value"], rows)


def render_evaluation_html(evaluation: Evaluation) -> str:
    """Render the evaluation as one self-contained HTML page (inline CSS and SVG, no scripts)."""
    ev = evaluation
    title = _e(f"{ev['model']} version {ev['version']}")
    sections = (
        _provenance,
        _metrics_section,
        _gates_section,
        _calibration_section,
        _lift_section,
        _benchmark_section,
        _fairness_section,
        _reasons_section,
        _csi_section,
    )
    body = "".join(section(ev) for section in sections) + _importance_section(ev)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Evaluation of {title}</title><style>{_CSS}</style></head><body>"
        f"<h1>Model evaluation: {title}</h1>{_decision(ev)}{body}"
        "<footer><p>Rendered from the evaluation record "
        f"created {_e(ev['created_at'])}.</p></footer></body></html>\n"
    )


def _plain(value: Any) -> Any:
    """JSON-ready copy: numpy scalars and arrays to Python, NaN and infinities to None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def evaluation_to_json(evaluation: Evaluation) -> str:
    """Stable JSON of the evaluation: sorted keys, two-space indent, NaN as null."""
    # allow_nan=False makes any non-finite float that slipped past _plain fail loudly rather
    # than produce the invalid JSON token NaN.
    return json.dumps(_plain(evaluation), sort_keys=True, indent=2, allow_nan=False) + "\n"
