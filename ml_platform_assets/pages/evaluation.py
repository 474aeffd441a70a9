"""The evaluation report of a challenger model: one archivable HTML page of its record.

The record's shape is ``core.evaluation_record.Evaluation``. Python prepares the rows here;
``templates/evaluation.html.j2`` holds the wording and the markup. A missing or non-finite
number reads "n/a" rather than failing the whole page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ml_platform_assets.core.evaluation_record import Evaluation, GroupApproval, ModelResult
from ml_platform_assets.pages.charts import calibration_chart
from ml_platform_assets.pages.kit import (
    Cell,
    Table,
    count,
    delta,
    fmt,
    is_missing,
    lift,
    num,
    pct,
    render,
    status,
    table,
)

# (key in the model's metrics, label, format) of every row of the metrics tables.
METRIC_ROWS = [
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
FOUR_FIFTHS = 0.8  # the usual screen for adverse impact (DOMAIN.md)


def compared_models(ev: Evaluation) -> list[tuple[str, str, dict]]:
    """(role, label, result) of the challenger, the champion and a fitted benchmark."""
    out = [("challenger", f"Challenger v{ev['version']}", ev["challenger"])]
    if ev["champion"]:
        out.append(("champion", f"Champion v{ev['champion_version']}", ev["champion"]))
    if ev["benchmark"].get("metrics"):
        out.append(("benchmark", "Benchmark (logistic regression)", ev["benchmark"]))
    return out


def ranked_csi(csi: dict[str, float]) -> list[list[str | Cell]]:
    """Rows of feature, CSI and status, the largest shift first and unknown values last."""
    ranked = sorted(csi.items(), key=lambda kv: math.inf if is_missing(kv[1]) else -kv[1])
    return [[name, num(value), status(value)] for name, value in ranked]


def _metrics(ev: Evaluation) -> Table:
    values = [{**ev["challenger"]["metrics"], "score_psi": ev["challenger"]["score_psi"]}]
    headers = ["Metric", f"Challenger v{ev['version']}"]
    if ev["champion"] is not None:
        values.append({**ev["champion"]["metrics"], "score_psi": ev["champion"]["score_psi"]})
        headers += [f"Champion v{ev['champion_version']}", "Challenger − champion"]
    values.append(ev["benchmark"]["metrics"])  # not scored on training rows: no score PSI
    headers += ["Benchmark (logistic regression)", "Challenger − benchmark"]
    rows = []
    for key, label, kind in METRIC_ROWS:
        row = [label, fmt(values[0].get(key), kind)]
        for other in values[1:]:
            row += [fmt(other.get(key), kind), delta(values[0].get(key), other.get(key), kind)]
        rows.append(row)
    return table(headers, rows)


def _gates(ev: Evaluation) -> Table:
    rows = [
        [g["name"], ("PASS", "pass") if g["passed"] else ("FAIL", "fail"), num(g["observed"]),
         "not set" if g["threshold"] is None else num(g["threshold"]), g["description"]]
        for g in ev["gates"]
    ]  # fmt: skip
    return table(["Gate", "Result", "Observed", "Threshold", "Description"], rows)


def _calibration(rows: Sequence[dict]) -> Table:
    headers = ["Decile (1 = lowest score)", "Rows", "Score range", "Mean predicted", "Observed"]
    return table(headers, [
        [str(r["decile"]), count(r["n"]), f"{num(r['min_score'])}–{num(r['max_score'])}",
         pct(r["mean_predicted"], 2), pct(r["observed_bad_rate"], 2)]
        for r in rows
    ])  # fmt: skip


def _lift(result: ModelResult) -> Table:
    headers = ["Decile (1 = riskiest)", "Rows", "Score range", "Bads", "Bad rate",
               "Cumulative share of bads", "Lift", "Mean predicted PD"]  # fmt: skip
    return table(headers, [
        [str(r["decile"]), count(r["n"]), f"{num(r['min_score'])}–{num(r['max_score'])}",
         count(r["bads"]), pct(r["bad_rate"], 2), pct(r["cumulative_bads_share"]),
         lift(r["lift"]), pct(r["mean_predicted"], 2)]
        for r in result["lift_by_decile"]
    ])  # fmt: skip


def _screen(group: GroupApproval, reference: str | None) -> Cell:
    ratio = group["adverse_impact_ratio"]
    if group["group"] == reference:
        return Cell("reference", "stable")
    if group["missing_value"]:
        return Cell("no value: not screened")
    if is_missing(ratio):
        return Cell("n/a")
    return Cell("below 4/5", "fail") if ratio < FOUR_FIFTHS else Cell("at or above 4/5", "pass")


def _fairness(ev: Evaluation) -> list[dict]:
    """Each protected attribute's reference group, lowest ratio and table of groups."""
    headers = ["Group", "Applications", "Approved", "Approval rate", "Adverse impact ratio",
               "Screen"]  # fmt: skip
    attributes = []
    for name, block in ev["fairness"]["attributes"].items():
        reference = block["reference_group"]
        rows = [
            [g["group"], count(g["n"]), count(g["approved"]), pct(g["approval_rate"]),
             num(g["adverse_impact_ratio"]), _screen(g, reference)]
            for g in block["groups"]
        ]  # fmt: skip
        summary = {"name": name, "reference": reference, "min_ratio": block["min_ratio"]}
        attributes.append({**summary, "table": table(headers, rows)})
    return attributes


def _reasons(ev: Evaluation) -> dict:
    codes = ev["reason_codes"]
    reviewed = {name: s["reviewed"] for name, s in codes["statements"].items()}
    frequency = table(
        ["Feature", "Statement", "Top reason", f"Any of the top {codes['top_n']}"],
        [[f["feature"], f["statement"] if reviewed.get(f["feature"]) else
          (f"{f['statement']} (unreviewed)", "watch"),
          pct(f["top_reason_share"]), pct(f["any_reason_share"])]
         for f in codes["frequency"]],
    )  # fmt: skip
    examples = table(
        ["Application", "Score", "Reasons (log-odds contribution)"],
        [[x["application_id"], num(x["score"]),
          "; ".join(f"{r['statement']} ({float(r['contribution']):+.3f})" for r in x["reasons"])
          or "none"]
         for x in codes["examples"]],
    )  # fmt: skip
    unreviewed = [name for name, is_reviewed in reviewed.items() if not is_reviewed]
    return {"frequency": frequency, "examples": examples, "unreviewed": ", ".join(unreviewed)}


def _importance(ev: Evaluation) -> Table:
    ranked = sorted(ev["feature_importance"], key=lambda r: r["gain"], reverse=True)
    total = sum(float(r["gain"]) for r in ranked) or 1.0
    return table(["Rank", "Feature", "Gain", "Share of gain", "Splits"], [
        [str(i), r["feature"], f"{float(r['gain']):,.1f}", pct(float(r["gain"]) / total),
         count(r["split"])]
        for i, r in enumerate(ranked[:20], start=1)
    ])  # fmt: skip


def _decision_table(ev: Evaluation) -> Table | None:
    """The review of a rejection by a reviewer, or the deployment of a promotion."""
    review, deployment = ev.get("review"), ev.get("deployment")
    if ev["decision"] == "rejected_by_reviewer" and review:
        return table(["Review", "Value"], [
            ["Rejected by", review["reviewer"] or "n/a"], ["Note", review["note"] or ""],
            ["Decided at", review["decided_at"] or "n/a"],
        ])  # fmt: skip
    if ev["decision"] not in ("promoted", "override") or not deployment:
        return None
    previous = deployment["previous_champion_version"]
    rows = [
        ["Champion since", deployment["champion_since"]],
        ["Promoted by", deployment["promoted_by"]],
        ["Previous champion", "none (first champion)" if previous is None else f"v{previous}"],
        ["Reason on record", deployment["reason"]],
        ["Recorded by", deployment["recorded_by_run"]],
    ]
    if override := deployment.get("override"):
        rows += [
            ["Override approved by", override["approver"]],
            ["Override reason", override["reason"]],
            ["Gates it failed", "; ".join(override["failed_gates"])],
        ]
    return table(["Deployment", "Value"], rows)


def render_evaluation_html(evaluation: Evaluation) -> str:
    """The evaluation as one self-contained HTML page (inline CSS and SVG, no scripts).

    Returns:
        The page, ending in a newline; the same record gives the same text.
    """
    ev = evaluation
    win, champion = ev["windows"], ev["champion"]
    provenance = table(["Item", "Value"], [
        ["Model", ev["model"]], ["Version", str(ev["version"])],
        ["Champion version", "none in service" if champion is None else
         str(ev["champion_version"])],
        ["Evaluated at", ev["created_at"]],
        ["Training window", f"{win['train_start']} to {win['train_end']}"],
        ["Out-of-time window", f"{win['oot_start']} to {win['oot_end']}"],
        ["Training-set fingerprint (SHA-256)", ev["training_set_fingerprint"]],
        ["Model artifact SHA-256", ev["model_sha256"]],
    ])  # fmt: skip
    models = [(f"challenger v{ev['version']}", ev["challenger"])]
    if champion is not None:
        models.append((f"champion v{ev['champion_version']}", champion))
    bench = ev["benchmark"]
    return render(
        "evaluation.html.j2",
        ev=ev,
        title=f"{ev['model']} version {ev['version']}",
        decision_table=_decision_table(ev),
        provenance=provenance,
        metrics=_metrics(ev),
        gates=_gates(ev),
        passed=sum(bool(g["passed"]) for g in ev["gates"]),
        calibration_chart=calibration_chart(
            [(role, label, m["calibration"]) for role, label, m in compared_models(ev)]
        ),
        calibration=[(title, _calibration(m["calibration"])) for title, m in models],
        lift=[(title, _lift(m)) for title, m in models],
        benchmark_calibration=_calibration(bench["calibration"]),
        coefficients=table(
            ["Rank", "Input", "Coefficient"],
            [
                [str(i), c["feature"], f"{float(c['coefficient']):+.4f}"]
                for i, c in enumerate(bench["coefficients"], start=1)
            ],
        ),
        fairness=_fairness(ev),
        reasons=_reasons(ev),
        csi=table(["Feature", "CSI", "Status"], ranked_csi(ev["csi"])),
        importance=_importance(ev),
    )
