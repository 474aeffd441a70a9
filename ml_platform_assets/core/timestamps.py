"""Timestamps from delivered values: wall-clock times in the business timezone.

A text column is read with one format for every row, inferred once per file when the spec
declares none; values with a UTC offset are converted, values without are business time.
Numbers (Excel serials, epochs) are read only with a declared kind (``core.numeric_timestamps``).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zoneinfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.numeric_timestamps import NUMERIC_KINDS, numeric_times, read_as_numbers
from ml_platform_assets.core.parsing import LandingFileError
from ml_platform_assets.core.values import clean_text

UTC_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"


def timestamp_format(
    values: pa.ChunkedArray, column: str, day: dt.date | None = None, timezone: str = "UTC"
) -> str:
    """The one format a text timestamp column is parsed with, inferred from the file once.

    ISO 8601 (with or without a UTC offset) when the values read so; otherwise pandas' guess
    from the first value, month-first and day-first. When both read every sampled value, the one
    that puts them on ``day`` wins; when that cannot tell either, the column is ambiguous.
    A numeric kind is never inferred: numbers are refused, naming the kind that fits.

    Raises:
        LandingFileError: the values are numbers that a numeric kind reads on ``day`` (in the
            business ``timezone``), or no format reads them; day-first and month-first both fit
            and nothing tells them apart.
    """
    from pandas.tseries.api import guess_datetime_format

    sample = pc.drop_null(clean_text(values))[:1000].to_pylist()
    if not sample:
        return "ISO8601"
    numbers = read_as_numbers(values, day, timezone)
    if numbers is not None and numbers.kind is not None and day is not None:
        raise LandingFileError(numbers.refusal(column, day))
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
        if numbers is not None:  # never a strftime format for numbers
            raise LandingFileError(numbers.refusal(column, day))
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
    values: pa.ChunkedArray,
    timezone: str,
    fmt: str | None = None,
    numbers: tuple[str, str | None] = (".", None),
) -> tuple[np.ndarray, int]:
    """Wall-clock times in the business ``timezone`` as datetime64[ns], NaT where missing or
    not in ``fmt``; and how many values carried no UTC offset in a column whose others do.
    A numeric kind as ``fmt`` reads numbers (``numeric_times``) written with ``numbers``, the
    (decimal, thousands) separators of the file.

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
    if fmt in NUMERIC_KINDS:
        return numeric_times(values, fmt, timezone, *numbers)[0], 0
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
    """Whether the column holds zoned times: a zoned timestamp type, or text whose first value
    carries a UTC offset."""
    if pa.types.is_timestamp(values.type):
        return values.type.tz is not None
    first = pc.drop_null(clean_text(values))[:1].to_pylist()
    return bool(first) and re.search(UTC_OFFSET, first[0]) is not None


# Zones proposed first when several keep the same times: the commonest business timezones.
_USUAL_ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Toronto", "America/Mexico_City", "America/Sao_Paulo", "Europe/London",
    "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Warsaw", "Africa/Johannesburg",
    "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai", "Asia/Tokyo",
    "Australia/Sydney", "Pacific/Auckland",
)  # fmt: skip


def zones_keeping(values: list[str], most: int = 3) -> list[str]:
    """IANA timezones whose UTC offset, at each of ``values`` (text with a UTC offset), is the
    one the value carries: the zones the times were written in. Usual zones first, at most
    ``most``; empty when none fits every value."""
    # One by one: each value keeps the offset it was written with.
    stamps = (pd.to_datetime(v, errors="coerce") for v in values[:200])
    stamped = [s for s in stamps if s is not pd.NaT and s.tzinfo is not None]
    if not stamped:
        return []
    # The instant and the offset each value was written with.
    moments = [(s.to_pydatetime().astimezone(dt.UTC), s.utcoffset()) for s in stamped]
    fits = []
    for name in sorted(zoneinfo.available_timezones()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/")):
            continue
        zone = zoneinfo.ZoneInfo(name)
        if all(moment.astimezone(zone).utcoffset() == offset for moment, offset in moments):
            fits.append(name)
    usual = [z for z in _USUAL_ZONES if z in fits]
    return (usual + [z for z in fits if z not in usual])[:most]
