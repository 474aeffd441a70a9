"""The model document's sections drawn from the evaluation record: performance, calibration,
lift, stability, the benchmark, fairness, reason codes and the gates.

Each section takes the ``pages.model_document.ModelDocument`` and returns its blocks. Without
an evaluation record (a version never evaluated, or its record missing from the store) a
section says so in a sentence; the performance and the gates then show the registry's summary.
"""

from __future__ import annotations

from ml_platform_assets.pages.charts import calibration_chart, gains_chart
from ml_platform_assets.pages.document_data import Block, ModelDocument
from ml_platform_assets.pages.evaluation import METRIC_ROWS, compared_models, ranked_csi
from ml_platform_assets.pages.kit import (
    Cell,
    Heading,
    Para,
    count,
    delta,
    fmt,
    is_missing,
    num,
    pct,
    status,
    table,
    text_of,
)

AIR_SCREEN = 0.8  # the four-fifths screen of adverse impact (DOMAIN.md), when the spec sets none


def label(doc: ModelDocument) -> str:
    """``<model> v<version>``."""
    return f"{doc['version']['model']} v{doc['version']['version']}"


def absent(doc: ModelDocument) -> str | None:
    """The sentence for a section that needs the evaluation record, when there is none."""
    if doc["evaluation"] is not None:
        return None
    if doc["recorded_evaluation"]:
        return (
            f"The evaluation record of {label(doc)} could not be read from the object store, "
            "so this is not available."
        )
    return f"{label(doc)} was never evaluated: there are no out-of-time results on record."


def performance(doc: ModelDocument) -> list[Block]:
    """Every out-of-time metric of each model, and the challenger's differences."""
    ev = doc["evaluation"]
    if ev is None:
        recorded = doc["recorded_evaluation"]
        if not recorded:
            return [Para(absent(doc))]
        metrics = recorded.get("metrics") or {}
        rows = [[name, fmt(metrics.get(key), kind)] for key, name, kind in METRIC_ROWS]
        header = f"v{doc['version']['version']} (registry's summary)"
        return [Para(absent(doc)), table(["Metric", header], rows)]
    models = compared_models(ev)
    values = [{**m["metrics"], "score_psi": m.get("score_psi")} for _, _, m in models]
    headers = ["Metric", *(name for _, name, _ in models)]
    headers += [f"Challenger − {role}" for role, _, _ in models[1:]]
    rows = []
    for key, name, kind in METRIC_ROWS:
        row = [name, *(fmt(v.get(key), kind) for v in values)]
        row += [delta(values[0].get(key), v.get(key), kind) for v in values[1:]]
        rows.append(row)
    win = ev["windows"]
    notes = [
        f"Scored on the out-of-time rows of {win['oot_start']} to {win['oot_end']}, evaluated "
        f"{ev['created_at']}; every model on the same rows."
    ]
    if not ev["champion"]:
        notes.append("No champion was in service at evaluation: the challenger had none beside it.")
    return [*map(Para, notes), table(headers, rows)]


def calibration(doc: ModelDocument) -> list[Block]:
    """The calibration chart of every model, then each model's table."""
    ev = doc["evaluation"]
    if ev is None:
        return [Para(absent(doc))]
    models = [(role, name, m["calibration"]) for role, name, m in compared_models(ev)]
    headers = ["Decile (1 = lowest score)", "Rows", "Score range", "Mean predicted",
               "Observed bad rate"]  # fmt: skip
    blocks: list[Block] = [calibration_chart(models)]
    for _, name, rows in models:
        blocks.append(Heading(name))
        blocks.append(table(headers, [
            [str(r["decile"]), count(r["n"]), f"{num(r['min_score'])}–{num(r['max_score'])}",
             pct(r["mean_predicted"], 2), pct(r["observed_bad_rate"], 2)]
            for r in rows
        ]))  # fmt: skip
    return blocks


def lift(doc: ModelDocument) -> list[Block]:
    """The gains chart of the challenger and the champion, then each one's lift table."""
    ev = doc["evaluation"]
    if ev is None:
        return [Para(absent(doc))]
    models = [(role, name, m["lift_by_decile"]) for role, name, m in compared_models(ev)
              if role != "benchmark"]  # fmt: skip
    headers = ["Decile (1 = riskiest)", "Rows", "Bads", "Bad rate", "Cumulative share of bads",
               "Lift", "Mean predicted PD"]  # fmt: skip
    blocks: list[Block] = [Para("Lift is a decile's bad rate over the overall bad rate."),
                         gains_chart(models)]  # fmt: skip
    for _, name, rows in models:
        blocks.append(Heading(name))
        blocks.append(table(headers, [
            [str(r["decile"]), count(r["n"]), count(r["bads"]), pct(r["bad_rate"], 2),
             pct(r["cumulative_bads_share"]), fmt(r["lift"], "lift"), pct(r["mean_predicted"], 2)]
            for r in rows
        ]))  # fmt: skip
    return blocks


def stability(doc: ModelDocument) -> list[Block]:
    """Score PSI of each model and CSI of each feature, the largest shift first."""
    ev = doc["evaluation"]
    if ev is None:
        return [Para(absent(doc))]
    psi_rows = [[name, num(m["score_psi"]), status(m["score_psi"])]
                for role, name, m in compared_models(ev) if role != "benchmark"]  # fmt: skip
    return [
        Para(
            "PSI of the scores and CSI of each feature, out-of-time against the training rows: "
            "below 0.1 stable, 0.1 to 0.25 worth watching, above 0.25 shifted."
        ),
        table(["Score PSI", "PSI", "Status"], psi_rows),
        table(["Feature", "CSI", "Status"], ranked_csi(ev["csi"])),
    ]


def benchmark(doc: ModelDocument) -> list[Block]:
    """The benchmark's method, verdict against the challenger, parameters and coefficients."""
    ev = doc["evaluation"]
    if ev is None:
        return [Para(absent(doc))]
    bench = ev["benchmark"]
    if not bench.get("metrics"):
        reason = bench.get("error", "no reason given")
        return [Para(f"The benchmark could not be fitted: {reason}.")]
    allowed = (doc["spec"].get("gates") or {}).get("max_auc_gap_vs_benchmark")
    verdict = f"The challenger's AUC minus the benchmark's is {num(bench['auc_gap'])}" + (
        "." if allowed is None
        else f"; the spec allows the challenger to trail by at most {num(allowed)}."
    )  # fmt: skip
    params = bench["params"]
    return [
        Para(bench["description"]),
        Para(verdict),
        table(["Parameter", "Value"], [[k, text_of(params[k])] for k in sorted(params)]),
        Heading("Largest coefficients"),
        table(["Input (normal score or one-hot level)", "Coefficient"],
              [[c["feature"], num(c["coefficient"])] for c in bench["coefficients"]]),
    ]  # fmt: skip


def _against(group: dict, screen: float) -> Cell:
    """A group's ratio against the screen; the rows without a value are never in the gate."""
    ratio = group["adverse_impact_ratio"]
    if group["missing_value"]:
        return Cell("no value: not in the gate")
    if is_missing(ratio):
        return Cell("n/a")
    return Cell("below", "fail") if ratio < screen else Cell("ok", "pass")


def fairness(doc: ModelDocument) -> list[Block]:
    """Approval rates and adverse impact ratios per protected group, marked against the gate."""
    ev = doc["evaluation"]
    if ev is None:
        return [Para(absent(doc))]
    fair = ev["fairness"]
    if not fair["attributes"]:
        return [Para("The spec declares no protected attributes: nothing was measured.")]
    floor = (doc["spec"].get("gates") or {}).get("min_adverse_impact_ratio")
    screen = AIR_SCREEN if floor is None else floor
    kind = "four-fifths screen" if floor is None else "spec's gate"
    blocks: list[Block] = [Para(
        f"Approval means a predicted PD at or below the cutoff {num(fair['cutoff'])}. The "
        "adverse impact ratio is a group's approval rate over the most-approved group's; "
        f"ratios below {num(screen)} (the {kind}) are marked. Applicants without a value "
        "are listed as their own group, never the reference nor in the gate."
    )]  # fmt: skip
    headers = ["Group", "Applications", "Approved", "Approval rate", "Adverse impact ratio",
               f"Against {num(screen)}"]  # fmt: skip
    for name, block in fair["attributes"].items():
        rows = [[str(g["group"]), count(g["n"]), count(g["approved"]), pct(g["approval_rate"]),
                 num(g["adverse_impact_ratio"]), _against(g, screen)]
                for g in block["groups"]]  # fmt: skip
        reference = block["reference_group"] or "none (no approvals)"
        blocks += [
            Heading(name),
            Para(f"Reference group: {reference}; lowest ratio {num(block['min_ratio'])}."),
            table(headers, rows),
        ]
    return blocks


def reasons(doc: ModelDocument) -> list[Block]:
    """How many declines were explained, how faithfully, and how often each feature is a
    reason."""
    ev = doc["evaluation"]
    if ev is None:
        return [Para(absent(doc))]
    codes = ev["reason_codes"]
    fidelity = codes["fidelity"]
    summary = table(["Item", "Value"], [
        ["Decline cutoff (predicted PD above)", num(codes["cutoff"])],
        ["Out-of-time applications scored", count(codes["scored"])],
        ["Declined", count(codes["declined"])],
        ["Declines explained", count(codes["explained"])],
        ["Declines without a reason", count(codes["without_reason"])],
        ["Reasons given per decline (at most)", count(codes["top_n"])],
        ["Fidelity", f"{pct(fidelity['share'])} of {count(fidelity['n'])} declines"],
        ["Fidelity means", fidelity["definition"]],
    ])  # fmt: skip
    statements = codes["statements"]
    rows = [
        [r["feature"], r["statement"],
         ("yes", "pass") if statements.get(r["feature"], {}).get("reviewed") else ("no", "fail"),
         pct(r["top_reason_share"]), pct(r["any_reason_share"])]
        for r in codes["frequency"]
    ]  # fmt: skip
    if not rows:
        return [summary, Para("No declined application had a reason: the table is empty.")]
    headers = ["Feature", "Statement", "Reviewed", "Top reason of declines",
               "Among the reasons of declines"]  # fmt: skip
    return [summary, table(headers, rows, css="text")]


def gates(doc: ModelDocument) -> list[Block]:
    """Every gate with its result; the registry's summary stands in for a missing record."""
    ev = doc["evaluation"] or doc["recorded_evaluation"] or {}
    found = ev.get("gates")
    if not found:
        return [Para(absent(doc) or f"No gate results are on record for {label(doc)}.")]
    rows = [
        [g["name"], ("PASS", "pass") if g["passed"] else ("FAIL", "fail"),
         num(g.get("observed")), num(g.get("threshold")), g.get("description", "")]
        for g in found
    ]  # fmt: skip
    passed = sum(bool(g["passed"]) for g in found)
    return [
        Para(f"{passed} of {len(found)} gates passed."),
        table(["Gate", "Result", "Observed", "Threshold", "Description"], rows),
    ]
