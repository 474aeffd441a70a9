"""Timestamps delivered as numbers: Excel serial date-times and Unix epochs.

A number is a time only once the spec says which kind it is (``timestamp_formats.<column>``:
``excel``, ``epoch_s`` or ``epoch_ms``). Undeclared, a column of numbers is refused with a
sentence naming the kind that puts them on the file's day: a number column of another meaning
must never quietly become dates.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.spec_source import FilesSource
from ml_platform_assets.core.values import clean_text, is_number_type, parse_numbers

NUMERIC_KINDS = FilesSource.TIMESTAMP_KINDS
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d*)?(?:[eE][+-]?\d+)?$")  # either decimal, to recognise
_END = pd.Timestamp("2200-01-01")


@dataclass(frozen=True)
class NumericKind:
    """How one kind of number reads as a time: ``unit`` (pandas) since ``origin``; ``zoned``
    kinds are UTC instants, the others wall-clock business time. Values before ``first`` or
    from 2200 on are implausible for the kind."""

    reads_as: str
    unit: str
    origin: pd.Timestamp
    zoned: bool
    first: pd.Timestamp

    def bounds(self) -> tuple[float, float]:
        """The plausible values, as numbers of the kind: [low, high)."""
        step = pd.Timedelta(1, unit=self.unit)
        return (self.first - self.origin) / step, (_END - self.origin) / step

    def plausible(self) -> str:
        """The plausible range as dates, for reasons."""
        return f"{self.first.date()}..{(_END - pd.Timedelta(days=1)).date()}"


_EPOCH = pd.Timestamp("1970-01-01")
# Excel's 1900 date system counts a 29 February 1900 that never was: serials before March 1900
# are a day off, and no lender's timestamp is from then. Epochs start in 1971 so that seconds
# read as milliseconds (all in early 1970) or Excel serials read as seconds fall outside.
KINDS = {
    "excel": NumericKind("Excel serial date-times", "D", pd.Timestamp("1899-12-30"), False,
                         pd.Timestamp("1900-03-01")),
    "epoch_s": NumericKind("epoch seconds", "s", _EPOCH, True, pd.Timestamp("1971-01-01")),
    "epoch_ms": NumericKind("epoch milliseconds", "ms", _EPOCH, True, pd.Timestamp("1971-01-01")),
}  # fmt: skip


def _times(numbers: np.ndarray, kind: str, timezone: str) -> np.ndarray:
    """Plausible ``numbers`` of ``kind`` as business wall-clock datetime64[ns]; NaT elsewhere."""
    spec = KINDS[kind]
    low, high = spec.bounds()
    inside = (numbers >= low) & (numbers < high)  # NaN compares False
    stamps = np.full(len(numbers), np.datetime64("NaT"), dtype="datetime64[ns]")
    if not inside.any():
        return stamps
    parsed = pd.to_datetime(pd.Series(numbers[inside]), unit=spec.unit, origin=spec.origin)
    # Excel keeps times to the millisecond; a float of seconds to about a microsecond.
    parsed = parsed.dt.round("ms" if kind == "excel" else "us")
    if spec.zoned:
        parsed = parsed.dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)
    stamps[inside] = parsed.to_numpy(dtype="datetime64[ns]")
    return stamps


def numeric_times(
    values: pa.ChunkedArray,
    kind: str,
    timezone: str,
    decimal: str = ".",
    thousands: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A column of numbers of a declared ``kind`` as business wall-clock times.

    Text is read as numbers with the file's ``decimal`` and ``thousands`` separators, numeric
    columns as they are. Excel serials are days since 1899-12-30 in business time; epochs are
    UTC instants converted to ``timezone``.

    Returns:
        datetime64[ns] times (NaT where unreadable or implausible), the mask of rows missing or
        not a number, and the mask of numbers outside the kind's plausible range.
    """
    numbers, _ = parse_numbers(values, decimal, thousands)
    stamps = _times(numbers, kind, timezone)
    unreadable = np.isnan(numbers)
    return stamps, unreadable, np.isnat(stamps) & ~unreadable


@dataclass(frozen=True)
class Numbers:
    """A timestamp column found to hold numbers: an ``example`` as delivered and the ``kind``
    that reads the sampled numbers as times on the file's day (in range when no day is
    known), None when no kind does."""

    example: str
    kind: str | None

    def refusal(self, column: str, day: dt.date | None) -> str:
        """The sentence refusing the column until its kind is declared."""
        declare = f"data_source.timestamp_formats.{column}"
        on = f" on {day}" if day is not None else ""
        if self.kind is None:
            return (
                f"{column}: values like {self.example!r} are numbers, not dates, and no numeric "
                f"timestamp kind reads them as times{on}; if they are timestamps, declare "
                f"{declare} as one of {', '.join(NUMERIC_KINDS)}"
            )
        others = " / ".join(k for k in NUMERIC_KINDS if k != self.kind)
        return (
            f"{column}: values like {self.example!r} are numbers, not dates: they read as "
            f"{KINDS[self.kind].reads_as}{on}; declare {declare}: {self.kind} (or {others})"
        )


def read_as_numbers(
    values: pa.ChunkedArray, day: dt.date | None, timezone: str, sample: int = 1000
) -> Numbers | None:
    """Whether a timestamp column holds numbers (a numeric column, or text of which most sampled
    values are plain numbers), and which kind would read them on ``day``; None when it does not.
    """
    values = pc.drop_null(values)[:sample]
    if is_number_type(values.type):
        numbers = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
        shown = [f"{n:.15g}" for n in numbers[:1]]
    else:
        text = pc.drop_null(clean_text(values)).to_pylist()
        shown = [v for v in text if _NUMBER.match(v)]
        if not shown or len(shown) * 2 <= len(text):
            return None
        numbers = np.array([float(v.replace(",", ".")) for v in shown])
    if not len(numbers):
        return None
    best, score = None, 0
    for kind in NUMERIC_KINDS:
        stamps = _times(numbers, kind, timezone)
        if day is None:
            fits = int((~np.isnat(stamps)).sum())
        else:
            fits = int((stamps.astype("datetime64[D]") == np.datetime64(day, "D")).sum())
        if fits * 2 > len(numbers) and fits > score:
            best, score = kind, fits
    return Numbers(shown[0], best)
