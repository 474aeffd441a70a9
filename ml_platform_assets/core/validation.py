"""Validation of delivered files against a model spec.

A file that cannot be used at all (unparseable, required columns missing) raises
``LandingFileError`` naming the file and the columns. Individual bad rows are separated into a
quarantine table with one reason per row (``core.quarantine``), so one bad row never blocks a
day's good ones. The checks of ids and timestamps are shared with outcomes (``core.row_checks``);
the validated rows' schemas are in ``core.schemas``.
Validation works on Arrow tables: per-column pandas overhead dominated on daily files.
"""

from __future__ import annotations

import datetime as dt
import re

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
from ml_platform_assets.core.quarantine import (
    RowReasons,
    Validation,
    count_note,
    validation_result,
)
from ml_platform_assets.core.row_checks import check_ids, parse_stamps
from ml_platform_assets.core.schemas import application_schema, outcome_schema
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.values import (
    category_text,
    classify_labels,
    clean_text,
    flags,
    label_text,
    parse_numbers,
)

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


def _column(values: np.ndarray) -> pa.Array:
    # NaN and NaT become nulls: missing is stored as missing in parquet.
    return pa.array(values, from_pandas=True)


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
    reasons = RowReasons(table.num_rows)
    notes: dict[str, int] = {}
    clean: dict[str, pa.Array | pa.ChunkedArray] = {}
    separators = number_format(table)

    clean[id_col] = ids = clean_text(table[id_col])
    copies = check_ids(table, ids, reasons, id_col, spec.name)
    count_note(notes, "duplicate row dropped (a byte-identical copy of another row)", copies.sum())

    clean[ts_col] = _column(parse_stamps(table, ts_col, spec, day, reasons, name))

    for col, rule in spec.features.numeric.items():
        values, not_number = parse_numbers(table[col], *separators)
        reasons.add(not_number, f"{col}: not a number")
        infinite = np.isinf(values)
        if rule.non_finite == "missing":
            count_note(notes, f"{col}: infinite value kept as missing", (infinite & ~copies).sum())
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
        clean[col] = text = category_text(table[col], rule.values)
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
                count_note(
                    notes, f"{col}: unknown level {level['values']!r} {kept}", level["counts"]
                )
        else:
            reasons.add(unknown, f"{col}: unknown value")

    valid = pa.table(clean, schema=application_schema(spec))
    return validation_result(valid, table, reasons, copies, notes)


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
    reasons = RowReasons(table.num_rows)
    notes: dict[str, int] = {}

    ids = clean_text(table[id_col])
    copies = check_ids(table, ids, reasons, id_col, spec.name)
    count_note(notes, "duplicate row dropped (a byte-identical copy of another row)", copies.sum())
    stamps = parse_stamps(table, date_column, spec, day, reasons, name)
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
    count_note(notes, f"{target}: blank label excluded", (blank & keep).sum())
    indeterminate = ~blank & ~unknown & np.isnan(flag)
    for label in spec.target.indeterminate:
        mask = indeterminate & keep & flags(pc.equal(labels, label))
        count_note(notes, f"{target}: indeterminate label {label!r} excluded", mask.sum())

    clean = pa.table(
        {
            id_col: ids,
            "outcome_date": _column(dates),
            "is_bad": pa.array(flag, from_pandas=True).cast(pa.int8()),
            "label": labels,
        },
        schema=outcome_schema(spec),
    )
    return validation_result(clean, table, reasons, copies, notes)
