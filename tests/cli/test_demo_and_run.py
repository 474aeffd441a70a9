"""The ml-platform command line: the demo, a spec's own files, the registry, and errors that
are one sentence with a non-zero exit."""

import json
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from resources.environment import read_environment
from resources.home import create_platform
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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no_such_model"], "no model named 'no_such_model'; known models: credit_default"),
        (["models", "show", "nope"], "no model named 'nope'; known models: credit_default"),
        (["drift", "status", "nope"], "no model named 'nope'; known models: credit_default"),
        # Errors raised below the command line read as the command line's own.
        (
            ["models", "show", "credit_default", "9"],
            "Error: model 'credit_default' has no version 9\n",
        ),
        (
            ["models", "show", "credit_default", "0"],
            "Error: model 'credit_default' has no version 0\n",
        ),
        (
            ["run", "credit_default", "--start", "2025-01-01", "--end", "2025-02-01"],
            "--start 2025-01-01 is before credit_default's first day of data, 2026-01-01",
        ),
        (["demo", "--drift", "income_shock"], "--drift-from and --drift go together"),
        (["run", "credit_default"], "nothing has been delivered for credit_default yet"),
        (["demo", "--days", "20", "--rows-per-day", "50"], "earliest cutoff is 2026-04-14"),
    ],
)
def test_errors_are_one_sentence_and_exit_non_zero(cli_env, args, message) -> None:
    assert invoke("home", "--create").exit_code == 0
    result = invoke(*args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_model_without_versions_is_said_plainly(cli_env) -> None:
    assert invoke("home", "--create").exit_code == 0
    shown = invoke("models", "show", "credit_default")
    assert shown.exit_code == 0
    assert shown.output.strip() == (
        "credit_default: no versions yet, champion none; "
        "'ml-platform run credit_default' trains the first one"
    )
    listed = invoke("models", "list")
    assert "None" not in listed.output and "credit_default" in listed.output


READ_COMMANDS = [
    ["--help"],
    ["models", "list"],
    ["models", "show", "credit_default", "--json"],
    ["drift", "status", "credit_default"],
    ["audit", "credit_default"],
    ["home"],
    ["run", "--help"],
    ["demo", "--help"],
    ["approve", "--help"],
]


@pytest.mark.parametrize("args", READ_COMMANDS, ids=" ".join)
def test_read_commands_load_neither_dagster_nor_the_models_libraries(cli_env, args) -> None:
    """The registry's commands and every --help answer in about a second because they import
    the specs and the database only; this runs each in a fresh interpreter. The platform
    exists (creating one migrates the registry, which loads Alembic)."""
    create_platform(read_environment())
    script = textwrap.dedent(
        f"""
        import sys
        from click.testing import CliRunner
        from ml_platform_assets.cli import main
        result = CliRunner().invoke(main, {args!r})
        assert result.exit_code == 0, result.output
        heavy = ("dagster", "lightgbm", "evidently", "alembic", "pandas")
        print(sorted(m for m in sys.modules if m.split(".")[0] in heavy))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_bad_spec_file_is_named(cli_env, monkeypatch) -> None:
    (cli_env / "specs").mkdir()
    (cli_env / "specs" / "broken.yaml").write_text("name: broken\nowner: 3\n")
    monkeypatch.setenv("ML_PLATFORM_SPECS_DIR", str(cli_env / "specs"))
    result = invoke("models", "list")
    assert result.exit_code == 1
    assert "broken.yaml: field 'description': Field required" in result.output


def test_unreachable_mysql_names_the_host(cli_env, monkeypatch) -> None:
    monkeypatch.setenv("ML_PLATFORM_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:1/ml_platform")
    result = invoke("models", "list")
    assert result.exit_code == 1
    assert "127.0.0.1:1" in result.output and "Traceback" not in result.output


def _fewer_post_drift_labels(monkeypatch, labels: int) -> None:
    """credit_default retrains after ``labels`` post-drift labels (25,000 in the spec): two
    days of this test's 700 rows instead of 36."""
    import ml_platform_assets.cli.common as cli_common

    real = cli_common.load_specs

    def load(*args, **kwargs):
        specs = real(*args, **kwargs)
        spec = specs["credit_default"]
        guard = spec.drift.model_copy(update={"min_matured_labels": labels})
        return specs | {"credit_default": spec.model_copy(update={"drift": guard})}

    monkeypatch.setattr(cli_common, "load_specs", load)


def test_drift_demo_shows_the_loop_and_drift_status_lists_it(cli_env, monkeypatch) -> None:
    _fewer_post_drift_labels(monkeypatch, 1400)
    result = invoke(
        "demo", "--days", "158", "--rows-per-day", "700",
        "--drift-from", "2026-04-10", "--drift", "merchant_mix",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # The champion predates the drift; the sensor waits for the new regime's outcomes, then the
    # retrain learns from post-drift days and is judged on post-drift days only.
    assert "Training set" in result.output and "as of 2026-04-14" in result.output
    assert "before the drift began: waiting for outcomes of the new regime" in result.output
    assert "sensor: still waiting, as above" in result.output
    assert "have matured outcomes in the training split of a set cut on" in result.output
    assert "sensor fired:" in result.output
    assert "retraining run" in result.output
    trained = re.search(
        r"trained on applications of .* \((\d+) of 50 days on or after", result.output
    )
    assert trained and int(trained.group(1)) >= 2, result.output
    assert re.search(r"judged on .* \((14) of 14 days on or after", result.output)
    assert re.search(r"on those [\d,]+ out-of-time rows: v2 AUC 0\.\d+, champion v1", result.output)

    status = json.loads(invoke("drift", "status", "credit_default", "--json").output)
    assert status["champion_version"] >= 1
    shares = {d["day"]: d["share"] for d in status["days"]}
    assert max(shares.values()) >= 0.1
    triggered = [d for d in status["decisions"] if d["triggered"]]
    assert len(triggered) == 1 and "retraining" in triggered[0]["reason"]
    assert any(not d["triggered"] and d["reason"] for d in status["decisions"])
    text = invoke("drift", "status", "credit_default")
    assert text.exit_code == 0 and "2026-04-" in text.output
    # The decision that triggered comes before the many that did not.
    fired = text.output.index(triggered[0]["reason"])
    assert (
        fired
        < text.output.index("NOT TRIGGERED")
        < text.output.index(next(d["reason"] for d in status["decisions"] if not d["triggered"]))
    )
    only = json.loads(invoke("drift", "status", "credit_default", "--triggered", "--json").output)
    assert [d["reason"] for d in only["decisions"]] == [triggered[0]["reason"]]


def test_a_closed_pipe_ends_a_command_quietly(tmp_path) -> None:
    # `ml-platform models show M | head -1`: the reader leaves early. The write that finds the
    # pipe closed ends the command with status 0 and no "Error: [Errno 32] Broken pipe".
    script = tmp_path / "closed_pipe.py"
    script.write_text(
        "import os, click\n"
        "from ml_platform_assets.cli.common import one_sentence\n"
        "@click.command()\n"
        "@one_sentence\n"
        "def lines():\n"
        "    for i in range(100_000):\n"
        "        click.echo(f'line {i}')\n"
        "lines()\n"
    )
    shell = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} | head -n 1; "
    shell += "echo status=${PIPESTATUS[0]} >&2"
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120)
    assert done.stdout == "line 0\n"
    assert "status=0" in done.stderr and "Broken pipe" not in done.stderr, done.stderr


NO_PLATFORM_COMMANDS = [
    ["models", "list"],
    ["models", "show", "credit_default"],
    ["drift", "status", "credit_default"],
    ["audit", "credit_default"],
    ["audit", "verify"],
    ["report", "credit_default", "1"],
    ["approve", "credit_default", "1", "--reviewer", "r", "--note", "n"],
    ["rollback", "credit_default", "--reason", "r", "--approver", "a"],
]


@pytest.mark.parametrize("args", NO_PLATFORM_COMMANDS, ids=" ".join)
def test_a_command_where_no_platform_exists_refuses_and_creates_nothing(cli_env, args) -> None:
    """Run from a folder with no platform, a command says so instead of making an empty one
    (a registry in the current folder, a second Dagster instance) and exits non-zero."""
    result = invoke(*args)
    assert result.exit_code == 1
    home = cli_env / "platform"
    assert f"no ml-platform at {home} (ML_PLATFORM_HOME)" in result.output
    assert "`ml-platform demo` or `ml-platform run MODEL` creates one" in result.output
    assert sorted(p.name for p in cli_env.iterdir()) == []


def test_every_entry_point_finds_the_one_home_from_any_folder(cli_env, monkeypatch) -> None:
    """The platform made by one command is the one every other command finds, whatever the
    current folder; `home` says where each part lives."""
    assert invoke("home", "--create").exit_code == 0
    elsewhere = cli_env / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    shown = json.loads(invoke("home", "--json").output)
    home = cli_env / "platform"
    assert shown == {
        "home": str(home),
        "object_store": str(home / "objects"),
        "registry": str(home / "registry.db"),
        "dagster_home": str(home / "dagster"),
        "exists": True,
    }
    assert (home / "dagster" / "dagster.yaml").is_file()
    assert invoke("models", "list").exit_code == 0
    assert list(elsewhere.iterdir()) == []
    assert invoke("home", "--dagster-home").output.strip() == str(home / "dagster")


def test_verify_over_nothing_is_not_a_success(cli_env) -> None:
    """An intact-looking verify of an empty registry (say, a mistyped ML_PLATFORM_HOME) must
    not pass a compliance check."""
    assert invoke("home", "--create").exit_code == 0
    result = invoke("audit", "verify")
    assert result.exit_code == 1
    assert "no model has no audit records to verify in" in result.output
    one = invoke("audit", "verify", "credit_default")
    assert one.exit_code == 1 and "credit_default has no audit records" in one.output


def test_the_repository_instance_config_is_the_one_a_new_home_gets() -> None:
    """The repository's dagster.yaml and the one ml-platform writes into a new home agree."""
    from resources.home import INSTANCE_YAML

    repository = yaml.safe_load((Path(__file__).resolve().parents[2] / "dagster.yaml").read_text())
    assert repository == yaml.safe_load(INSTANCE_YAML)
