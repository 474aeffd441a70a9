"""The delivery tests' fixture: a fresh lender's folder per test."""

import pytest

from tests.deliveries.lender import Lender


@pytest.fixture
def lender(tmp_path, monkeypatch) -> Lender:
    return Lender(tmp_path, monkeypatch)
