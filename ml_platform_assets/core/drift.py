"""Data drift of a model's inputs against its champion's training reference, column by column.

Evidently's own stat tests, called directly so that no plots are built: which test a column
gets depends on the sizes of both samples and on the noise two calm samples of those sizes
show (``core.drift_noise``); a large day is compared on samples, a score too close to its
threshold rescored on all rows. docs/drift-method.md explains the choice, the sampling and
their measurements. No Dagster and no storage here; Evidently (slow to import) is imported on
first use. The pages of a day's drift are ``pages.drift``'s.
"""

from __future__ import annotations

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
        """The columns that drifted, in the order tested."""
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
        """The result as plain data: drift.json's content."""
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
        """``to_dict`` as stable JSON (sorted keys, two-space indent), ending in a newline."""
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


def has_values(frame: pd.DataFrame, column: str) -> bool:
    """Whether ``column`` of ``frame`` holds a value the tests compare (not missing, finite)."""
    return not _values(frame, column, None).empty


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
