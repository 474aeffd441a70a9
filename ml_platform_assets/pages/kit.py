"""The kit every page is made with: the Jinja2 environment, number formats and table cells.

The environment is built once per process (``environment``); ``render`` fills one template.
Autoescaping is on for every ``.html.j2`` template, so a string taken from a record is escaped
where it is written, never by hand. A number that is None, NaN or infinite reads "n/a".
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import jinja2

STABLE, WATCH = 0.1, 0.25  # PSI/CSI rule of thumb: below 0.1 stable, up to 0.25 watch


def is_missing(value: Any) -> bool:
    """Whether ``value`` is None, NaN or an infinity (numpy scalars included)."""
    if value is None:
        return True
    try:
        return not math.isfinite(value)
    except TypeError:
        return False


def num(value: Any) -> str:
    """4 decimals: ``0.7123``."""
    return "n/a" if is_missing(value) else f"{float(value):.4f}"


def pct(value: Any, digits: int = 1, sep: str = " ") -> str:
    """A share as a percentage: ``12.3 %`` (``digits`` decimals, ``sep`` before the sign)."""
    return "n/a" if is_missing(value) else f"{100 * float(value):.{digits}f}{sep}%"


def count(value: Any) -> str:
    """A whole number with thousands separated: ``4,000``."""
    return "n/a" if is_missing(value) else f"{int(value):,}"


def lift(value: Any) -> str:
    """A ratio to the average: ``2.31×``."""
    return "n/a" if is_missing(value) else f"{float(value):.2f}×"


_KINDS = {"num": num, "pct": pct, "pct2": lambda v: pct(v, 2), "count": count, "lift": lift}


def fmt(value: Any, kind: str = "num") -> str:
    """``value`` in one of the formats above, by name: num, pct, pct2, count or lift."""
    return _KINDS[kind](value)


def delta(new: Any, old: Any, kind: str = "num") -> str:
    """``new − old`` with its sign, in the unit of ``kind``.

    Rates (``pct``) differ in percentage points, ``+1.2 pp``: a relative "%" change would be
    misread. Counts read ``+1,234``, lifts ``+0.12×``, anything else 4 decimals.
    """
    if is_missing(new) or is_missing(old):
        return "n/a"
    diff = float(new) - float(old)
    if kind == "pct":
        return f"{100 * diff:+.1f} pp"
    return {"count": f"{diff:+,.0f}", "lift": f"{diff:+.2f}×"}.get(kind, f"{diff:+.4f}")


def stability(value: Any) -> str:
    """A PSI or CSI read as ``stable`` (below 0.1), ``watch`` (up to 0.25) or ``shifted``."""
    if is_missing(value):
        return "n/a"
    return "stable" if value < STABLE else "watch" if value <= WATCH else "shifted"


def text_of(value: Any) -> str:
    """A record's value as text: "none" for None, ISO-8601 for times, JSON for the rest."""
    if value is None:
        return "none"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


class Cell(NamedTuple):
    """A table cell: its text, its CSS class and, for a link inside the page, its anchor."""

    text: str
    css: str = ""
    href: str = ""


def status(value: Any) -> Cell:
    """A PSI or CSI's ``stability`` label, classed by it."""
    label = stability(value)
    return Cell(label, "" if label == "n/a" else label)


@dataclass(frozen=True)
class Table:
    """A table for the ``table`` macro: headers, rows of cells and optional classes."""

    kind: ClassVar[str] = "table"
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    css: str = ""  # the table's class
    id: str = ""
    row_css: tuple[str, ...] = ()  # one class per row, or none at all


def _cell(value: Any) -> Cell:
    """A cell given as ``Cell``, ``(text, css)`` or its text (anything else shown as str())."""
    if isinstance(value, tuple):
        return Cell(*value)
    return Cell(value if isinstance(value, str) else str(value))


def table(
    headers: Iterable[str],
    rows: Iterable[Iterable[Any]],
    *,
    css: str = "",
    id: str = "",
    row_css: Iterable[str] = (),
) -> Table:
    """A ``Table`` whose cells are given as text, ``(text, css)`` or ``Cell``."""
    cells = tuple(tuple(_cell(c) for c in row) for row in rows)
    return Table(tuple(headers), cells, css, id, tuple(row_css))


@dataclass(frozen=True)
class Para:
    """A paragraph of plain text."""

    kind: ClassVar[str] = "para"
    text: str


@dataclass(frozen=True)
class Heading:
    """A sub-heading (``<h3>``) inside a section."""

    kind: ClassVar[str] = "heading"
    text: str


FILTERS = {
    "num": num,
    "pct": pct,
    "count": count,
    "lift": lift,
    "fmt": fmt,
    "delta": delta,
    "stability": stability,
}


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of ``templates/``, built on first use and kept."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ml_platform_assets.pages", "templates"),
        autoescape=jinja2.select_autoescape(["html.j2"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def render(template_name: str, **context: Any) -> str:
    """The page ``template_name`` filled with ``context``.

    Raises:
        jinja2.TemplateNotFound: no such template.
        jinja2.UndefinedError: the template reads a name ``context`` lacks.
    """
    return environment().get_template(template_name).render(**context)
