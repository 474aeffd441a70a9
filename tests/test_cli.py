"""The ml-platform command line: the demo, a spec's own files, the registry, and errors that
are one sentence with a non-zero exit."""

import datetime as dt
import json
import re
import shlex
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ml_platform_assets.cli import main
from ml_platform_assets.core.simulate import simulate_day
from ml_platform_assets.core.spec import BUILTIN_SPECS_DIR, load_specs
from resources.environment import read_environment
from resources.home import create_platform

START = dt.date(2026, 1, 1)


@pytest.fixture
def cli_env(tmp_path, monkeypatch) -> Path:
    """A platform home in a temp folder (not created yet), the current directory beside it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ML_PLATFORM_HOME", str(tmp_path / "platform"))
    for name in (
        "ML_PLATFORM_OBJECT_STORE",
        "ML_PLATFORM_DATABASE_URL",
        "ML_PLATFORM_SPECS_DIR",
        "DAGSTER_HOME",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _files_spec(folder: Path, days: int) -> Path:
    """A model on delivered CSV files (target column inside), short windows."""
    base = yaml.safe_load((BUILTIN_SPECS_DIR / "credit_default.yaml").read_text())
    spec = load_specs()["credit_default"]
    for day in (START + dt.timedelta(days=i) for i in range(days)):
        frame = simulate_day(spec, day, 800, seed=11).drop(columns=["outcome_date"])
        frame.to_csv(folder / f"apps_{day.isoformat()}.csv", index=False)
    base |= {
        "name": "pay_in_four",
        "data_source": {"kind": "files", "applications": str(folder / "apps_{date}.csv")},
        "windows": {"training_days": 6, "validation_days": 2, "oot_days": 3,
                    "label_maturity_days": 3},
    }  # fmt: skip
    specs = folder / "specs"
    specs.mkdir()
    (specs / "pay_in_four.yaml").write_text(yaml.safe_dump(base))
    return specs


def _use_real_backends(monkeypatch, request) -> None:
    """Point the environment at the run's SeaweedFS bucket and a fresh MariaDB database."""
    s3 = request.getfixturevalue("s3_settings")
    bucket = s3["ML_PLATFORM_TEST_S3_BUCKET"]
    monkeypatch.setenv("ML_PLATFORM_OBJECT_STORE", f"s3://{bucket}/cli-{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3["ML_PLATFORM_TEST_S3_ENDPOINT"])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3["ML_PLATFORM_TEST_S3_ACCESS_KEY"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3["ML_PLATFORM_TEST_S3_SECRET_KEY"])
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    database = request.getfixturevalue("make_mysql_database")()
    monkeypatch.setenv("ML_PLATFORM_DATABASE_URL", database)


@pytest.mark.parametrize("backend", ["embedded", "real"])
def test_demo_runs_the_lifecycle_and_the_registry_shows_it(
    cli_env, monkeypatch, request, backend
) -> None:
    if backend == "real":
        _use_real_backends(monkeypatch, request)
    result = _run("demo", "--days", "106", "--rows-per-day", "300")
    assert result.exit_code == 0, result.output
    # Delivery, ingestion and training report progress; without a terminal, as plain lines.
    assert "delivered 106/106 days (through 2026-04-16)" in result.output
    assert "ingested 106/106 days" in result.output
    assert "stage 2/4: challenger_model" in result.output
    assert "\r" not in result.output
    assert "promoted: champion is v1" in result.output
    assert f"Report: {'s3' if backend == 'real' else 'file'}://" in result.output

    shown = json.loads(_run("models", "show", "credit_default", "--json").output)
    assert shown["champion_version"] == 1
    version = shown["versions"][0]
    assert version["status"] == "champion" and len(version["training_set_fingerprint"]) == 64
    assert version["evaluation"]["passed"] is True
    assert shown["champion_history"][0]["to"] == 1
    listed = json.loads(_run("models", "list", "--json").output)
    assert listed == [
        {"model": "credit_default", "versions": 1, "latest_version": 1,
         "champion_version": 1, "champion_auc": pytest.approx(version["metrics"]["auc"])}
    ]  # fmt: skip
    # The simulator's spec runs to its last delivered day, not to yesterday.
    again = _run("run", "credit_default")
    assert again.exit_code == 0, again.output
    assert "Ingesting credit_default 2026-01-01..2026-04-16 (106 days)" in again.output
    # The same days, code, parameters and spec: v1 again, so nothing is trained or registered.
    fingerprint = version["training_set_fingerprint"][:12]
    assert (
        f"credit_default v1 already trained on this data (training set {fingerprint}…, same "
        "spec, code and parameters); champion stays v1\n" in again.output
    )
    assert "promoted" not in again.output
    shown = json.loads(_run("models", "show", "credit_default", "--json").output)
    assert [v["version"] for v in shown["versions"]] == [1]
    assert len(shown["champion_history"]) == 1


@pytest.mark.parametrize("backend", ["embedded", "real"])
def test_run_ingests_a_specs_own_files(cli_env, monkeypatch, request, backend) -> None:
    if backend == "real":
        _use_real_backends(monkeypatch, request)
    monkeypatch.setenv("ML_PLATFORM_SPECS_DIR", str(_files_spec(cli_env, 14)))
    result = _run("run", "pay_in_four", "--start", "2026-01-01", "--end", "2026-01-14")
    assert result.exit_code == 0, result.output
    assert "Delivered 11,200 applications through 2026-01-14: 14 new days" in result.output
    assert "pay_in_four v1" in result.output and "promoted" in result.output
    # Without --end, the run ends on the source's last day of data.
    again = _run("run", "pay_in_four")
    assert again.exit_code == 0, again.output
    assert (
        "Delivered 11,200 applications through 2026-01-14: 0 new days, "
        "14 already delivered and kept" in again.output
    )
    assert "pay_in_four v1 already trained on this data" in again.output
    # A narrower run trains as of its own last day, not the last day the instance ingested.
    narrower = _run("run", "pay_in_four", "--end", "2026-01-13")
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
    assert _run("home", "--create").exit_code == 0
    result = _run(*args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_model_without_versions_is_said_plainly(cli_env) -> None:
    assert _run("home", "--create").exit_code == 0
    shown = _run("models", "show", "credit_default")
    assert shown.exit_code == 0
    assert shown.output.strip() == (
        "credit_default: no versions yet, champion none; "
        "'ml-platform run credit_default' trains the first one"
    )
    listed = _run("models", "list")
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
    result = _run("models", "list")
    assert result.exit_code == 1
    assert "broken.yaml: field 'description': Field required" in result.output


def test_unreachable_mysql_names_the_host(cli_env, monkeypatch) -> None:
    monkeypatch.setenv("ML_PLATFORM_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:1/ml_platform")
    result = _run("models", "list")
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
    result = _run(
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

    status = json.loads(_run("drift", "status", "credit_default", "--json").output)
    assert status["champion_version"] >= 1
    shares = {d["day"]: d["share"] for d in status["days"]}
    assert max(shares.values()) >= 0.1
    triggered = [d for d in status["decisions"] if d["triggered"]]
    assert len(triggered) == 1 and "retraining" in triggered[0]["reason"]
    assert any(not d["triggered"] and d["reason"] for d in status["decisions"])
    text = _run("drift", "status", "credit_default")
    assert text.exit_code == 0 and "2026-04-" in text.output
    # The decision that triggered comes before the many that did not.
    fired = text.output.index(triggered[0]["reason"])
    assert (
        fired
        < text.output.index("NOT TRIGGERED")
        < text.output.index(next(d["reason"] for d in status["decisions"] if not d["triggered"]))
    )
    only = json.loads(_run("drift", "status", "credit_default", "--triggered", "--json").output)
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
def test_a_command_where_no_platform_exists_refuses_and_creates_nothing(
    cli_env, monkeypatch, args
) -> None:
    """Run where no platform exists, a command says so instead of making an empty one (a
    registry in the current folder, a second Dagster instance) and exits non-zero: with
    ML_PLATFORM_HOME naming a folder without one, and from a folder with no .ml_platform in
    it or above it."""
    result = _run(*args)
    assert result.exit_code == 1
    home = cli_env / "platform"
    assert f"no ml-platform at {home} (ML_PLATFORM_HOME)" in result.output
    assert "`ml-platform demo` or `ml-platform run MODEL` creates one" in result.output
    monkeypatch.delenv("ML_PLATFORM_HOME")
    found = _run(*args)
    assert found.exit_code == 1
    assert f"no ml-platform in {cli_env} or any folder above it" in found.output
    assert sorted(p.name for p in cli_env.iterdir()) == []


def test_every_entry_point_finds_the_one_home(cli_env, monkeypatch) -> None:
    """The platform a lifecycle command makes in a project folder is the one every command
    finds from that folder or any folder below it, and from anywhere else through
    ML_PLATFORM_HOME; `home` says where each part lives."""
    monkeypatch.delenv("ML_PLATFORM_HOME")
    project = cli_env / "project"
    below = project / "notebooks" / "q4"
    below.mkdir(parents=True)
    monkeypatch.chdir(project)
    assert _run("home", "--create").exit_code == 0
    home = project / ".ml_platform"
    monkeypatch.chdir(below)
    shown = json.loads(_run("home", "--json").output)
    assert shown == {
        "home": str(home),
        "object_store": str(home),
        "registry": str(home / "registry.db"),
        "dagster_home": str(home / ".dagster"),
        "exists": True,
    }
    assert (home / ".dagster" / "dagster.yaml").is_file()
    assert _run("models", "list").exit_code == 0
    assert list(below.iterdir()) == []
    assert _run("home", "--dagster-home").output.strip() == str(home / ".dagster")
    elsewhere = cli_env / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert _run("models", "list").exit_code == 1
    monkeypatch.setenv("ML_PLATFORM_HOME", str(home))
    assert _run("models", "list").exit_code == 0
    assert list(elsewhere.iterdir()) == []


def test_verify_over_nothing_is_not_a_success(cli_env) -> None:
    """An intact-looking verify of an empty registry (say, a mistyped ML_PLATFORM_HOME) must
    not pass a compliance check."""
    assert _run("home", "--create").exit_code == 0
    result = _run("audit", "verify")
    assert result.exit_code == 1
    assert f"no model has no audit records to verify at {cli_env / 'platform'}" in result.output
    one = _run("audit", "verify", "credit_default")
    assert one.exit_code == 1 and "credit_default has no audit records" in one.output


def test_the_repository_instance_config_is_the_one_a_new_home_gets() -> None:
    """The repository's dagster.yaml and the one ml-platform writes into a new home agree."""
    from resources.home import INSTANCE_YAML

    repository = yaml.safe_load((Path(__file__).resolve().parents[1] / "dagster.yaml").read_text())
    assert repository == yaml.safe_load(INSTANCE_YAML)
