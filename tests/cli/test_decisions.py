"""What a compliance reviewer does from the command line (cli/decisions.py, cli/audit.py):
approve or reject a version that waits for a reviewer, put a failed one in service on record,
read the audit ledger, verify it (never over nothing), and see tampering named."""

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from ml_platform_assets.core import layout
from resources.environment import read_environment
from resources.stores import open_object_store
from tests.cli.commands import files_spec, invoke, use_real_backends

MODEL = "pay_in_four"


def _requiring_approval(specs: Path) -> None:
    path = specs / f"{MODEL}.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["decision"]["requires_approval"] = True
    path.write_text(yaml.safe_dump(spec))


def _events(model: str = MODEL) -> list[str]:
    result = invoke("audit", model, "--json")
    assert result.exit_code == 0, result.output
    return [r["event_type"] for r in json.loads(result.output)]


@pytest.mark.parametrize("backend", ["embedded", "real"])
def test_a_version_waits_for_a_reviewer_and_the_ledger_proves_it(
    cli_env,
    monkeypatch,
    request,
    backend,
) -> None:
    if backend == "real":
        use_real_backends(monkeypatch, request)
    specs = files_spec(cli_env, 14)
    _requiring_approval(specs)
    monkeypatch.setenv("ML_PLATFORM_SPECS_DIR", str(specs))

    trained = invoke("run", MODEL, "--end", "2026-01-14", "--actor", "alice")
    assert trained.exit_code == 0, trained.output
    assert "awaits a reviewer's approval (ml-platform approve pay_in_four 1" in trained.output
    assert "champion stays none" in trained.output

    own = invoke("approve", MODEL, "1", "--reviewer", "Alice", "--note", "looks fine")
    assert own.exit_code == 1
    assert "model 'pay_in_four' v1 was trained by alice, who may not review it" in own.output
    approved = invoke("approve", MODEL, "1", "--reviewer", "bob", "--note", "report reviewed")
    assert approved.exit_code == 0, approved.output
    assert "pay_in_four v1 approved by bob; champion is v1 (was none)" in approved.output
    assert _events() == [
        "registered",
        "evaluated",
        "pending_approval",
        "report_completed",  # the report says it awaits a reviewer
        "approved",
        "promoted",
        "report_completed",  # ... and then who approved it
    ]
    shown = json.loads(invoke("models", "show", MODEL, "--json").output)
    [move] = shown["champion_history"]
    assert (move["action"], move["approved_by"], move["actor"]) == ("promoted", "bob", "bob")
    assert shown["versions"][0]["trained_by"] == "alice"
    text = invoke("models", "show", MODEL, "v1").output
    assert "(promoted, approved by bob)" in text and "gates: all passed" in text
    table = invoke("audit", MODEL).output
    assert "trained by alice" in table and "bob: report reviewed" in table
    rows = list(csv.DictReader(io.StringIO(invoke("audit", MODEL, "--csv").output)))
    assert [r["sequence"] for r in rows] == ["1", "2", "3", "4", "5", "6", "7"]
    assert rows[0]["actor"] == "alice" and json.loads(rows[1]["payload"])["row"]["passed"]
    later = invoke("audit", MODEL, "--since", "2999-01-01").output
    assert "no audit records since 2999-01-01" in later

    # The completed report is the one on record; the approval completed it.
    store = open_object_store(read_environment())
    report = store.get_json(layout.report_key(MODEL, 1, "evaluation.json"))
    assert report["decision"] == "promoted"
    assert report["deployment"]["promoted_by"] == "bob"
    # The Dagster UI's deployed_model shows the champion the approval made.
    import dagster as dg

    from resources.wiring import dagster_instance

    [latest] = (
        dagster_instance(read_environment())
        .fetch_materializations(dg.AssetKey([MODEL, "deployed_model"]), limit=1)
        .records
    )
    shown = latest.asset_materialization.metadata
    assert shown["decision"].value == "approved" and shown["champion_version"].value == 1
    assert shown["decided_by"].value == "bob"
    # The reviewer's document, rewritten after the approval, names the approval.
    document = store.get_bytes(layout.report_key(MODEL, 1, "model_document.html")).decode()
    assert "report reviewed" in document and "bob" in document

    verified = invoke("audit", "verify", MODEL)
    assert verified.exit_code == 0, verified.output
    assert "pay_in_four: 7 records intact; head sha256" in verified.output

    # A replaced model file is named, with the record that vouched for it.
    store.put_bytes(layout.model_artifact_key(MODEL, 1, "model.txt"), b"tree 0\n")
    tampered = invoke("audit", "verify")
    assert tampered.exit_code == 1
    assert "pay_in_four record #1: artifact " in tampered.output
    assert "model.txt no longer matches" in tampered.output


def test_a_reviewer_rejects_and_the_champion_stays(cli_env, monkeypatch) -> None:
    specs = files_spec(cli_env, 14)
    _requiring_approval(specs)
    monkeypatch.setenv("ML_PLATFORM_SPECS_DIR", str(specs))
    assert invoke("run", MODEL, "--end", "2026-01-14").exit_code == 0

    rejected = invoke("reject", MODEL, "1", "--reviewer", "carol", "--note", "AIR too low")
    assert rejected.exit_code == 0, rejected.output
    assert "pay_in_four v1 rejected by carol; champion stays none" in rejected.output
    store = open_object_store(read_environment())
    report = store.get_json(layout.report_key(MODEL, 1, "evaluation.json"))
    assert report["decision"] == "rejected_by_reviewer"
    assert report["review"]["reviewer"] == "carol" and report["review"]["note"] == "AIR too low"
    again = invoke("approve", MODEL, "1", "--reviewer", "dan", "--note", "x")
    assert again.exit_code == 1 and "v1 is rejected, not waiting for approval" in again.output
    assert _events()[-2:] == ["rejected", "report_completed"]
    refused = invoke("rollback", MODEL, "--reason", "r", "--approver", "dan")
    assert refused.exit_code == 1 and "has no champion yet" in refused.output
    assert invoke("audit", "verify").exit_code == 0


def test_commands_of_people_refuse_blank_names(cli_env) -> None:
    assert invoke("home", "--create").exit_code == 0
    result = invoke("approve", "credit_default", "1", "--reviewer", " ", "--note", "x")
    assert result.exit_code == 1
    assert "model 'credit_default' has no version 1" in result.output
    usage = invoke("audit")
    assert usage.exit_code == 2 and "give one MODEL" in usage.output
    both = invoke("audit", "credit_default", "--json", "--csv")
    assert both.exit_code == 2 and "--json and --csv: choose one" in both.output
    blank = invoke("audit", "credit_default", "--since", "")
    assert blank.exit_code == 2 and "--since must be a date (YYYY-MM-DD), not ''" in blank.output
    assert (
        invoke("approve", "credit_default", "x1", "--reviewer", "a", "--note", "b").exit_code == 2
    )
    assert (
        "model 'credit_default' has no version 1"
        in invoke("models", "show", "credit_default", "v1").output
    )
    unknown = invoke("audit", "nope")
    assert unknown.exit_code == 1 and "no model named 'nope'" in unknown.output


def _with_spec(specs: Path, change) -> None:
    path = specs / f"{MODEL}.yaml"
    spec = yaml.safe_load(path.read_text())
    change(spec)
    path.write_text(yaml.safe_dump(spec))


def test_an_override_puts_a_failed_version_in_service_on_record(
    cli_env,
    monkeypatch,
) -> None:
    specs = files_spec(cli_env, 14)
    _with_spec(specs, lambda spec: spec["gates"].update(min_auc=0.99))
    monkeypatch.setenv("ML_PLATFORM_SPECS_DIR", str(specs))
    trained = invoke("run", MODEL, "--end", "2026-01-14", "--actor", "alice")
    assert "rejected by gates" in trained.output

    plain = invoke("promote", MODEL, "1", "--approver", "carol", "--reason", "needed")
    assert plain.exit_code == 1 and "v1 failed a promotion gate (OOT AUC" in plain.output
    forced = invoke(
        "promote", MODEL, "1", "--approver", "carol", "--reason", "launch needs it", "--override"
    )

    assert forced.exit_code == 0, forced.output
    assert "pay_in_four v1 override by carol; champion is v1 (was none)" in forced.output
    store = open_object_store(read_environment())
    report = store.get_json(layout.report_key(MODEL, 1, "evaluation.json"))
    assert report["decision"] == "override"
    shown = invoke("models", "show", MODEL).output
    assert "(override, approved by carol)" in shown and "gates: failed min_auc" in shown
    assert report["deployment"]["override"]["approver"] == "carol"
    assert report["deployment"]["override"]["failed_gates"][0].startswith("OOT AUC")
    assert _events()[-2:] == ["override", "report_completed"]
    assert invoke("audit", "verify", MODEL).exit_code == 0


def test_an_approval_needs_a_judgement_against_the_current_champion(
    cli_env,
    monkeypatch,
) -> None:
    specs = files_spec(cli_env, 14)
    _requiring_approval(specs)
    # On 13 days of 800 applications the benchmark can beat LightGBM by more than the gate
    # allows; this test is about who approves what, so both versions must pass their gates.
    _with_spec(specs, lambda spec: spec["gates"].pop("max_auc_gap_vs_benchmark"))
    monkeypatch.setenv("ML_PLATFORM_SPECS_DIR", str(specs))
    first = invoke("run", MODEL, "--end", "2026-01-13")  # v1, judged against no champion
    assert first.exit_code == 0 and "awaits a reviewer" in first.output, first.output
    second = invoke("run", MODEL, "--end", "2026-01-14")  # v2, judged against no champion
    assert second.exit_code == 0 and "awaits a reviewer" in second.output, second.output
    assert invoke("approve", MODEL, "2", "--reviewer", "bob", "--note", "ok").exit_code == 0

    stale = invoke("approve", MODEL, "1", "--reviewer", "bob", "--note", "ok")

    assert stale.exit_code == 1
    assert "v1 was judged against no champion, but the champion is now v2" in stale.output
    # Run again, v1 is judged against v2 without retraining: here its gates reject it.
    rejudged = invoke("run", MODEL, "--end", "2026-01-13")
    assert rejudged.exit_code == 0, rejudged.output
    assert "pay_in_four v1: AUC" in rejudged.output and "vs champion" in rejudged.output
    assert "already trained" not in rejudged.output
    evaluations = [r for r in json.loads(invoke("audit", MODEL, "--json").output)
                   if r["event_type"] == "evaluated" and r["version"] == 1]  # fmt: skip
    assert [e["payload"]["champion_version"] for e in evaluations] == [None, 2]


def test_verify_over_nothing_is_not_a_success(cli_env) -> None:
    """An intact-looking verify of an empty registry (say, a mistyped ML_PLATFORM_HOME) must
    not pass a compliance check."""
    assert invoke("home", "--create").exit_code == 0
    result = invoke("audit", "verify")
    assert result.exit_code == 1
    assert f"nothing verified: no model has any audit records at {cli_env / 'platform'}" in (
        result.output
    )
    one = invoke("audit", "verify", "credit_default")
    assert one.exit_code == 1 and "credit_default has no audit records" in one.output


def test_a_decision_that_cannot_finish_says_what_is_stored_and_how_to_finish(
    cli_env, monkeypatch
) -> None:
    specs = files_spec(cli_env, 14)
    _requiring_approval(specs)
    monkeypatch.setenv("ML_PLATFORM_SPECS_DIR", str(specs))
    assert invoke("run", MODEL, "--end", "2026-01-14", "--actor", "alice").exit_code == 0
    store = open_object_store(read_environment())
    key = layout.report_key(MODEL, 1, "evaluation.json")
    kept = store.get_bytes(key)
    before = _events()

    # The report the decision completes is missing: refused before anything moves.
    store.delete(key)
    missing = invoke("approve", MODEL, "1", "--reviewer", "bob", "--note", "ok")
    assert missing.exit_code == 1
    assert "pay_in_four v1 has no evaluation report at " in missing.output
    assert "nothing was changed" in missing.output
    assert _events() == before
    assert json.loads(invoke("models", "show", MODEL, "--json").output)["champion_version"] is None
    store.put_bytes(key, kept)

    # The reports fail after the move: the sentence says the champion moved and how to finish.
    from ml_platform_assets.services import promotion

    def failing(*args, **kwargs):
        raise ConnectionError("object store unreachable")

    with monkeypatch.context() as patched:
        patched.setattr(promotion, "complete_report", failing)
        half = invoke("approve", MODEL, "1", "--reviewer", "bob", "--note", "ok")
    assert half.exit_code == 1
    assert "pay_in_four v1 is approved and champion (stored with its audit-ledger record)" in (
        half.output
    )
    assert "object store unreachable" in half.output
    assert f"ml-platform promote {MODEL} 1" in half.output

    finished = invoke("promote", MODEL, "1", "--approver", "bob", "--reason", "finish")
    assert finished.exit_code == 0, finished.output
    assert "v1 already was champion (since " in finished.output
    assert "nothing moved" in finished.output
    assert store.get_json(key)["deployment"]["promoted_by"] == "bob"
    assert _events()[-3:] == ["approved", "promoted", "report_completed"]
    assert invoke("audit", "verify").exit_code == 0
