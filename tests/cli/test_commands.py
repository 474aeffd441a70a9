"""The command table of ``ml-platform``: --help lists each command from it without importing
the command's module, so what it says must be what the command says."""

import importlib

import pytest
from click.testing import CliRunner

from ml_platform_assets.cli import COMMANDS, main


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_listed_command_is_the_command_and_says_what_it_says(name) -> None:
    target, summary = COMMANDS[name]
    module, attribute = target.split(":")
    command = getattr(importlib.import_module(f"ml_platform_assets.cli.{module}"), attribute)
    assert command.name == name
    assert summary == command.get_short_help_str(limit=10_000)
    assert main.get_command(None, name) is command


def test_help_lists_every_command_and_an_unknown_one_is_refused() -> None:
    shown = CliRunner().invoke(main, ["--help"])
    assert shown.exit_code == 0
    listed = [line.split()[0] for line in shown.output.split("Commands:")[1].splitlines() if line]
    assert listed == list(COMMANDS)
    unknown = CliRunner().invoke(main, ["modles"])
    assert unknown.exit_code == 2 and "No such command 'modles'" in unknown.output
