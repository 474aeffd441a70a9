"""The platform home from the command line (cli/home.py over resources/home.py): every command
finds the one home from any folder, and refuses where none exists rather than create one."""

import json

import pytest

from tests.cli.commands import invoke

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
