"""Errors of the command line (cli/common.py): one sentence and a non-zero exit, whether the
command line, a spec file, the database or a closed pipe is at fault."""

import shlex
import subprocess
import sys

import pytest

from tests.cli.commands import invoke


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
