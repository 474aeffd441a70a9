"""Checks every delivered file's rows get, applications and outcomes alike: their ids and
their timestamps, each failure a reason in the quarantine."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.numeric_timestamps import KINDS, numeric_times, read_as_numbers
from ml_platform_assets.core.parsing import LandingFileError, number_format
from ml_platform_assets.core.quarantine import RowReasons
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.spec_source import FilesSource
from ml_platform_assets.core.timestamps import (
    UTC_OFFSET,
    business_times,
    carries_zone,
    timestamp_format,
)
from ml_platform_assets.core.values import clean_text, flags


def check_ids(
    table: pa.Table, ids: pa.ChunkedArray, reasons: RowReasons, id_col: str, model: str
) -> np.ndarray:
    """Quarantine missing ids and ids repeated with different content; returns the mask of
    byte-identical extra copies, which are dropped rather than quarantined."""
    missing = flags(pc.is_null(ids))
    reasons.add(missing, f"{id_col}: missing")
    encoded = pc.dictionary_encode(ids).combine_chunks()
    # Missing ids get a code of their own, past the distinct values, and never count as dups.
    codes = pc.fill_null(encoded.indices, len(encoded.dictionary))
    codes = codes.to_numpy(zero_copy_only=False)
    counts = np.bincount(codes, minlength=len(encoded.dictionary) + 1)
    repeated = (counts[codes] > 1) & ~missing
    copies = np.zeros(len(codes), dtype=bool)
    if repeated.any():
        # Only the rows sharing an id are compared whole: the common clean file pays nothing.
        positions = np.flatnonzero(repeated)
        rows = table.take(positions).to_pandas().astype(str)
        id_text = ids.to_numpy(zero_copy_only=False)
        rows[id_col] = id_text[positions]  # compared as stripped, as they are stored
        copies[positions[rows.duplicated(keep="first").to_numpy()]] = True
        groups = rows.drop_duplicates().groupby(id_col, sort=False).size()
        conflicting = set(groups[groups > 1].index)
        conflict = repeated & np.isin(id_text, list(conflicting))
        reasons.add(
            conflict & ~copies,
            f"{id_col}: duplicate id with different content (fix the source file and "
            f"redeliver the day with 'ml-platform run {model} --redeliver DAY --reason TEXT')",
        )
    return copies


def _not_on(stamps: np.ndarray, day: dt.date) -> np.ndarray:
    """Rows whose timestamp is present and falls on another day than ``day``."""
    return ~np.isnat(stamps) & (stamps.astype("datetime64[D]") != np.datetime64(day, "D"))


def _declared_format(spec: ModelSpec, column: str) -> str | None:
    source = spec.data_source
    return source.timestamp_formats.get(column) if isinstance(source, FilesSource) else None


def parse_stamps(
    table: pa.Table, column: str, spec: ModelSpec, day: dt.date, reasons: RowReasons, name: str
) -> np.ndarray:
    """The column's times in the business timezone as datetime64[ns], NaT where unreadable.

    Quarantines rows whose time is missing, not in the column's format (or, for a declared
    numeric kind, not a number or implausible for the kind), without the UTC offset the rest of
    the column carries, or on another day than ``day``.

    Raises:
        LandingFileError: the column's format cannot be inferred or is ambiguous, or it holds
            numbers and declares no kind; the message names the file (``name``).
    """
    values = table[column]
    fmt = _declared_format(spec, column)
    temporal = pa.types.is_timestamp(values.type) or pa.types.is_date(values.type)
    if fmt is None and not temporal:
        try:
            fmt = timestamp_format(values, column, day, spec.timezone)
        except LandingFileError as exc:
            raise LandingFileError(f"{name}: {exc}") from exc
    if fmt in KINDS and not temporal:
        return _numeric_stamps(table, column, fmt, spec, day, reasons)
    stamps, unzoned = business_times(values, spec.timezone, fmt)
    shown = "ISO 8601" if fmt in (None, "ISO8601") else repr(fmt)
    if unzoned:
        offset = ~np.isnat(stamps) & flags(
            pc.invert(pc.match_substring_regex(pc.fill_null(clean_text(values), ""), UTC_OFFSET))
        )
        reasons.add(
            offset & flags(pc.is_valid(clean_text(values))),
            f"{column}: no UTC offset, unlike the rest of the column",
        )
    reasons.add(np.isnat(stamps), f"{column}: missing or not a timestamp in format {shown}")
    # No date in the reason: one sentence counts the rows of every day together.
    elsewhere = f"{column}: not on the file's day in {spec.timezone}"
    if carries_zone(values):
        # The usual cause: files cut at midnight in another timezone than the spec's.
        elsewhere += " (the spec's timezone decides an application's day; is it the file's?)"
    reasons.add(_not_on(stamps, day), elsewhere)
    return stamps


def _numeric_stamps(
    table: pa.Table, column: str, kind: str, spec: ModelSpec, day: dt.date, reasons: RowReasons
) -> np.ndarray:
    """``parse_stamps`` for a column declared as numbers of ``kind``, read with the file's
    decimal and thousands separators."""
    stamps, unreadable, outside = numeric_times(
        table[column], kind, spec.timezone, *number_format(table)
    )
    reasons.add(unreadable, f"{column}: missing or not a number (declared {kind})")
    implausible = f"{column}: not a plausible {kind} value (outside {KINDS[kind].plausible()})"
    if outside.any():
        # A kind declared wrongly (seconds for milliseconds): say which one reads them.
        found = read_as_numbers(table[column].filter(pa.array(outside)), day, spec.timezone)
        if found is not None and found.kind not in (None, kind):
            # No date here: one sentence counts the rows of every day together.
            implausible += f"; they read as {found.kind} on the file's day: is that the kind?"
    reasons.add(outside, implausible)
    elsewhere = f"{column}: not on the file's day in {spec.timezone}"
    if KINDS[kind].zoned:
        elsewhere += " (the spec's timezone decides an application's day; is it the file's?)"
    reasons.add(_not_on(stamps, day), elsewhere)
    return stamps
