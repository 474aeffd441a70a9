"""Data drift of a model's inputs against its champion's training reference, column by column.

Evidently's own stat tests, called directly so that no plots are built: which test a column
gets depends on the sizes of both samples and on the noise two calm samples of those sizes
show (``core.drift_noise``); a large day is compared on samples, a score too close to its
threshold rescored on all rows. docs/drift-method.md explains the choice, the sampling and
their measurements. No Dagster and no storage here; Evidently (slow to import) is imported on
first use. ``render_html`` and ``render_full_preset_html`` draw a day's pages.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ml_platform_assets.core.drift_noise import (
    chisquare_level,
    error_bound,
    null_noise,
    sample_indices,
)
from ml_platform_assets.core.spec import ModelSpec

DEFAULT_SAMPLE_ROWS = 100_000
HTML_ROWS = 10_000  # rows per side behind drift.html's distributions (it embeds no data)
FULL_PRESET_ROWS = 2_000  # rows per side Evidently's full page embeds
MARGIN = 3.0
MAX_NOISE_SHARE = 1 / 3  # most calm-day noise, as a share of its threshold, for a distance test
FAMILY_ALPHA = 0.05  # chance that a calm day flags any column at all under the p-value tests
FEW_VALUES = 5  # Evidently's line: numbers with at most this many values are scored as levels
P_VALUE_TESTS = frozenset({"ks", "chisquare", "z"})  # the hypothesis tests this module uses
NO_CURRENT_VALUES = "no current values"  # the method of a column empty on the day
NO_REFERENCE_VALUES = "no reference values"  # the method of a column empty in the reference


@dataclass(frozen=True)
class ColumnDrift:
    """One column's drift test; ``score`` is None when a side has no values at all."""

    column: str
    kind: str  # "numeric" or "categorical"
    method: str  # Evidently's stat test name, e.g. "wasserstein" or "ks"
    threshold: float | None  # a distance's drift threshold, or the p-value's significance level
    score: float | None  # a distance (drifts at or above the threshold) or a p-value (below it)
    drifted: bool
    error_bound: float  # expected absolute sampling error of ``score``; 0 when exact
    exact: bool  # scored on all rows
    noise: float | None = None  # expected calm-day distance at these sizes; it chose the test

    @property
    def severity(self) -> float:
        """The score against its threshold, 1 at the line and above 1 when drifted."""
        if self.score is None or self.threshold is None:
            return math.inf if self.drifted else 0.0
        if self.method in P_VALUE_TESTS:
            return self.threshold / max(self.score, 1e-300)
        return self.score / self.threshold if self.threshold else math.inf


@dataclass(frozen=True)
class DriftResult:
    """Drift of one day's data against a reference, column by column."""

    columns: tuple[ColumnDrift, ...]
    rows_reference: int
    rows_current: int
    rows_compared: tuple[int, int]  # (reference, current) rows sampled for the scores

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    @property
    def columns_without_values(self) -> list[str]:
        """Columns with no values on the day (each counts as drifted)."""
        return [c.column for c in self.columns if c.method == NO_CURRENT_VALUES]

    @property
    def share(self) -> float:
        """Share of columns that drifted (Evidently's dataset drift share)."""
        return len(self.drifted_columns) / len(self.columns) if self.columns else 0.0

    def to_dict(self) -> dict:
        return {
            "share": self.share,
            "drifted_columns": self.drifted_columns,
            "columns_without_values": self.columns_without_values,
            "rows_reference": self.rows_reference,
            "rows_current": self.rows_current,
            "rows_compared": list(self.rows_compared),
            "columns": [asdict(c) for c in self.columns],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"


def _values(
    frame: pd.DataFrame, column: str, rows: np.ndarray | None, ordered: bool = False
) -> pd.Series:
    """A column's finite values, optionally at ``rows``; Evidently drops missing values too.

    ``ordered`` sorts numbers ascending. Every score here depends on a side's values, not their
    order, and sorting the reference once lets the Wasserstein distance, ``drift_noise``'s J1
    and the distinct-value count reuse that order instead of each sorting 50,000 values again.
    """
    series = frame[column] if rows is None else frame[column].take(rows)
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "fiub":
        values = series.to_numpy()
        if values.dtype.kind == "f":
            values = values[np.isfinite(values)]
        return pd.Series(np.sort(values) if ordered else values, name=column, copy=False)
    return series.dropna().reset_index(drop=True)


class _AllRows:
    """A column's all-rows values on both sides, cleaned on first use."""

    def __init__(self, reference: pd.DataFrame, current: pd.DataFrame, column: str, ordered: bool):
        self._frames, self._column, self._values = (reference, current), column, None
        self._ordered = ordered  # the reference's numbers sorted, as on the sampled path

    def values(self) -> tuple[pd.Series, pd.Series]:
        if self._values is None:
            ref = _values(self._frames[0], self._column, None, ordered=self._ordered)
            self._values = (ref, _values(self._frames[1], self._column, None))
        return self._values

    def sizes(self) -> tuple[int, int]:
        """Non-missing counts, without copying (an infinity is counted; it is vanishingly rare)."""
        ref, cur = (int(f[self._column].count()) for f in self._frames)
        return ref, cur


def _shows_more(values: pd.Series, limit: int) -> bool:
    """Whether ``values`` hold more than ``limit`` distinct values, counted without hashing
    when they are sorted numbers (the reference side of a numeric column)."""
    array = values.to_numpy()
    if array.dtype.kind in "fiub" and len(array) > 1 and bool(np.all(array[1:] >= array[:-1])):
        return int(np.count_nonzero(array[1:] != array[:-1])) + 1 > limit
    return int(values.nunique()) > limit


def _at_most(ref: pd.Series, cur: pd.Series, full: _AllRows | None, limit: int) -> bool:
    """Whether both sides together hold at most ``limit`` distinct values, on all rows when the
    sample shows that few (a sample can miss a rare value; it never shows one that is not
    there)."""
    if _shows_more(ref, limit) or int(pd.concat([ref, cur]).nunique()) > limit:
        return False
    if full is not None:
        return int(pd.concat(full.values()).nunique()) <= limit
    return True


@dataclass(frozen=True)
class _Choice:
    test: object  # Evidently's StatTest
    threshold: float
    noise: float


def choose_test(
    ref: pd.Series,
    cur: pd.Series,
    categorical: bool,
    sizes: tuple[int, int],
    p_threshold: float,
    full: _AllRows | None = None,
) -> _Choice:
    """The Evidently stat test and threshold for a column, by the sizes of both samples.

    Args:
        ref, cur: The column's values per side (possibly samples).
        categorical: The column's kind in the spec.
        sizes: Values compared per side on all rows.
        p_threshold: Significance level of a hypothesis test (already corrected for the number
            of columns tested).
        full: The all-rows values, when ``ref`` or ``cur`` is a sample.
    """
    from evidently.legacy.calculations.stattests.registry import get_stattest
    from evidently.legacy.core import ColumnType

    kind = ColumnType.Categorical if categorical else ColumnType.Numerical
    by_level = categorical or _at_most(ref, cur, full, FEW_VALUES)
    distance = get_stattest(ref, cur, kind, "jensenshannon" if by_level else "wasserstein")
    noise = null_noise(distance.name, ref, cur, sizes)
    if noise <= MAX_NOISE_SHARE * distance.default_threshold:
        return _Choice(distance, distance.default_threshold, noise)
    if not by_level:
        return _Choice(get_stattest(ref, cur, kind, "ks"), p_threshold, noise)
    # Evidently registers its level tests for categories; it applies them to few-valued numbers.
    if _at_most(ref, cur, full, 2):
        return _Choice(get_stattest(ref, cur, ColumnType.Categorical, "z"), p_threshold, noise)
    # A sampled chi-square is always redone on all rows (no bound), so its levels are counted there.
    levels = int(pd.concat(full.values() if full else (ref, cur)).nunique())
    level = chisquare_level(p_threshold, levels, sizes)
    return _Choice(get_stattest(ref, cur, ColumnType.Categorical, "chisquare"), level, noise)


def _run(choice: _Choice, ref: pd.Series, cur: pd.Series, categorical: bool):
    from evidently.legacy.core import ColumnType

    kind = ColumnType.Categorical if categorical else ColumnType.Numerical
    return choice.test(ref, cur, kind, choice.threshold)


def column_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    column: str,
    categorical: bool,
    samples: tuple[np.ndarray | None, np.ndarray | None],
    p_threshold: float = FAMILY_ALPHA,
) -> ColumnDrift:
    """One column's drift on the sampled rows, rescored on all rows when too close to call.

    ``p_threshold`` is the significance level should the column get a hypothesis test.
    """
    kind = "categorical" if categorical else "numeric"
    ref = _values(reference, column, samples[0], ordered=not categorical)
    cur = _values(current, column, samples[1])
    if ref.empty or cur.empty:
        # A column the champion never saw cannot drift; one that vanished today has.
        method = NO_REFERENCE_VALUES if ref.empty else NO_CURRENT_VALUES
        return ColumnDrift(
            column=column,
            kind=kind,
            method=method,
            threshold=None,
            score=None,
            drifted=not ref.empty,
            error_bound=0.0,
            exact=True,
        )
    # All rows are cleaned only when needed: most columns never need them.
    sampled = any(s is not None for s in samples)
    full = _AllRows(reference, current, column, not categorical) if sampled else None
    sizes = (len(ref), len(cur)) if full is None else full.sizes()
    choice = choose_test(ref, cur, categorical, sizes, p_threshold, full)
    result = _run(choice, ref, cur, categorical)
    bound = 0.0 if full is None else error_bound(choice.test.name, ref, cur, sizes)
    if bound and abs(result.drift_score - result.actual_threshold) <= MARGIN * bound:
        result = _run(choice, *full.values(), categorical)
        bound = 0.0
    return ColumnDrift(
        column=column,
        kind=kind,
        method=choice.test.name,
        threshold=float(result.actual_threshold),
        score=float(result.drift_score),
        drifted=bool(result.drifted),
        error_bound=float(bound),
        exact=bound == 0.0,
        noise=float(choice.noise),
    )


def measure_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    spec: ModelSpec,
    *,
    columns: Sequence[str] | None = None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    seed: int = 0,
) -> DriftResult:
    """Drift of ``current`` against ``reference`` on the spec's drift columns (or ``columns``).

    Args:
        reference: The champion's reference rows (a sample of its training set).
        current: The day's production rows.
        spec: Says which columns are categorical.
        columns: Columns to test; default ``spec.drift_columns``.
        sample_rows: Cap on the rows used per side (docs/drift-method.md has the error bound).
        seed: Seed of the row samples.

    Raises:
        ValueError: a side lacks one of the columns, or has no rows.
    """
    columns = list(columns or spec.drift_columns)
    for name, frame in (("reference", reference), ("current", current)):
        missing = [c for c in columns if c not in frame.columns]
        if missing or frame.empty:
            problem = f"lack {', '.join(missing)}" if missing else "are empty"
            raise ValueError(f"the {name} rows {problem}; drift cannot be measured")
    samples = (
        sample_indices(len(reference), sample_rows, seed),
        sample_indices(len(current), sample_rows, seed + 1),
    )
    categorical = set(spec.features.categorical)
    p_threshold = FAMILY_ALPHA / len(columns)  # Bonferroni over the columns tested
    results = tuple(
        column_drift(reference, current, c, c in categorical, samples, p_threshold) for c in columns
    )
    compared = tuple(
        len(frame) if s is None else len(s)
        for frame, s in zip((reference, current), samples, strict=True)
    )
    return DriftResult(results, len(reference), len(current), compared)


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


def _omitted(
    sides: list[pd.DataFrame], frames: tuple[pd.DataFrame, pd.DataFrame], columns: list[str]
) -> dict[str, list[str]]:
    """Columns a page side has no values in, by why: none in the reference, none on the day,
    or none among the rows drawn for the page."""
    why: dict[str, list[str]] = {"reference": [], "current": [], "sample": []}
    for column in columns:
        if all(side[column].notna().any() for side in sides):
            continue
        if _values(frames[0], column, None).empty:
            why["reference"].append(column)
        elif _values(frames[1], column, None).empty:
            why["current"].append(column)
        else:
            why["sample"].append(column)
    return why


def _notice(why: dict[str, list[str]], rows: int) -> str:
    """A plain paragraph naming the columns left out of the page, or "" when none were."""
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
    if not sentences:
        return ""
    text = html.escape(" ".join(sentences))
    return (
        '<div id="ml-platform-omitted-columns" style="font-family: sans-serif; margin: 1em; '
        'padding: 0.75em 1em; border: 1px solid #d9822b; background: #fff7ed">'
        f"<strong>Columns not shown.</strong> {text}</div>"
    )


# The page: a table of every column's decision, and reference-vs-day bars for drifted columns.
LEVEL_TESTS = frozenset({"jensenshannon", "chisquare", "z"})  # tests that compare level shares
PAGE_LEVELS = 12  # most levels drawn per column; the rarer ones are summed as one bar
_BAR_PX = 160  # the longest bar of a chart
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:60em}"
    "table{border-collapse:collapse;font-size:14px;margin:0.5em 0 1em}"
    "th,td{padding:2px 8px;text-align:left;border-bottom:1px solid #e5e5e5}"
    "th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.drifted td{background:#fdecea}h3{margin:1.2em 0 0.2em;font-size:15px}"
    ".bar{display:inline-block;height:10px;margin-right:6px;vertical-align:middle}"
    ".ref{background:#8c8c8c}.cur{background:#d9534f}small,.note{color:#666}"
)


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


def _decision_table(columns: Sequence[ColumnDrift], anchors: dict[str, str]) -> str:
    """Every column's test, score, threshold, decision and noise, the drifted ones first."""
    head = "".join(
        f"<th>{h}</th>" for h in ("column", "test", "score", "threshold", "drifted", "noise")
    )
    rows = []
    for c in _by_severity(columns):
        name = html.escape(c.column)
        if c.column in anchors:
            name = f'<a href="#{anchors[c.column]}">{name}</a>'
        noise = "—" if c.noise is None else f"{c.noise:.4f}"
        rows.append(
            f'<tr class="{"drifted" if c.drifted else "calm"}"><td>{name}</td>'
            f"<td>{html.escape(c.method)}</td><td class=n>{_score(c, c.score)}</td>"
            f"<td class=n>{_score(c, c.threshold)}</td><td>{'yes' if c.drifted else ''}</td>"
            f"<td class=n>{noise}</td></tr>"
        )
    return (
        f'<table id="columns"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _chart(anchor: str, column: ColumnDrift, bars: _Bars) -> str:
    """Reference and day shares side by side, one row per decile bin or level."""
    top = max([*bars.reference, *bars.current, 1e-12])

    def cell(share: float, side: str) -> str:
        bar = f'<span class="bar {side}" style="width:{share / top * _BAR_PX:.0f}px"></span>'
        return f"<td class=n>{bar}{share:.1%}</td>"

    rows = "".join(
        f"<tr><td>{html.escape(label)}</td>{cell(r, 'ref')}{cell(c, 'cur')}</tr>"
        for label, r, c in zip(bars.labels, bars.reference, bars.current, strict=True)
    )
    missing = ""
    if any(bars.missing):
        missing = (
            f'<p class="note">Rows without a value (not tested): reference '
            f"{bars.missing[0]:.1%}, day {bars.missing[1]:.1%}.</p>"
        )
    title = (
        f"{html.escape(column.column)} <small>{html.escape(column.method)} "
        f"{_score(column, column.score)} against {_score(column, column.threshold)}</small>"
    )
    return (
        f'<section class="chart" id="{anchor}" data-column="{html.escape(column.column)}">'
        f"<h3>{title}</h3><table><thead><tr><th>{bars.axis}</th><th>reference</th>"
        f"<th>day</th></tr></thead><tbody>{rows}</tbody></table>{missing}</section>"
    )


def render_html(
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

    A column with no values on a side is named at the top and drawn nowhere (as on Evidently's
    page from ``render_full_preset_html``).
    """
    if result is None:
        result = measure_drift(reference, current, spec, seed=seed)
    f = spec.features
    columns = [c.column for c in result.columns]
    numeric = {*f.numeric, *f.derived}
    frames = (reference, current)
    sides = [_page_side(frame, columns, numeric, rows, seed + i) for i, frame in enumerate(frames)]
    why = _omitted(sides, frames, columns)
    left_out = {c for names in why.values() for c in names}
    drawn = [c for c in _by_severity(result.columns) if c.drifted and c.column not in left_out]
    anchors = {c.column: f"chart-{i}" for i, c in enumerate(drawn)}
    charts = "".join(
        _chart(anchors[c.column], c, _bars(c, sides[0][c.column], sides[1][c.column]))
        for c in drawn
    )
    drifted = len(result.drifted_columns)
    heading = html.escape(title or f"Data drift of {spec.name}")
    summary = (
        f"{drifted} of {len(columns)} columns drifted (share {result.share:.1%}; a day counts "
        f"towards retraining at {spec.drift.share_threshold:.0%} or more). Reference "
        f"{result.rows_reference:,} rows, day {result.rows_current:,}; scored on "
        f"{result.rows_compared[0]:,} and {result.rows_compared[1]:,} rows, a score too close to "
        "its threshold rescored on all rows. A distance drifts at or above its threshold, a "
        "p-value below it; noise is the distance two calm samples of these sizes show."
    )
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f"<title>{heading}</title><style>{_STYLE}</style></head><body>",
        _notice(why, rows),
        f"<h1>{heading}</h1><p>{summary}</p>",
        "" if len(left_out) < len(columns) else "<p>No column has values on both sides.</p>",
        _decision_table(result.columns, anchors),
    ]
    if charts:
        parts.append(
            "<h2>Drifted columns, reference against the day</h2>"
            f'<p class="note">Shares of the values of at most {rows:,} rows per side.</p>'
        )
        parts.append(charts)
    parts.append("</body></html>\n")
    return "".join(parts)


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

    f = spec.features
    columns = [c.column for c in result.columns] if result else list(spec.drift_columns)
    numeric = {*f.numeric, *f.derived}
    frames = (reference, current)
    sides = [_page_side(frame, columns, numeric, rows, seed + i) for i, frame in enumerate(frames)]
    why = _omitted(sides, frames, columns)
    left_out = {c for names in why.values() for c in names}
    shown = [c for c in columns if c not in left_out]
    notice = _notice(why, rows)
    if not shown:
        return (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Data drift</title>'
            f"</head><body>{notice}<p>No column has values on both sides.</p></body></html>\n"
        )
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
