"""The read-only commands (cli/models.py, cli/drift.py's status, cli/audit.py, cli/home.py):
what a model without versions reads as, and that they load neither Dagster nor the models'
libraries."""

import subprocess
import sys
import textwrap

import pytest

from resources.environment import read_environment
from resources.home import create_platform
from tests.cli.commands import invoke


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
