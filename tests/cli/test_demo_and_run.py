"""``ml-platform demo`` and ``ml-platform run`` (cli/demo.py, cli/run.py, cli/lifecycle.py): the
demo's lifecycle, and a spec's own files delivered and trained, embedded and on MariaDB +
SeaweedFS, with the registry's commands showing the result."""

import json

import pytest

from tests.cli.commands import files_spec, invoke, use_real_backends


@pytest.mark.parametrize("backend", ["embedded", "real"])
def test_demo_runs_the_lifecycle_and_the_registry_shows_it(
    cli_env, monkeypatch, request, backend
) -> None:
    if backend == "real":
        use_real_backends(monkeypatch, request)
    result = invoke("demo", "--days", "106", "--rows-per-day", "300")
    assert result.exit_code == 0, result.output
    # Delivery, ingestion and training report progress; without a terminal, as plain lines.
    assert "delivered 106/106 days (through 2026-04-16)" in result.output
    assert "ingested 106/106 days" in result.output
    assert "stage 2/4: challenger_model" in result.output
    assert "\r" not in result.output
    assert "promoted: champion is v1" in result.output
    assert f"Report: {'s3' if backend == 'real' else 'file'}://" in result.output

    shown = json.loads(invoke("models", "show", "credit_default", "--json").output)
    assert shown["champion_version"] == 1
    version = shown["versions"][0]
    assert version["status"] == "champion" and len(version["training_set_fingerprint"]) == 64
    assert version["evaluation"]["passed"] is True
    assert shown["champion_history"][0]["to"] == 1
    listed = json.loads(invoke("models", "list", "--json").output)
    assert listed == [
        {"model": "credit_default", "versions": 1, "latest_version": 1,
         "champion_version": 1, "champion_auc": pytest.approx(version["metrics"]["auc"])}
    ]  # fmt: skip
    # The simulator's spec runs to its last delivered day, not to yesterday.
    again = invoke("run", "credit_default")
    assert again.exit_code == 0, again.output
    assert "Ingesting credit_default 2026-01-01..2026-04-16 (106 days)" in again.output
    # The same days, code, parameters and spec: v1 again, so nothing is trained or registered.
    fingerprint = version["training_set_fingerprint"][:12]
    assert (
        f"credit_default v1 already trained on this data (training set {fingerprint}…, same "
        "spec, code and parameters); champion stays v1\n" in again.output
    )
    assert "promoted" not in again.output
    shown = json.loads(invoke("models", "show", "credit_default", "--json").output)
    assert [v["version"] for v in shown["versions"]] == [1]
    assert len(shown["champion_history"]) == 1


@pytest.mark.parametrize("backend", ["embedded", "real"])
def test_run_ingests_a_specs_own_files(cli_env, monkeypatch, request, backend) -> None:
    if backend == "real":
        use_real_backends(monkeypatch, request)
    monkeypatch.setenv("ML_PLATFORM_SPECS_DIR", str(files_spec(cli_env, 14)))
    result = invoke("run", "pay_in_four", "--start", "2026-01-01", "--end", "2026-01-14")
    assert result.exit_code == 0, result.output
    assert "Delivered 11,200 applications through 2026-01-14: 14 new days" in result.output
    assert "pay_in_four v1" in result.output and "promoted" in result.output
    # Without --end, the run ends on the source's last day of data.
    again = invoke("run", "pay_in_four")
    assert again.exit_code == 0, again.output
    assert (
        "Delivered 11,200 applications through 2026-01-14: 0 new days, "
        "14 already delivered and kept" in again.output
    )
    assert "pay_in_four v1 already trained on this data" in again.output
    # A narrower run trains as of its own last day, not the last day the instance ingested.
    narrower = invoke("run", "pay_in_four", "--end", "2026-01-13")
    assert narrower.exit_code == 0, narrower.output
    assert "as of 2026-01-13:" in narrower.output and "as of 2026-01-14" not in narrower.output
