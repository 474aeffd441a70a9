"""Typed values from delivered text: stripped text, numbers, timestamps in the business
timezone, and labels.

Each function takes an Arrow column as delivered (text from a CSV, or typed from parquet) and
returns numpy values plus what could not be read, so validation can quarantine by row. A
timestamp column is read with one format for every row, inferred once per file when the spec
declares none.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.parsing import LandingFileError
from ml_platform_assets.core.spec_features import Target


def label_apart(label: str, taken) -> str:
    """``label`` in parentheses as often as it takes not to be one of ``taken``: the name of a
    group the platform adds (rows without a value) when a lender's own level may carry it.
    ``label_apart("missing", ["web", "missing"])`` is ``"(missing)"``."""
    taken = set(taken)
    while label in taken:
        label = f"({label})"
    return label


def flags(mask: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A boolean Arrow mask as numpy, missing counted as False."""
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def clean_text(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Stripped text with empty strings as missing."""
    if values.type != pa.string():
        values = pc.cast(values, pa.string())
    text = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def is_number_type(type_: pa.DataType) -> bool:
    """Types read as numbers without parsing; a boolean flag counts as 0/1."""
    return (
        pa.types.is_integer(type_)
        or pa.types.is_floating(type_)
        or pa.types.is_decimal(type_)
        or pa.types.is_boolean(type_)
    )


def parse_numbers(
    values: pa.ChunkedArray, decimal: str = ".", thousands: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Parsed floats (NaN where missing; inf kept) and a mask of values present but not numbers.

    Text is read with one ``decimal`` separator and, optionally, a ``thousands`` separator that
    must group digits by three (1.234.567,5); with a decimal comma, points, spaces and
    apostrophes may group thousands. A value written otherwise (51549.21 where the decimal is a
    comma) is not a number, never a number read another way.
    """
    if is_number_type(values.type):
        if values.type != pa.float64():
            values = pc.cast(values, pa.float64())
        parsed = values.to_numpy(zero_copy_only=False)
        return parsed, np.zeros(len(parsed), dtype=bool)
    text = clean_text(values)
    if decimal != "." or thousands:
        text = _plain_numbers(text, decimal, thousands)
    strings = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
    parsed = pd.to_numeric(strings, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    present = flags(pc.is_valid(clean_text(values)))
    return parsed, present & np.isnan(parsed)


def _plain_numbers(text: pa.ChunkedArray, decimal: str, thousands: str | None) -> pa.ChunkedArray:
    """Numbers rewritten with a decimal point and no grouping; a value that breaks the
    declared format becomes missing here, so it is reported as not a number."""
    groups = re.escape(thousands) if thousands else ("[. ']" if decimal == "," else None)
    grouped = rf"\d{{1,3}}(?:{groups}\d{{3}})+|" if groups else ""
    pattern = rf"^[+-]?(?:{grouped}\d*)(?:{re.escape(decimal)}\d*)?(?:[eE][+-]?\d+)?$"
    special = r"^[+-]?(?:inf|infinity|nan)$"  # still numbers (non-finite), judged later
    fits = pc.or_(
        pc.match_substring_regex(text, pattern),
        pc.match_substring_regex(text, special, ignore_case=True),
    )
    plain = pc.replace_substring_regex(text, groups, "") if groups else text
    if decimal != ".":
        plain = pc.replace_substring(plain, decimal, ".")
    return pc.if_else(fits, plain, pa.scalar(None, pa.string()))


UTC_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"


def timestamp_format(values: pa.ChunkedArray, column: str, day: dt.date | None = None) -> str:
    """The one format a text timestamp column is parsed with, inferred from the file once.

    ISO 8601 (with or without a UTC offset) when the values read so; otherwise pandas' guess
    from the first value, month-first and day-first. When both read every sampled value, the one
    that puts them on ``day`` wins; when that cannot tell either, the column is ambiguous.

    Raises:
        LandingFileError: day-first and month-first both fit and nothing tells them apart.
    """
    from pandas.tseries.api import guess_datetime_format

    sample = pc.drop_null(clean_text(values))[:1000].to_pylist()
    if not sample:
        return "ISO8601"
    iso = sum(1 for v in sample[:20] if re.match(r"^\d{4}-\d{2}-\d{2}", v))
    if iso * 2 > min(len(sample), 20):
        return "ISO8601"
    candidates = []
    # A stray bad value at the top must not decide the column: guesses come from several.
    for value in dict.fromkeys(sample[:20]):
        for dayfirst in (False, True):
            with warnings.catch_warnings():  # pandas warns when its guess contradicts dayfirst
                warnings.simplefilter("ignore", UserWarning)
                guess = guess_datetime_format(value, dayfirst=dayfirst)
            if guess and guess not in candidates:
                candidates.append(guess)
    if not candidates:
        raise LandingFileError(
            f"{column}: cannot infer a timestamp format from {sample[0]!r}; declare it in "
            f"data_source.timestamp_formats.{column} (e.g. '%d.%m.%Y %H:%M')"
        )
    strings = pd.Series(sample, dtype=object)
    scored = []
    for fmt in candidates:
        zoned = "%z" in fmt
        parsed = pd.to_datetime(strings, format=fmt, errors="coerce", utc=zoned)
        on_day = 0 if day is None else int((parsed.dt.date == day).sum())
        scored.append((int(parsed.notna().sum()), on_day, fmt, parsed))
    scored.sort(key=lambda s: s[:2], reverse=True)
    best = scored[0]
    for other in scored[1:]:
        # Day-first and month-first agree on dates like 05/05: then either reads them.
        if other[:2] == best[:2] and not other[3].equals(best[3]):
            raise LandingFileError(
                f"{column}: values like {sample[0]!r} read both as {best[2]!r} and "
                f"{other[2]!r}; declare the format in data_source.timestamp_formats.{column}"
            )
    return best[2]


def business_times(
    values: pa.ChunkedArray, timezone: str, fmt: str | None = None
) -> tuple[np.ndarray, int]:
    """Wall-clock times in the business ``timezone`` as datetime64[ns], NaT where missing or
    not in ``fmt``; and how many values carried no UTC offset in a column whose others do.

    Typed columns (parquet timestamps or dates) are converted by Arrow: a zoned one to the
    business timezone, a naive one read as business time. Text is parsed with one format for
    every row; values with an offset are converted, values without are business time.
    """
    type_ = values.type
    if pa.types.is_timestamp(type_) or pa.types.is_date(type_):
        try:
            if pa.types.is_timestamp(type_) and type_.tz is not None:
                values = pc.local_timestamp(pc.cast(values, pa.timestamp("ns", timezone)))
            return pc.cast(values, pa.timestamp("ns")).to_numpy(zero_copy_only=False), 0
        except pa.ArrowInvalid:
            pass  # outside the nanosecond range: parsed as text below, so it reads as invalid
    text = clean_text(values)
    strings = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
    fmt = fmt or "ISO8601"
    zoned = strings.str.contains(UTC_OFFSET, regex=True, na=False).to_numpy(dtype=bool)
    stamps = np.full(len(strings), np.datetime64("NaT"), dtype="datetime64[ns]")
    if zoned.any():
        parsed = pd.to_datetime(strings[zoned], format=fmt, errors="coerce", utc=True)
        stamps[zoned] = (
            parsed.dt.tz_convert(timezone).dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
        )
    naive = ~zoned & strings.notna().to_numpy(dtype=bool)
    if naive.any():
        parsed = pd.to_datetime(strings[naive], format=fmt, errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert(timezone).dt.tz_localize(None)
        stamps[naive] = parsed.to_numpy(dtype="datetime64[ns]")
    unzoned = int(naive.sum()) if zoned.any() else 0
    return stamps, unzoned


def carries_zone(values: pa.ChunkedArray) -> bool:
    if pa.types.is_timestamp(values.type):
        return values.type.tz is not None
    first = pc.drop_null(clean_text(values))[:1].to_pylist()
    return bool(first) and re.search(UTC_OFFSET, first[0]) is not None


def label_text(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Labels as stripped text; a boolean label reads as 1/0, as a flag does."""
    if pa.types.is_boolean(values.type):
        values = pc.cast(values, pa.int8())
    return clean_text(values)


def classify_labels(labels: pa.ChunkedArray, target: Target) -> tuple[np.ndarray, np.ndarray]:
    """(1.0 bad / 0.0 good / NaN otherwise, mask of labels declared nowhere).

    Labels match as text; a numeric label also matches a declared number spelled otherwise
    (1.0 for 1). Blank labels are NaN and never undeclared.
    """
    flag = np.full(len(labels), np.nan)
    declared = np.zeros(len(labels), dtype=bool)
    numbers, _ = parse_numbers(labels)
    groups = ((target.bad_values, 1.0), (target.good_values, 0.0), (target.indeterminate, np.nan))
    for values, code in groups:
        for value in values:
            match = flags(pc.equal(labels, value))
            number = _as_number(value)
            if number is not None:
                match |= numbers == number
            flag[match & ~declared] = code
            declared |= match
    present = flags(pc.is_valid(labels))
    return flag, present & ~declared


def _as_number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
