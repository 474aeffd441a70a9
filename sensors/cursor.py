"""Sensor cursors: small JSON objects kept by Dagster between ticks."""

from __future__ import annotations

import json


def decode_cursor(cursor: str | None) -> dict:
    """The cursor's JSON object; empty on the first tick or when it cannot be read, which a
    sensor treats as a first run (it evaluates everything again)."""
    try:
        value = json.loads(cursor) if cursor else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
