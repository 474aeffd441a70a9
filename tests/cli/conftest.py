"""Fixtures for the command-line tests."""

from pathlib import Path

import pytest


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
