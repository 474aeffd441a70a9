"""Chart geometry for the pages: scales, ticks, points and bars in SVG pixels.

Python computes where everything goes; the macros of ``templates/charts.html.j2`` draw it as
inline ``<svg>`` with a ``<title>`` and an aria-label. Coordinates are rounded to 0.1 px, so
the same data draws the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ml_platform_assets.pages.kit import is_missing, pct

COLORS = {"challenger": "#4a6fa5", "champion": "#d08c34", "benchmark": "#5a8f29"}
REFERENCE, DAY = "#8c8c8c", "#d9534f"  # the drift page's two sides
CALIBRATION = "Calibration: observed bad rate against mean predicted PD per score decile"
GAINS = "Cumulative share of bads captured by score decile, riskiest first"

# A line chart's frame: a square plot, axis labels below and left, the legend on the right.
_LEFT, _TOP, _SIDE, _LEGEND_X = 64, 16, 300, 392


@dataclass(frozen=True)
class Scale:
    """Linear map of ``[0, top]`` onto pixels from ``start`` to ``end``."""

    top: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        """The pixel position of ``value``, rounded to 0.1 px."""
        return round(self.start + (self.end - self.start) * value / self.top, 1)


@dataclass(frozen=True)
class Tick:
    """An axis tick: its pixel position and label."""

    at: float
    label: str


@dataclass(frozen=True)
class Point:
    """A data point in pixels, with what it shows as text."""

    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Series:
    """One model's points, joined by a line."""

    label: str
    color: str
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        """The ``points`` attribute of its polyline."""
        return " ".join(f"{p.x},{p.y}" for p in self.points)


@dataclass(frozen=True)
class LineChart:
    """Series on a square plot of shares, with a dashed reference diagonal."""

    kind: ClassVar[str] = "line_chart"
    label: str
    x_label: str
    y_label: str
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    diagonal: str  # what the diagonal means, e.g. "perfect calibration"
    series: tuple[Series, ...]
    left: int = _LEFT
    top: int = _TOP
    side: int = _SIDE
    legend_x: int = _LEGEND_X
    width: int = 620
    height: int = _TOP + _SIDE + 54


def _step(top: float) -> float:
    """A round tick step giving at most six intervals up to ``top``."""
    raw = top / 6
    power = 10 ** math.floor(math.log10(raw))
    return next(power * m for m in (1, 2, 2.5, 5, 10) if power * m >= raw)


def _axes(top: float) -> tuple[Scale, Scale, tuple[Tick, ...], tuple[Tick, ...]]:
    """Scales and ticks of a plot of shares from 0 to at least ``top`` on both axes."""
    step = _step(top)
    steps = math.ceil(top / step - 1e-9)
    x, y = Scale(steps * step, _LEFT, _LEFT + _SIDE), Scale(steps * step, _TOP + _SIDE, _TOP)
    digits = next(d for d in range(4) if abs(round(100 * step, d) - 100 * step) < 1e-9)
    labels = [pct(i * step, digits) for i in range(steps + 1)]
    x_ticks = tuple(Tick(x(i * step), text) for i, text in enumerate(labels))
    y_ticks = tuple(Tick(y(i * step), text) for i, text in enumerate(labels))
    return x, y, x_ticks, y_ticks


_OBSERVED = "observed_bad_rate"
Models = Sequence[tuple[str, str, Sequence[dict]]]  # (role, label, rows) per model


def calibration_chart(models: Models) -> LineChart:
    """Observed bad rate against mean predicted PD, one point per score decile and model.

    ``models`` give each model's ``deciles.calibration_by_decile`` rows; a decile without a
    mean prediction is left out, one without an observed rate drawn at 0.
    """
    kept = [
        (role, label, [r for r in rows if not is_missing(r["mean_predicted"])])
        for role, label, rows in models
    ]
    values = [r[k] for *_, rows in kept for r in rows for k in ("mean_predicted", _OBSERVED)]
    x, y, x_ticks, y_ticks = _axes(max([v for v in values if not is_missing(v)] + [0.01]) * 1.05)
    series = []
    for role, label, rows in kept:
        points = []
        for r in rows:
            seen = r[_OBSERVED]
            title = (
                f"{label}, decile {r['decile']}: mean predicted {pct(r['mean_predicted'], 2)}, "
                f"observed {pct(seen, 2)}"
            )
            at = (x(r["mean_predicted"]), y(0.0 if is_missing(seen) else seen))
            points.append(Point(*at, title))
        series.append(Series(label, COLORS[role], tuple(points)))
    return LineChart(
        CALIBRATION, "Mean predicted PD per score decile", "Observed bad rate",
        x_ticks, y_ticks, "perfect calibration", tuple(series),
    )  # fmt: skip


def gains_chart(models: Models) -> LineChart:
    """Cumulative share of bads against share of applications, riskiest decile first.

    ``models`` give each model's ``deciles.lift_by_decile`` rows, riskiest first.
    """
    x, y, x_ticks, y_ticks = _axes(1.0)
    series = []
    for role, label, rows in models:
        total, seen = sum(int(r["n"]) for r in rows) or 1, 0
        points = [Point(x(0.0), y(0.0), f"{label}: none of the applications, none of the bads")]
        for r in rows:
            seen += int(r["n"])
            share = 0.0 if is_missing(r["cumulative_bads_share"]) else r["cumulative_bads_share"]
            title = f"{label}: riskiest {pct(seen / total)} of applications, {pct(share)} of bads"
            points.append(Point(x(seen / total), y(share), title))
        series.append(Series(label, COLORS[role], tuple(points)))
    return LineChart(
        GAINS, "Share of applications, riskiest first", "Share of bads captured",
        x_ticks, y_ticks, "random order", tuple(series),
    )  # fmt: skip


@dataclass(frozen=True)
class BarRow:
    """One bin or level: its label and the lengths of both sides' bars in pixels."""

    label: str  # as drawn, shortened
    title: str  # in full, with both shares
    y: float  # top of the reference bar
    reference: float
    day: float


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars of a column's value shares, the reference above the day per row."""

    label: str
    rows: tuple[BarRow, ...]
    label_x: int = 150  # right edge of the row labels
    bar: int = 8  # height of one bar
    width: int = 480
    reference_color: str = REFERENCE
    day_color: str = DAY

    @property
    def height(self) -> int:
        """Rows of 24 px, and the legend."""
        return 24 * len(self.rows) + 34


_LONGEST_BAR, _LABEL_CHARS = 300, 22


def share_bars(label: str, labels: Sequence[str], reference: Sequence[float],
               day: Sequence[float]) -> BarChart:  # fmt: skip
    """Bars of the shares per bin or level, scaled so the largest share is the longest bar."""
    top = max([*reference, *day, 1e-12])
    rows = tuple(
        BarRow(
            text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…",
            f"{text}: reference {pct(r, sep='')}, day {pct(d, sep='')}",
            24.0 * i + 4,
            round(_LONGEST_BAR * r / top, 1),
            round(_LONGEST_BAR * d / top, 1),
        )
        for i, (text, r, d) in enumerate(zip(labels, reference, day, strict=True))
    )
    return BarChart(label, rows)
