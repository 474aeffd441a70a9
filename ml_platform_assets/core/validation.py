"""Validation of delivered files against a model spec.

A file that cannot be used at all (unparseable, required columns missing) raises
``LandingFileError`` naming the file and the columns. Individual bad rows are separated into a
quarantine table with one reason per row, so one bad row never blocks a day's good ones.
Validation works on Arrow tables: per-column pandas overhead dominated on daily files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.parsing import (
    LandingFileError,
    headers_found,
    number_format,
    read_delivery,
)
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.spec_source import FilesSource
from ml_platform_assets.core.values import (
    UTC_OFFSET,
    business_times,
    carries_zone,
    classify_labels,
    clean_text,
    flags,
    label_text,
    parse_numbers,
    timestamp_format,
)

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


class _Reasons:
    """The first reason per row, kept as codes: assigning strings row by row is slow."""

    def __init__(self, rows: int) -> None:
        self.codes = np.zeros(rows, dtype=np.int32)
        self.labels = [""]

    def add(self, mask: pa.ChunkedArray | pa.Array | np.ndarray, reason: str) -> None:
        """Flag rows with ``reason`` unless an earlier, first-to-fix reason already holds."""
        if not isinstance(mask, np.ndarray):
            mask = flags(mask)
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


def _check_ids(
    table: pa.Table, ids: pa.ChunkedArray, reasons: _Reasons, id_col: str, model: str
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


# Bump when parsing or validation turns the same delivered file into other rows.
INGESTION_LOGIC_VERSION = 1
# Spec sections that do not decide how a delivered file becomes validated rows.
_NOT_INGESTION = {
    "description",
    "owner",
    "monotone_constraints",
    "lightgbm",
    "windows",
    "gates",
    "drift",
    "data_quality",
    "decision",
}


def ingestion_code_version(spec: ModelSpec, kind: str) -> str:
    """Code version of a model's raw ``kind`` asset ("applications" or "outcomes"): the parsing
    and validation logic version plus every part of the spec that can change the rows a
    delivered file becomes (data source, timezone, columns, target, features and their rules).
    A section added to the spec counts unless listed as not deciding ingestion."""
    declared = spec.model_dump(mode="json", exclude=_NOT_INGESTION)
    digest = hashlib.sha256(json.dumps(declared, sort_keys=True).encode()).hexdigest()[:12]
    return f"raw_{kind}-v{INGESTION_LOGIC_VERSION}-{digest}"


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
    separators = number_format(table)

    clean[id_col] = ids = clean_text(table[id_col])
    copies = _check_ids(table, ids, reasons, id_col, spec.name)
    _count(notes, "duplicate row dropped (a byte-identical copy of another row)", copies.sum())

    clean[ts_col] = _column(_parse_stamps(table, ts_col, spec, day, reasons, name))

    for col, rule in spec.features.numeric.items():
        values, not_number = parse_numbers(table[col], *separators)
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
        clean[col] = text = clean_text(table[col])
        known = pc.is_in(text, value_set=pa.array(rule.values, type=pa.string()))
        unknown = flags(pc.and_(pc.is_valid(text), pc.invert(known)))
        if getattr(rule, "unknown", "quarantine") == "missing":
            levels = pc.value_counts(text.filter(pa.array(unknown & ~copies))).to_pylist()
            # A protected attribute is no model input: its level is kept as a group of its own.
            kept = (
                "kept (a group of its own in fairness measures)"
                if col in spec.protected_attributes
                else "kept (the model sees it as missing)"
            )
            for level in levels:
                _count(notes, f"{col}: unknown level {level['values']!r} {kept}", level["counts"])
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

    ids = clean_text(table[id_col])
    copies = _check_ids(table, ids, reasons, id_col, spec.name)
    _count(notes, "duplicate row dropped (a byte-identical copy of another row)", copies.sum())
    stamps = _parse_stamps(table, date_column, spec, day, reasons, name)
    dates = stamps.astype("datetime64[D]").astype("datetime64[ns]")

    labels = label_text(table[target])
    flag, unknown = classify_labels(labels, spec.target)
    blank = flags(pc.is_null(labels))
    undeclared = pc.value_counts(labels.filter(pa.array(unknown))).to_pylist()
    for level in undeclared:
        reasons.add(
            unknown & flags(pc.equal(labels, level["values"])),
            f"{target}: label {level['values']!r} is neither bad "
            f"({', '.join(map(repr, spec.target.bad_values))}) nor good "
            f"({', '.join(map(repr, spec.target.good_values))})",
        )
    keep = ~copies & ~reasons.bad
    _count(notes, f"{target}: blank label excluded", (blank & keep).sum())
    indeterminate = ~blank & ~unknown & np.isnan(flag)
    for label in spec.target.indeterminate:
        mask = indeterminate & keep & flags(pc.equal(labels, label))
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


def reason_counts(quarantined: pa.Table) -> dict[str, int]:
    """Quarantined rows per reason, largest first."""
    if quarantined.num_rows == 0:
        return {}
    counts = pc.value_counts(quarantined[REASON_COLUMN]).to_pylist()
    ordered = sorted(counts, key=lambda c: (-c["counts"], c["values"]))
    return {str(c["values"]): int(c["counts"]) for c in ordered}
