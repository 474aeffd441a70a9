"""Validation of delivered files against a model spec.

A file that cannot be used at all (unparseable, required columns missing) raises
``LandingFileError`` naming the file and the columns. Individual bad rows are separated into a
quarantine table with one reason per row, so one bad row never blocks a day's good ones.
Validation works on Arrow tables: per-column pandas overhead dominated on daily files.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.parsing import LandingFileError, headers_found, read_delivery
from ml_platform_assets.core.spec import FilesSource, ModelSpec, Target

REASON_COLUMN = "quarantine_reason"

Rows = pa.Table | pd.DataFrame


def read_table(
    data: bytes, name: str, spec: ModelSpec | None = None, file_format: str | None = None
) -> pa.Table:
    """Parse a delivered CSV or parquet file (see ``core.parsing.read_delivery``)."""
    return read_delivery(data, name, spec, file_format)


def as_table(rows: Rows) -> pa.Table:
    """Rows as an Arrow table; a DataFrame's index is not data and is dropped."""
    if isinstance(rows, pa.Table):
        return rows
    return pa.Table.from_pandas(rows, preserve_index=False)


def column_names(rows: Rows) -> set[str]:
    """The columns of an Arrow table or a DataFrame."""
    return set(rows.column_names if isinstance(rows, pa.Table) else map(str, rows.columns))


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def require_columns(rows: Rows, required: list[str], name: str) -> None:
    """Raise ``LandingFileError`` naming the file, the missing columns and the headers found."""
    present = column_names(rows)
    missing = [c for c in required if c not in present]
    if not missing:
        return
    found = headers_found(rows) if isinstance(rows, pa.Table) else None
    found = found if found is not None else sorted(present)
    message = (
        f"{name}: missing required column(s) {', '.join(missing)}; "
        f"headers found: {', '.join(repr(h) for h in found) or 'none'}"
    )
    # A header that differs only in case, spaces or punctuation is most likely the column.
    squashed = {_squash(h): h for h in found}
    hints = [f"{squashed[_squash(c)]!r}: {c}" for c in missing if _squash(c) in squashed]
    if hints:
        message += f"; map them in the spec's data_source.columns ({', '.join(hints)})"
    raise LandingFileError(message)


@dataclass
class Validation:
    """One file's validated rows, its quarantined rows (each with a reason), and notes: rows
    kept or dropped on purpose (duplicates, unknown levels kept as missing, excluded labels),
    counted per sentence."""

    valid: pa.Table
    quarantined: pa.Table
    notes: dict[str, int] = field(default_factory=dict)

    def note(self, sentence: str, count: int) -> None:
        if count:
            self.notes[sentence] = self.notes.get(sentence, 0) + int(count)


class _Reasons:
    """The first reason per row, kept as codes: assigning strings row by row is slow."""

    def __init__(self, rows: int) -> None:
        self.codes = np.zeros(rows, dtype=np.int32)
        self.labels = [""]

    def add(self, mask: pa.ChunkedArray | pa.Array | np.ndarray, reason: str) -> None:
        """Flag rows with ``reason`` unless an earlier, first-to-fix reason already holds."""
        if not isinstance(mask, np.ndarray):
            mask = _flags(mask)
        if mask.any():
            self.labels.append(reason)
            self.codes[mask & (self.codes == 0)] = len(self.labels) - 1

    @property
    def bad(self) -> np.ndarray:
        return self.codes > 0

    def quarantine(self, table: pa.Table) -> pa.Table:
        """The rejected rows as delivered (as text), each with its reason."""
        bad = self.bad
        names = [*table.column_names, REASON_COLUMN]
        if not bad.any():
            return pa.schema([(name, pa.string()) for name in names]).empty_table()
        rows = table.filter(pa.array(bad))
        reasons = np.asarray(self.labels, dtype=object)[self.codes[bad]]
        text = [_as_delivered_text(rows[c]) for c in rows.column_names]
        return pa.table([*text, pa.array(reasons, type=pa.string())], names=names)


def _as_delivered_text(values: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    try:
        return pc.cast(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # nested or odd types
        return pa.array([None if v is None else str(v) for v in values.to_pylist()], pa.string())


def _flags(mask: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A boolean Arrow mask as numpy, missing counted as False."""
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _text(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Stripped text with empty strings as missing."""
    if values.type != pa.string():
        values = pc.cast(values, pa.string())
    text = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _is_number(type_: pa.DataType) -> bool:
    """Types read as numbers without parsing; a boolean flag counts as 0/1."""
    return (
        pa.types.is_integer(type_)
        or pa.types.is_floating(type_)
        or pa.types.is_decimal(type_)
        or pa.types.is_boolean(type_)
    )


def _numeric(values: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Parsed floats (NaN where missing; inf kept) and a mask of values present but not numbers."""
    if _is_number(values.type):
        if values.type != pa.float64():
            values = pc.cast(values, pa.float64())
        parsed = values.to_numpy(zero_copy_only=False)
        return parsed, np.zeros(len(parsed), dtype=bool)
    text = _text(values)
    strings = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
    parsed = pd.to_numeric(strings, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return parsed, _flags(pc.is_valid(text)) & np.isnan(parsed)


_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"


def timestamp_format(values: pa.ChunkedArray, column: str, day: dt.date | None = None) -> str:
    """The one format a text timestamp column is parsed with, inferred from the file once.

    ISO 8601 (with or without a UTC offset) when the values read so; otherwise pandas' guess
    from the first value, month-first and day-first. When both read every sampled value, the one
    that puts them on ``day`` wins; when that cannot tell either, the column is ambiguous.

    Raises:
        LandingFileError: day-first and month-first both fit and nothing tells them apart.
    """
    from pandas.tseries.api import guess_datetime_format

    sample = pc.drop_null(_text(values))[:1000].to_pylist()
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
    text = _text(values)
    strings = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
    fmt = fmt or "ISO8601"
    zoned = strings.str.contains(_OFFSET, regex=True, na=False).to_numpy(dtype=bool)
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


def _check_ids(table: pa.Table, ids: pa.ChunkedArray, reasons: _Reasons, id_col: str) -> np.ndarray:
    """Quarantine missing ids and ids repeated with different content; returns the mask of
    byte-identical extra copies, which are dropped rather than quarantined."""
    missing = _flags(pc.is_null(ids))
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
            "redeliver the day with 'ml-platform run MODEL --redeliver DAY')",
        )
    return copies


def _not_on(stamps: np.ndarray, day: dt.date) -> np.ndarray:
    """Rows whose timestamp is present and falls on another day than ``day``."""
    return ~np.isnat(stamps) & (stamps.astype("datetime64[D]") != np.datetime64(day, "D"))


def _column(values: np.ndarray) -> pa.Array:
    # NaN and NaT become nulls: missing is stored as missing in parquet.
    return pa.array(values, from_pandas=True)


def application_schema(spec: ModelSpec) -> pa.Schema:
    """Columns and types of validated applications, the raw zone's schema."""
    categorical = [*spec.features.categorical, *spec.protected_attributes]
    return pa.schema(
        [
            (spec.entity_id_column, pa.string()),
            (spec.event_timestamp_column, pa.timestamp("ns")),
            *((col, pa.float64()) for col in spec.features.numeric),
            *((col, pa.string()) for col in categorical),
        ]
    )


def outcome_schema(spec: ModelSpec) -> pa.Schema:
    """Columns and types of validated outcomes: ``is_bad`` is 1 or 0, null when the label is
    indeterminate or blank; ``label`` is the label as delivered."""
    return pa.schema(
        [
            (spec.entity_id_column, pa.string()),
            ("outcome_date", pa.timestamp("ns")),
            ("is_bad", pa.int8()),
            ("label", pa.string()),
        ]
    )


def _declared_format(spec: ModelSpec, column: str) -> str | None:
    source = spec.data_source
    return source.timestamp_formats.get(column) if isinstance(source, FilesSource) else None


def _parse_stamps(
    table: pa.Table, column: str, spec: ModelSpec, day: dt.date, reasons: _Reasons, name: str
) -> np.ndarray:
    values = table[column]
    fmt = _declared_format(spec, column)
    if fmt is None and not (pa.types.is_timestamp(values.type) or pa.types.is_date(values.type)):
        try:
            fmt = timestamp_format(values, column, day)
        except LandingFileError as exc:
            raise LandingFileError(f"{name}: {exc}") from exc
    stamps, unzoned = business_times(values, spec.timezone, fmt)
    shown = "ISO 8601" if fmt in (None, "ISO8601") else repr(fmt)
    if unzoned:
        offset = ~np.isnat(stamps) & _flags(
            pc.invert(pc.match_substring_regex(pc.fill_null(_text(values), ""), _OFFSET))
        )
        reasons.add(
            offset & _flags(pc.is_valid(_text(values))),
            f"{column}: no UTC offset, unlike the rest of the column",
        )
    reasons.add(np.isnat(stamps), f"{column}: missing or not a timestamp in format {shown}")
    elsewhere = f"{column}: not on {day.isoformat()} in {spec.timezone}"
    if spec.timezone == "UTC" and _carries_zone(values):
        # The usual cause: a lender dating applications in local time, spec left on UTC.
        elsewhere += " (if the files are dated in local time, set the spec's timezone)"
    reasons.add(_not_on(stamps, day), elsewhere)
    return stamps


def _carries_zone(values: pa.ChunkedArray) -> bool:
    if pa.types.is_timestamp(values.type):
        return values.type.tz is not None
    first = pc.drop_null(_text(values))[:1].to_pylist()
    return bool(first) and re.search(_OFFSET, first[0]) is not None


def validate_applications(rows: Rows, spec: ModelSpec, day: dt.date, name: str) -> Validation:
    """Split one day's applications into typed valid rows and quarantined rows with reasons.

    Args:
        rows: The day's file as parsed (``read_delivery``), columns named as in the spec.
        spec: The model spec: columns, ranges, levels, timezone.
        day: The day the file was delivered for, in the business timezone.
        name: The user's name for the file, quoted in errors.

    Raises:
        LandingFileError: a required column is missing, or a timestamp format is ambiguous.
    """
    id_col, ts_col = spec.entity_id_column, spec.event_timestamp_column
    categorical = {**spec.features.categorical, **spec.protected_attributes}
    require_columns(rows, [id_col, ts_col, *spec.features.numeric, *categorical], name)

    table = as_table(rows)
    reasons = _Reasons(table.num_rows)
    notes: dict[str, int] = {}
    clean: dict[str, pa.Array | pa.ChunkedArray] = {}

    clean[id_col] = ids = _text(table[id_col])
    copies = _check_ids(table, ids, reasons, id_col)
    _count(notes, "duplicate row dropped (a byte-identical copy of another row)", copies.sum())

    clean[ts_col] = _column(_parse_stamps(table, ts_col, spec, day, reasons, name))

    for col, rule in spec.features.numeric.items():
        values, not_number = _numeric(table[col])
        reasons.add(not_number, f"{col}: not a number")
        infinite = np.isinf(values)
        if rule.non_finite == "missing":
            _count(notes, f"{col}: infinite value kept as missing", (infinite & ~copies).sum())
            values = np.where(infinite, np.nan, values)
        else:
            reasons.add(infinite, f"{col}: not a finite number")
        clean[col] = _column(values)
        # NaN compares False: a missing value is allowed, never out of range.
        if rule.min is not None:
            reasons.add(values < rule.min, f"{col}: below minimum {rule.min:g}")
        if rule.max is not None:
            reasons.add(values > rule.max, f"{col}: above maximum {rule.max:g}")

    for col, rule in categorical.items():
        clean[col] = text = _text(table[col])
        known = pc.is_in(text, value_set=pa.array(rule.values, type=pa.string()))
        unknown = _flags(pc.and_(pc.is_valid(text), pc.invert(known)))
        if getattr(rule, "unknown", "quarantine") == "missing":
            levels = pc.value_counts(text.filter(pa.array(unknown & ~copies))).to_pylist()
            for level in levels:
                _count(
                    notes,
                    f"{col}: unknown level {level['values']!r} kept (the model sees it as missing)",
                    level["counts"],
                )
        else:
            reasons.add(unknown, f"{col}: unknown value")

    valid = pa.table(clean, schema=application_schema(spec))
    return _validation(valid, table, reasons, copies, notes)


def _count(notes: dict[str, int], sentence: str, count) -> None:
    if count:
        notes[sentence] = notes.get(sentence, 0) + int(count)


def _validation(
    valid: pa.Table, delivered: pa.Table, reasons: _Reasons, copies: np.ndarray, notes: dict
) -> Validation:
    """Valid rows without the quarantined ones and the dropped copies."""
    reasons.codes[copies] = 0  # a dropped copy is neither kept nor quarantined
    bad = reasons.bad
    drop = bad | copies
    kept = valid.filter(pa.array(~drop)) if drop.any() else valid
    return Validation(kept, reasons.quarantine(delivered), notes)


def validate_outcomes(
    rows: Rows, spec: ModelSpec, day: dt.date, name: str, date_column: str
) -> Validation:
    """Split one day's outcomes into (entity id, outcome_date, bad flag, label) rows and
    quarantine.

    A label declared bad is 1, good 0; indeterminate and blank labels are kept with a null flag
    (excluded from training and evaluation) and counted; any other label is quarantined.
    """
    id_col, target = spec.entity_id_column, spec.target.column
    require_columns(rows, [id_col, date_column, target], name)
    table = as_table(rows)
    reasons = _Reasons(table.num_rows)
    notes: dict[str, int] = {}

    ids = _text(table[id_col])
    copies = _check_ids(table, ids, reasons, id_col)
    _count(notes, "duplicate row dropped (a byte-identical copy of another row)", copies.sum())
    stamps = _parse_stamps(table, date_column, spec, day, reasons, name)
    dates = stamps.astype("datetime64[D]").astype("datetime64[ns]")

    labels = label_text(table[target])
    flag, unknown = classify_labels(labels, spec.target)
    blank = _flags(pc.is_null(labels))
    undeclared = pc.value_counts(labels.filter(pa.array(unknown))).to_pylist()
    for level in undeclared:
        reasons.add(
            unknown & _flags(pc.equal(labels, level["values"])),
            f"{target}: label {level['values']!r} is neither bad "
            f"({', '.join(map(repr, spec.target.bad_values))}) nor good "
            f"({', '.join(map(repr, spec.target.good_values))})",
        )
    keep = ~copies & ~reasons.bad
    _count(notes, f"{target}: blank label excluded", (blank & keep).sum())
    indeterminate = ~blank & ~unknown & np.isnan(flag)
    for label in spec.target.indeterminate:
        mask = indeterminate & keep & _flags(pc.equal(labels, label))
        _count(notes, f"{target}: indeterminate label {label!r} excluded", mask.sum())

    clean = pa.table(
        {
            id_col: ids,
            "outcome_date": _column(dates),
            "is_bad": pa.array(flag, from_pandas=True).cast(pa.int8()),
            "label": labels,
        },
        schema=outcome_schema(spec),
    )
    return _validation(clean, table, reasons, copies, notes)


def label_text(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Labels as stripped text; a boolean label reads as 1/0, as a flag does."""
    if pa.types.is_boolean(values.type):
        values = pc.cast(values, pa.int8())
    return _text(values)


def classify_labels(labels: pa.ChunkedArray, target: Target) -> tuple[np.ndarray, np.ndarray]:
    """(1.0 bad / 0.0 good / NaN otherwise, mask of labels declared nowhere).

    Labels match as text; a numeric label also matches a declared number spelled otherwise
    (1.0 for 1). Blank labels are NaN and never undeclared.
    """
    flag = np.full(len(labels), np.nan)
    declared = np.zeros(len(labels), dtype=bool)
    numbers, _ = _numeric(labels)
    groups = ((target.bad_values, 1.0), (target.good_values, 0.0), (target.indeterminate, np.nan))
    for values, code in groups:
        for value in values:
            match = _flags(pc.equal(labels, value))
            number = _as_number(value)
            if number is not None:
                match |= numbers == number
            flag[match & ~declared] = code
            declared |= match
    present = _flags(pc.is_valid(labels))
    return flag, present & ~declared


def _as_number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def reason_counts(quarantined: pa.Table) -> dict[str, int]:
    """Quarantined rows per reason, largest first."""
    if quarantined.num_rows == 0:
        return {}
    counts = pc.value_counts(quarantined[REASON_COLUMN]).to_pylist()
    ordered = sorted(counts, key=lambda c: (-c["counts"], c["values"]))
    return {str(c["values"]): int(c["counts"]) for c in ordered}
