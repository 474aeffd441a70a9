"""The pages of a day's drift: the daily page, and Evidently's full page on demand.

``render_drift_html`` is what a reviewer reads each day, without Evidently: every column's
test, score, threshold and decision, then each drifted column's value shares in the reference
and on the day, drawn as SVG bars beside their table. ``render_full_preset_html`` is Evidently's
own ``DataDriftPreset`` page, left as Evidently draws it. A column with no values on a side of
a page is drawn on neither and named at the top of both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml_platform_assets.core.drift import (
    P_VALUE_TESTS,
    ColumnDrift,
    DriftResult,
    has_values,
    measure_drift,
)
from ml_platform_assets.core.drift_noise import sample_indices
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.pages.charts import share_bars
from ml_platform_assets.pages.kit import Cell, Table, pct, render, table

HTML_ROWS = 10_000  # rows per side behind drift.html's distributions (it embeds no data)
FULL_PRESET_ROWS = 2_000  # rows per side Evidently's full page embeds
LEVEL_TESTS = frozenset({"jensenshannon", "chisquare", "z"})  # tests that compare level shares
PAGE_LEVELS = 12  # most levels drawn per column; the rarer ones are summed as one bar


def _page_side(
    frame: pd.DataFrame, columns: list[str], numeric: set[str], rows: int, seed: int
) -> pd.DataFrame:
    """At most ``rows`` rows of ``columns``, numbers as floats with infinities missing."""
    picked = sample_indices(len(frame), rows, seed)
    # Only the drawn rows of only these columns are copied.
    positions = [frame.columns.get_loc(c) for c in columns]
    part = frame.iloc[slice(None) if picked is None else picked, positions]
    part = part.reset_index(drop=True)
    for column in numeric.intersection(columns):
        values = pd.to_numeric(part[column], errors="coerce")
        array = values.to_numpy(dtype="float64", na_value=np.nan, copy=True)
        array[~np.isfinite(array)] = np.nan
        part[column] = array
    return part


def _sides(
    frames: tuple[pd.DataFrame, pd.DataFrame], spec: ModelSpec, columns: list[str], rows: int,
    seed: int,
) -> tuple[list[pd.DataFrame], set[str], list[str]]:  # fmt: skip
    """Both sides' rows drawn for a page, the columns a side of them has no values in, and the
    sentences saying why: none in the reference, none on the day, or none among the rows drawn.
    """
    numeric = {*spec.features.numeric, *spec.features.derived}
    sides = [_page_side(frame, columns, numeric, rows, seed + i) for i, frame in enumerate(frames)]
    why: dict[str, list[str]] = {"reference": [], "current": [], "sample": []}
    for column in columns:
        if all(side[column].notna().any() for side in sides):
            continue
        if not has_values(frames[0], column):
            why["reference"].append(column)
        elif not has_values(frames[1], column):
            why["current"].append(column)
        else:
            why["sample"].append(column)
    sentences = []
    if why["current"]:
        sentences.append(
            f"No values in the current data: {', '.join(why['current'])}. A column with no "
            "values on the day counts as drifted."
        )
    if why["reference"]:
        sentences.append(
            f"No values in the reference: {', '.join(why['reference'])}. A column the champion "
            "never saw values of cannot drift."
        )
    if why["sample"]:
        sentences.append(
            f"No values among the {rows:,} rows per side drawn for this page: "
            f"{', '.join(why['sample'])}. They are scored on all rows in drift.json."
        )
    return sides, {c for names in why.values() for c in names}, sentences


@dataclass(frozen=True)
class _Bars:
    """Shares of a column's values per bin (numbers) or level, reference and day."""

    axis: str  # what a bar is: reference deciles or levels
    labels: list[str]
    reference: list[float]  # shares of the side's non-missing values
    current: list[float]
    missing: tuple[float, float]  # share of the side's rows without a value


def _number(value: float) -> str:
    """4 significant digits, thousands separated rather than in scientific notation."""
    if 1_000 <= abs(value) < 1e9:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _decile_bars(ref: pd.Series, cur: pd.Series) -> tuple[str, list[str], list, list]:
    """Shares of both sides between the reference's deciles (equal edges merged)."""
    edges = np.unique(np.quantile(ref.to_numpy(dtype="float64"), np.linspace(0.1, 0.9, 9)))
    shares = [
        np.bincount(
            np.searchsorted(edges, side.to_numpy(dtype="float64")), minlength=len(edges) + 1
        )
        / len(side)
        for side in (ref, cur)
    ]
    text = [_number(e) for e in edges]
    inner = [f"{a} – {b}" for a, b in zip(text, text[1:], strict=False)]
    labels = [f"≤ {text[0]}", *inner, f"> {text[-1]}"]
    return "deciles of the reference", labels, *(list(s) for s in shares)


def _level_bars(ref: pd.Series, cur: pd.Series) -> tuple[str, list[str], list, list]:
    """Shares of each level, the reference's commonest first, then levels new on the day."""
    counts = [side.value_counts(normalize=True) for side in (ref, cur)]
    levels = list(counts[0].index) + [v for v in counts[1].index if v not in counts[0].index]
    shown, rest = levels[: PAGE_LEVELS - 1], levels[PAGE_LEVELS - 1 :]
    if len(rest) <= 1:
        shown, rest = levels, []
    shares = [[float(c.get(v, 0.0)) for v in shown] for c in counts]
    labels = [_number(v) if isinstance(v, float) else str(v) for v in shown]
    if rest:
        labels.append(f"{len(rest)} other levels")
        for share, c in zip(shares, counts, strict=True):
            share.append(float(c.reindex(rest).fillna(0.0).sum()))
    return "level", labels, *shares


def _bars(column: ColumnDrift, ref: pd.Series, cur: pd.Series) -> _Bars:
    missing = (float(ref.isna().mean()), float(cur.isna().mean()))
    ref, cur = ref.dropna(), cur.dropna()
    by_level = column.kind == "categorical" or column.method in LEVEL_TESTS
    axis, labels, r, c = (_level_bars if by_level else _decile_bars)(ref, cur)
    return _Bars(axis, labels, r, c, missing)


def _score(column: ColumnDrift, value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3g}" if column.method in P_VALUE_TESTS else f"{value:.4f}"


def _by_severity(columns: Sequence[ColumnDrift]) -> list[ColumnDrift]:
    """The drifted columns first, each group from the furthest past its threshold."""
    return sorted(columns, key=lambda c: (not c.drifted, -c.severity))


def _decision_table(columns: Sequence[ColumnDrift], anchors: dict[str, str]) -> Table:
    """Every column's test, score, threshold, decision and noise, the drifted ones first."""
    ranked = _by_severity(columns)
    rows = [
        [Cell(c.column, href=anchors.get(c.column, "")), c.method, _score(c, c.score),
         _score(c, c.threshold), "yes" if c.drifted else "",
         "—" if c.noise is None else f"{c.noise:.4f}"]
        for c in ranked
    ]  # fmt: skip
    headers = ["column", "test", "score", "threshold", "drifted", "noise"]
    row_css = ["drifted" if c.drifted else "calm" for c in ranked]
    return table(headers, rows, id="columns", row_css=row_css)


def _chart(anchor: str, column: ColumnDrift, bars: _Bars) -> dict:
    """A drifted column's shares, reference against the day: a table and its bars."""
    shares = table(
        [bars.axis, "reference", "day"],
        [[label, pct(r, sep=""), pct(c, sep="")]
         for label, r, c in zip(bars.labels, bars.reference, bars.current, strict=True)],
    )  # fmt: skip
    label = f"Shares of the values of {column.column}, reference against the day"
    return {
        "anchor": anchor,
        "column": column.column,
        "test": f"{column.method} {_score(column, column.score)} against "
        f"{_score(column, column.threshold)}",
        "table": shares,
        "bars": share_bars(label, bars.labels, bars.reference, bars.current),
        "missing": bars.missing if any(bars.missing) else None,
    }


def render_drift_html(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    spec: ModelSpec,
    *,
    rows: int = HTML_ROWS,
    seed: int = 0,
    result: DriftResult | None = None,
    title: str | None = None,
) -> str:
    """A small self-contained page of a day's drift: what a reviewer reads, without Evidently.

    A table of every column's test, score, threshold, decision and noise (from ``result``, the
    scores decided on; measured here when not given), then, for each drifted column, its value
    shares in the reference and on the day: per decile of the reference for numbers, per level
    for categories and few-valued numbers. The shares are drawn from at most ``rows`` rows per
    side. No script, no external style sheet: the page opens anywhere, in tens of kilobytes.

    Returns:
        The page, ending in a newline. A column with no values on a side is named at the top
        and drawn nowhere (as on Evidently's page from ``render_full_preset_html``).
    """
    if result is None:
        result = measure_drift(reference, current, spec, seed=seed)
    columns = [c.column for c in result.columns]
    sides, left_out, notice = _sides((reference, current), spec, columns, rows, seed)
    drawn = [c for c in _by_severity(result.columns) if c.drifted and c.column not in left_out]
    anchors = {c.column: f"chart-{i}" for i, c in enumerate(drawn)}
    charts = [
        _chart(anchors[c.column], c, _bars(c, sides[0][c.column], sides[1][c.column]))
        for c in drawn
    ]
    return render(
        "drift.html.j2",
        title=title or f"Data drift of {spec.name}",
        notice=notice,
        result=result,
        columns=len(columns),
        retrain_share=spec.drift.share_threshold,
        nothing_shown=len(left_out) == len(columns),
        decisions=_decision_table(result.columns, anchors),
        charts=charts,
        rows=rows,
    )


def render_full_preset_html(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    spec: ModelSpec,
    *,
    rows: int = FULL_PRESET_ROWS,
    seed: int = 0,
    result: DriftResult | None = None,
) -> str:
    """Evidently's full ``DataDriftPreset`` page on at most ``rows`` rows per side, on demand.

    Seconds and megabytes a day: the page embeds its data, so it is drawn from a small sample
    and its scores can differ slightly from ``measure_drift``'s, which are the ones decided on.
    Given ``result``, the page shows its columns with the tests and thresholds they were
    decided with; otherwise the spec's drift columns with Evidently's default tests. A column
    with no values on a side of the page is left out (Evidently cannot draw it) and named at
    the top.
    """
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    columns = [c.column for c in result.columns] if result else list(spec.drift_columns)
    sides, left_out, sentences = _sides((reference, current), spec, columns, rows, seed)
    shown = [c for c in columns if c not in left_out]
    if not shown:
        return render("drift_full_empty.html.j2", notice=sentences)
    notice = render("drift_notice.html.j2", notice=sentences).strip() if sentences else ""
    numeric = {*spec.features.numeric, *spec.features.derived}
    methods = {c.column: c for c in (result.columns if result else ()) if c.score is not None}
    # Evidently registers chi-square and its Z-test for categories only, so a few-valued number
    # decided with them is declared a category on the page.
    as_levels = {c for c, d in methods.items() if d.method in ("chisquare", "z")}
    definition = DataDefinition(
        numerical_columns=[c for c in shown if c in numeric and c not in as_levels],
        categorical_columns=[c for c in shown if c not in numeric or c in as_levels],
    )
    datasets = [Dataset.from_pandas(side[shown], data_definition=definition) for side in sides]
    report = Report(
        [
            DataDriftPreset(
                columns=shown,
                drift_share=spec.drift.share_threshold,
                per_column_method={c: methods[c].method for c in shown if c in methods} or None,
                per_column_threshold={c: methods[c].threshold for c in shown if c in methods}
                or None,
            )
        ]
    )
    page = report.run(reference_data=datasets[0], current_data=datasets[1])
    page = page.get_html_str(as_iframe=False)
    if notice:
        body = page.find("<body")
        at = page.find(">", body) + 1 if body >= 0 else 0
        page = page[:at] + notice + page[at:]
    return page
