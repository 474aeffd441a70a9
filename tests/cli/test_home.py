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
    ["home", "--dagster-home"],  # what `make ui` asks before it starts
]


@pytest.mark.parametrize("args", NO_PLATFORM_COMMANDS, ids=" ".join)
def test_a_command_where_no_platform_exists_refuses_and_creates_nothing(
    cli_env, monkeypatch, args
) -> None:
    """Run where no platform exists, a command says so instead of making an empty one (a
    registry in the current folder, a second Dagster instance) and exits non-zero: with
    ML_PLATFORM_HOME naming a folder without one, and from a folder with no .ml_platform in
    it or above it."""
    result = invoke(*args)
    assert result.exit_code == 1
    home = cli_env / "platform"
    assert f"no ml-platform at {home} (ML_PLATFORM_HOME)" in result.output
    assert "`ml-platform demo` or `ml-platform run MODEL` creates one" in result.output
    monkeypatch.delenv("ML_PLATFORM_HOME")
    found = invoke(*args)
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
    assert invoke("home", "--create").exit_code == 0
    home = project / ".ml_platform"
    monkeypatch.chdir(below)
    shown = json.loads(invoke("home", "--json").output)
    assert shown == {
        "home": str(home),
        "object_store": str(home),
        "registry": str(home / "registry.db"),
        "dagster_home": str(home / ".dagster"),
        "exists": True,
    }
    assert (home / ".dagster" / "dagster.yaml").is_file()
    assert invoke("models", "list").exit_code == 0
    assert list(below.iterdir()) == []
    assert invoke("home", "--dagster-home").output.strip() == str(home / ".dagster")
    elsewhere = cli_env / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert invoke("models", "list").exit_code == 1
    monkeypatch.setenv("ML_PLATFORM_HOME", str(home))
    assert invoke("models", "list").exit_code == 0
    assert list(elsewhere.iterdir()) == []


def test_a_dot_env_file_of_the_current_folder_is_read_and_the_shell_wins(
    cli_env, monkeypatch
) -> None:
    """.env.example says to copy it to .env: the commands read it (as `dagster dev` does),
    with ``~`` and relative folders made absolute, and a variable set in the shell wins."""
    monkeypatch.delenv("ML_PLATFORM_HOME")
    project = cli_env / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.setenv("HOME", str(cli_env))
    (project / ".env").write_text(
        "# as copied from .env.example\n"
        "ML_PLATFORM_HOME=~/kept/.ml_platform\n"
        "DAGSTER_HOME=instance\n"
        "ML_PLATFORM_SPECS_DIR=./specs\n"
    )
    shown = json.loads(invoke("home", "--json").output)
    assert shown["home"] == str(cli_env / "kept" / ".ml_platform")
    assert shown["dagster_home"] == str(project / "instance")
    monkeypatch.setenv("ML_PLATFORM_HOME", str(cli_env / "shell"))
    assert json.loads(invoke("home", "--json").output)["home"] == str(cli_env / "shell")
    assert sorted(p.name for p in project.iterdir()) == [".env"]
