"""Reading the pages' SVG charts back in the page tests."""

from __future__ import annotations

import re


def svg(page: str, label: str) -> str:
    """The chart whose aria-label is ``label``."""
    found = re.findall(rf'<svg [^>]*aria-label="{re.escape(label)}">.*?</svg>', page, re.S)
    assert len(found) == 1, f"{len(found)} charts {label!r}"
    return found[0]


def series(chart: str) -> dict[str, int]:
    """Each series of a chart with its number of points."""
    groups = re.findall(r'<g class="series" data-series="([^"]*)"[^>]*>(.*?)</g>', chart, re.S)
    return {name: body.count("<circle") for name, body in groups}
