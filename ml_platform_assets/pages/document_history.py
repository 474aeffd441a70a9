"""The model document's account of what people and runs did with the version: decisions,
deployment history and the audit-ledger records about it.

Each section takes the ``pages.model_document.ModelDocument`` and returns its blocks.
"""

from __future__ import annotations

from ml_platform_assets.pages.document_data import Block, ModelDocument
from ml_platform_assets.pages.kit import Heading, Para, table, text_of


def champion_line(doc: ModelDocument) -> str:
    """Whether the version serves now, and since when."""
    version, champion = doc["version"]["version"], doc["current_champion"]
    if champion is None:
        return f"No champion is in service for {doc['version']['model']}."
    if champion != version:
        return f"This version is not in service; the champion is v{champion}."
    moves = [m for m in doc["champion_history"] if m.get("to_version") == version]
    since = f" since {text_of(moves[-1]['created_at'])}" if moves else ""
    return f"This version is the champion in service{since}."


def _this_versions(doc: ModelDocument, *types: str) -> list[dict]:
    version = doc["version"]["version"]
    return [r for r in doc["ledger"] if r["version"] == version and r["event_type"] in types]


def registered_artifacts(doc: ModelDocument) -> list[dict]:
    """The artifacts the version's newest ``registered`` ledger record names."""
    found = _this_versions(doc, "registered")
    return found[-1]["artifacts"] if found else []


def decisions(doc: ModelDocument) -> list[Block]:
    """The gates' verdict, the reviewers' approvals and rejections, and overrides."""
    ev = doc["evaluation"] or doc["recorded_evaluation"] or {}
    gates = {True: "passed every gate", False: "failed a gate"}.get(ev.get("passed"), "none")
    status = doc["version"].get("status")
    blocks: list[Block] = [Para(f"At evaluation: {gates}. Status of the version now: {status}.")]
    if status == "pending_approval":
        blocks.append(Para("The version passed every gate and waits for a reviewer's decision."))
    approvals = [
        [text_of(a.get("created_at")),
         (a["decision"], "pass" if a["decision"] == "approved" else "fail"),
         a.get("reviewer", ""), a.get("note", "")]
        for a in doc["approvals"]
    ]  # fmt: skip
    blocks.append(Heading("Approvals and rejections"))
    blocks.append(
        table(["Time", "Decision", "Reviewer", "Note"], approvals, css="text")
        if approvals
        else Para("No reviewer approved or rejected this version.")
    )
    overrides = [
        [text_of(r["created_at"]), r["payload"].get("approver", ""), r["actor"],
         r["payload"].get("override_reason", ""),
         "; ".join(g.get("description", g.get("name", ""))
                   for g in r["payload"].get("failed_gates", []))]
        for r in _this_versions(doc, "override")
    ]  # fmt: skip
    blocks.append(Heading("Overrides"))
    blocks.append(
        table(["Time", "Approver", "Actor", "Reason", "Failed gates"], overrides, css="text")
        if overrides
        else Para("This version was never put in service against a failed gate.")
    )
    return blocks


def deployment(doc: ModelDocument) -> list[Block]:
    """Every move of the model's champion with its ledger record, this version's marked."""
    version = doc["version"]["version"]
    by_move = {
        (r["payload"].get("registry_row") or {}).get("id"): r
        for r in doc["ledger"]
        if r["event_type"] in ("promoted", "override", "rolled_back")
        and (r["payload"].get("registry_row") or {}).get("table") == "alias_events"
    }
    rows = []
    for move in doc["champion_history"]:
        record = by_move.get(move.get("id"))
        kind = record["event_type"] if record else move.get("action", "promote")
        before = move.get("from_version")
        mark = ("became champion", "this") if move["to_version"] == version else (
            ("replaced", "this") if before == version else "")  # fmt: skip
        approver = (record or {}).get("payload", {}).get("approver") or ""
        rows.append([
            text_of(move["created_at"]), (kind, "override" if kind == "override" else ""),
            "none" if before is None else f"v{before}", f"v{move['to_version']}",
            move.get("actor", ""), approver, move.get("reason", ""), mark,
            f"#{record['sequence']}" if record else "not in the ledger",
        ])  # fmt: skip
    if not rows:
        return [Para(f"{doc['version']['model']} has never had a champion.")]
    headers = ["Time", "Move", "From", "To", "Actor", "Approver", "Reason", "This version",
               "Ledger record"]  # fmt: skip
    return [Para(champion_line(doc)), table(headers, rows, css="text")]


def _summary(record: dict) -> str:
    payload = record["payload"]
    row = payload.get("row") or {}
    if record["event_type"] == "override":
        return payload.get("override_reason", "")
    return str(payload.get("decision") or row.get("reason") or row.get("note") or "")


def ledger(doc: ModelDocument) -> list[Block]:
    """The ledger records about the version with their hashes, and the chain's head."""
    model, version = doc["version"]["model"], doc["version"]["version"]
    if not doc["ledger"]:
        return [Para(f"The audit ledger holds no record of {model}.")]
    head = doc["ledger"][-1]
    intro = Para(
        f"When this document was generated, {model}'s ledger held {len(doc['ledger'])} "
        f"records; its head, record #{head['sequence']}, has SHA-256 {head['record_sha256']}. "
        f"The records below are those about v{version}; ml-platform audit verify {model} "
        "recomputes their hashes."
    )
    records = [r for r in doc["ledger"] if r["version"] == version]
    if not records:
        return [intro, Para(f"No record is about v{version}.")]
    rows = [
        [f"#{r['sequence']}", r["event_type"], r["actor"], text_of(r["created_at"]), _summary(r),
         (r["record_sha256"], "hash"), (r["previous_sha256"] or "none (first record)", "hash")]
        for r in records
    ]  # fmt: skip
    headers = ["Record", "Event", "Actor", "Time (UTC)", "Decision or reason", "SHA-256",
               "Previous record's SHA-256"]  # fmt: skip
    blocks: list[Block] = [intro, table(headers, rows, css="text")]
    artifacts = [
        [f"#{r['sequence']}", a.get("uri", a.get("key")), (a.get("sha256"), "hash")]
        for r in records for a in r.get("artifacts", [])
    ]  # fmt: skip
    if artifacts:
        blocks.append(table(["Record", "Artifact", "SHA-256 on record"], artifacts))
    return blocks
