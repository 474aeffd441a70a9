"""Validation of delivered files against a model spec.

A file that cannot be used at all (unparseable, required columns missing) raises
``LandingFileError`` naming the file and the columns. Individual bad rows are separated into a
quarantine table with one reason per row, so one bad row never blocks a day's good ones.
Validation works on Arrow tables: per-column pandas overhead dominated on daily files.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ml_platform_assets.core.spec import ModelSpec

REASON_COLUMN = "quarantine_reason"

Rows = pa.Table | pd.DataFrame


class LandingFileError(ValueError):
    """A delivered file that cannot be ingested at all."""


def read_table(data: bytes, name: str) -> pa.Table:
    """Parse a CSV or parquet file delivered as bytes; ``name`` decides the format.

    CSV columns are read as text so that a malformed value is quarantined by row rather than
    turning the whole column into strings or floats silently.
    """
    try:
        if name.endswith(".parquet"):
            return pq.ParquetFile(pa.BufferReader(data)).read()
        if name.endswith(".csv"):
            frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
            return pa.Table.from_pandas(frame, preserve_index=False)
    except Exception as exc:  # noqa: BLE001 - every parser failure means the same to the user
        raise LandingFileError(f"{name}: cannot be parsed ({type(exc).__name__}: {exc})") from exc
    raise LandingFileError(f"{name}: unsupported file type (expected .csv or .parquet)")


def as_table(rows: Rows) -> pa.Table:
    """Rows as an Arrow table; a DataFrame's index is not data and is dropped."""
    if isinstance(rows, pa.Table):
        return rows
    return pa.Table.from_pandas(rows, preserve_index=False)


def column_names(rows: Rows) -> set[str]:
    """The columns of an Arrow table or a DataFrame."""
    return set(rows.column_names if isinstance(rows, pa.Table) else map(str, rows.columns))


def require_columns(rows: Rows, required: list[str], name: str) -> None:
    present = column_names(rows)
    missing = [c for c in required if c not in present]
    if missing:
        raise LandingFileError(f"{name}: missing required column(s) {', '.join(missing)}")


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
    """Parsed floats (NaN where missing) and a mask of values present but not numbers."""
    if _is_number(values.type):
        if values.type != pa.float64():
            values = pc.cast(values, pa.float64())
        parsed = values.to_numpy(zero_copy_only=False)
        return parsed, np.zeros(len(parsed), dtype=bool)
    text = _text(values)
    strings = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
    parsed = pd.to_numeric(strings, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return parsed, _flags(pc.is_valid(text)) & np.isnan(parsed)


def _timestamps(values: pa.ChunkedArray) -> np.ndarray:
    """Naive UTC timestamps as datetime64[ns], NaT where missing or unparseable.

    Typed columns (parquet timestamps or dates) are converted by Arrow; text is parsed.
    """
    type_ = values.type
    if pa.types.is_timestamp(type_) or pa.types.is_date(type_):
        try:
            # Arrow keeps zoned timestamps as UTC instants: dropping the zone leaves UTC.
            return pc.cast(values, pa.timestamp("ns")).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:
            pass  # outside the nanosecond range: parsed as text below, so it reads as invalid
    strings = pd.Series(_text(values).to_numpy(zero_copy_only=False), dtype=object)
    stamps = pd.to_datetime(strings, errors="coerce", utc=True, format="mixed")
    return stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def _check_ids(ids: pa.ChunkedArray, reasons: _Reasons, id_col: str) -> None:
    missing = _flags(pc.is_null(ids))
    reasons.add(missing, f"{id_col}: missing")
    encoded = pc.dictionary_encode(ids).combine_chunks()
    # Missing ids get a code of their own, past the distinct values, and never count as dups.
    codes = pc.fill_null(encoded.indices, len(encoded.dictionary))
    codes = codes.to_numpy(zero_copy_only=False)
    counts = np.bincount(codes, minlength=len(encoded.dictionary) + 1)
    reasons.add((counts[codes] > 1) & ~missing, f"{id_col}: duplicate id")


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
    """Columns and types of validated outcomes."""
    return pa.schema(
        [
            (spec.entity_id_column, pa.string()),
            ("outcome_date", pa.timestamp("ns")),
            ("is_bad", pa.int8()),
        ]
    )


def validate_applications(
    rows: Rows, spec: ModelSpec, day: dt.date, name: str
) -> tuple[pa.Table, pa.Table]:
    """Split one day's applications into typed valid rows and quarantined rows with reasons."""
    id_col, ts_col = spec.entity_id_column, spec.event_timestamp_column
    categorical = {**spec.features.categorical, **spec.protected_attributes}
    require_columns(rows, [id_col, ts_col, *spec.features.numeric, *categorical], name)

    table = as_table(rows)
    reasons = _Reasons(table.num_rows)
    clean: dict[str, pa.Array | pa.ChunkedArray] = {}

    clean[id_col] = ids = _text(table[id_col])
    _check_ids(ids, reasons, id_col)

    stamps = _timestamps(table[ts_col])
    clean[ts_col] = _column(stamps)
    reasons.add(np.isnat(stamps), f"{ts_col}: missing or not a timestamp")
    reasons.add(_not_on(stamps, day), f"{ts_col}: not on {day.isoformat()}")

    for col, rule in spec.features.numeric.items():
        values, not_number = _numeric(table[col])
        clean[col] = _column(values)
        reasons.add(not_number, f"{col}: not a number")
        # NaN compares False: a missing value is allowed, never out of range.
        if rule.min is not None:
            reasons.add(values < rule.min, f"{col}: below minimum {rule.min:g}")
        if rule.max is not None:
            reasons.add(values > rule.max, f"{col}: above maximum {rule.max:g}")

    for col, rule in categorical.items():
        clean[col] = text = _text(table[col])
        known = pc.is_in(text, value_set=pa.array(rule.values, type=pa.string()))
        reasons.add(pc.and_(pc.is_valid(text), pc.invert(known)), f"{col}: unknown value")

    valid = pa.table(clean, schema=application_schema(spec))
    return _keep_good(valid, reasons), reasons.quarantine(table)


def _keep_good(valid: pa.Table, reasons: _Reasons) -> pa.Table:
    bad = reasons.bad
    return valid.filter(pa.array(~bad)) if bad.any() else valid


def validate_outcomes(
    rows: Rows, spec: ModelSpec, day: dt.date, name: str, date_column: str
) -> tuple[pa.Table, pa.Table]:
    """Split one day's outcomes into (entity id, outcome_date, bad flag) rows and quarantine."""
    id_col, target = spec.entity_id_column, spec.target.column
    require_columns(rows, [id_col, date_column, target], name)
    table = as_table(rows)
    reasons = _Reasons(table.num_rows)

    ids = _text(table[id_col])
    _check_ids(ids, reasons, id_col)
    dates = _timestamps(table[date_column]).astype("datetime64[D]").astype("datetime64[ns]")
    reasons.add(np.isnat(dates), f"{date_column}: missing or not a date")
    reasons.add(_not_on(dates, day), f"{date_column}: not {day}")
    labels = table[target]
    reasons.add(_flags(pc.is_null(_text(labels))), f"{target}: missing")

    clean = pa.table(
        {
            id_col: ids,
            "outcome_date": _column(dates),
            "is_bad": pa.array(_is_bad(labels, spec.target.bad_value)),
        },
        schema=outcome_schema(spec),
    )
    return _keep_good(clean, reasons), reasons.quarantine(table)


def _is_bad(labels: pa.ChunkedArray, bad_value: int | str) -> np.ndarray:
    """1 where the label means bad; numeric labels compare as numbers so 1.0 equals 1."""
    bad = _flags(pc.equal(_text(labels), str(bad_value)))
    if not isinstance(bad_value, str):
        numbers, _ = _numeric(labels)
        bad |= numbers == bad_value
    return bad.astype("int8")


def reason_counts(quarantined: pa.Table) -> dict[str, int]:
    """Quarantined rows per reason, largest first."""
    if quarantined.num_rows == 0:
        return {}
    counts = pc.value_counts(quarantined[REASON_COLUMN]).to_pylist()
    ordered = sorted(counts, key=lambda c: (-c["counts"], c["values"]))
    return {str(c["values"]): int(c["counts"]) for c in ordered}
