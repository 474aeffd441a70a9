"""Typed values from delivered text: stripped text, numbers and labels.

Each function takes an Arrow column as delivered (text from a CSV, or typed from parquet) and
returns numpy values plus what could not be read, so validation can quarantine by row.
Timestamps are read in ``core.timestamps``.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.spec_features import Target

# A space grouping thousands: plain, no-break (U+00A0) or narrow no-break (U+202F, French).
SPACES = "[ \u00a0\u202f]"


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
    if thousands == " ":
        groups = SPACES
    elif thousands:
        groups = re.escape(thousands)
    else:
        groups = f"[.'{SPACES[1:-1]}]" if decimal == "," else None
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


def category_text(values: pa.ChunkedArray, levels: list[str]) -> pa.ChunkedArray:
    """Stripped text of a categorical column; a whole number written as a float (``1.0``, or
    a float parquet column) reads as the declared level it equals (``1``). Anything else not
    in ``levels``, ``1.5`` among them, is kept as delivered."""
    text = clean_text(values)
    known = pc.is_in(text, value_set=pa.array(levels, type=pa.string()))
    unknown = flags(pc.and_(pc.is_valid(text), pc.invert(known)))
    if not unknown.any():
        return text
    strings = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
    numbers = pd.to_numeric(strings.where(unknown), errors="coerce").to_numpy(dtype="float64")
    whole = np.isfinite(numbers) & (np.round(numbers) == numbers)
    codes = strings.copy()
    codes[whole] = [str(int(n)) for n in numbers[whole]]
    declared = codes.isin(levels).to_numpy()
    if not (whole & declared).any():
        return text
    return pa.chunked_array([pa.array(strings.where(~(whole & declared), codes), pa.string())])


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
