"""Reading delivered files the way lenders' systems export them.

A CSV's dialect (delimiter, decimal and thousands separators, quoting, encoding, a byte-order
mark) is taken from the spec where declared and otherwise sniffed once per file, never per row.
Headers are stripped of surrounding whitespace and mapped to the spec's column names through
``data_source.columns``. Values stay text here, as delivered: validation types them with the
separators decided here and quarantines what does not parse, so one malformed value never turns
a whole column into something else.

The file's headers as found and the dialect used travel in the table's schema metadata, so an
error about a missing column can show what the file actually held.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ml_platform_assets.core.csv_files import (
    DELIMITERS,
    decode,
    read_csv_parts,
    sniff_delimiter,
)
from ml_platform_assets.core.errors import LandingFileError
from ml_platform_assets.core.missing_values import blank_missing_tokens
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.spec_source import CsvDialect, FilesSource

__all__ = ["DELIMITERS", "LandingFileError", "read_delivery", "sniff_delimiter"]

HEADERS_KEY = b"ml_platform.headers"
DIALECT_KEY = b"ml_platform.dialect"
NUMBERS_KEY = b"ml_platform.numbers"
_SNIFF_VALUES = 2_000
# A number written with a decimal comma (optionally with '.', apostrophe or space thousands
# groups, no-break spaces included), or with a decimal point (optionally with ',' groups): the
# two spellings a numeric column can betray.
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d{1,3}([. '\u00a0\u202f]\d{3})+|\d*),\d+([eE][+-]?\d+)?$")
_DECIMAL_POINT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d*)\.\d+([eE][+-]?\d+)?$")
# Comma groups of three followed by a decimal point (12,500.00), or more than one comma group
# (1,250,000): a comma that can only group thousands.
_COMMA_GROUPS = re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3})+\.\d+$|^[+-]?[1-9]\d{0,2}(,\d{3}){2,}$")
# A whole number grouped with points and nothing after a comma: 51.549 or 1.250.000.
_DOT_GROUPS = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$")


@dataclass(frozen=True)
class Dialect:
    """The CSV dialect a file was read with."""

    delimiter: str
    decimal: str
    thousands: str | None
    quotechar: str
    encoding: str

    def describe(self) -> str:
        """The separators in words, e.g. 'delimiter semicolon, decimal comma'."""
        names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", ".": "point"}
        parts = [
            f"delimiter {names.get(self.delimiter, repr(self.delimiter))}",
            f"decimal {names.get(self.decimal, repr(self.decimal))}",
        ]
        if self.thousands:
            parts.append(f"thousands {self.thousands!r}")
        return ", ".join(parts)


def _source(spec: ModelSpec) -> FilesSource | None:
    return spec.data_source if isinstance(spec.data_source, FilesSource) else None


def read_delivery(
    data: bytes, name: str, spec: ModelSpec | None = None, file_format: str | None = None
) -> pa.Table:
    """A delivered CSV or parquet file as an Arrow table with the spec's column names.

    Args:
        data: The file's bytes, as delivered.
        name: The user's name for the file (its source path), quoted in every error.
        spec: Declares the column mapping and CSV dialect; None reads the file as it is.
        file_format: ``csv`` or ``parquet``; by default the extension of ``name``.

    Raises:
        LandingFileError: the file cannot be decoded or parsed, or two headers collide.
    """
    source = _source(spec) if spec is not None else None
    file_format = file_format or name.rsplit(".", 1)[-1]
    if file_format == "parquet":
        try:
            table = pq.ParquetFile(pa.BufferReader(data)).read()
        except Exception as exc:  # noqa: BLE001 - every parser failure means the same to the user
            raise LandingFileError(f"{name}: cannot be parsed as parquet ({exc})") from exc
        table = _rename(table, name, source, None)
        return blank_missing_tokens(table, spec) if spec is not None else table
    if file_format == "csv":
        dialect_spec = source.csv if source else CsvDialect()
        text, encoding = decode(data, name, dialect_spec.encoding)
        delimiter = dialect_spec.delimiter or sniff_delimiter(text, dialect_spec.quotechar, name)
        known = _known_headers(spec)
        parts = read_csv_parts(text, name, delimiter, dialect_spec.quotechar, known)
        dialect = Dialect(delimiter, ".", None, dialect_spec.quotechar, encoding)
        tables = [
            _rename(
                pa.Table.from_pandas(rows, preserve_index=False).rename_columns(headers),
                name,
                source,
                dialect,
            )
            for _, headers, rows in parts
        ]
        _same_columns(tables, [line for line, _, _ in parts], name, known)
        # Parts join by column name; a column only some parts add is missing in the others.
        table = pa.concat_tables(tables, promote_options="permissive")
        if spec is not None:
            table = blank_missing_tokens(table, spec)
            table, dialect = _normalize_numbers(table, spec, dialect_spec, dialect, name)
        return _with_metadata(table, {DIALECT_KEY: dialect.describe()})
    raise LandingFileError(f"{name}: unsupported file type (expected .csv or .parquet)")


def _same_columns(tables: list[pa.Table], lines: list[int], name: str, used: set[str]) -> None:
    """Refuse a part (after a header line repeated inside the file) without a column of the
    spec's that the first header has: its rows would silently miss it.

    Raises:
        LandingFileError: naming the header's line, the columns missing and its headers.
    """
    first = set(tables[0].column_names) & used
    for table, line in zip(tables[1:], lines[1:], strict=True):
        missing = sorted(first - set(table.column_names))
        if missing:
            found = ", ".join(map(repr, headers_found(table) or table.column_names))
            raise LandingFileError(
                f"{name}: the header line repeated at line {line} has no column "
                f"{', '.join(missing)} that the first header has (headers there: {found}); "
                "map its name in data_source.columns, or deliver the parts as one export"
            )


def _known_headers(spec: ModelSpec | None) -> set[str]:
    """Names a header line may hold: the spec's source headers and columns."""
    if spec is None:
        return set()
    source = _source(spec)
    columns = {
        spec.entity_id_column,
        spec.event_timestamp_column,
        spec.target.column,
        *spec.features.numeric,
        *spec.features.categorical,
        *spec.protected_attributes,
    }
    if source is not None:
        columns |= {*source.columns, *source.columns.values(), source.outcome_date_column}
    return columns


def _rename(
    table: pa.Table, name: str, source: FilesSource | None, dialect: Dialect | None
) -> pa.Table:
    """Headers stripped and mapped to the spec's names; the originals kept in metadata."""
    found = [str(c) for c in table.column_names]
    mapping = {k.strip(): v for k, v in (source.columns if source else {}).items()}
    names = [mapping.get(h.strip(), h.strip()) for h in found]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        clashes = "; ".join(
            f"{n!r} ({', '.join(repr(h) for h, m in zip(found, names, strict=True) if m == n)})"
            for n in repeated
        )
        raise LandingFileError(
            f"{name}: more than one header reads as {clashes} once stripped and mapped "
            f"(headers found: {', '.join(map(repr, found))})"
        )
    by_case: dict[str, list[str]] = {}
    for header, mapped in zip(found, names, strict=True):
        by_case.setdefault(mapped.casefold(), []).append(header)
    alike = [headers for headers in by_case.values() if len(headers) > 1]
    if alike:
        raise LandingFileError(
            f"{name}: headers {' and '.join(map(repr, alike[0]))} differ only by case, so "
            "which one a column means is unclear; remove one from the file and deliver it again"
        )
    # Renaming drops the schema's metadata; a landed day keeps its file's number format in it.
    kept = table.schema.metadata
    table = table.rename_columns(names).replace_schema_metadata(kept)
    return _with_metadata(table, {HEADERS_KEY: json.dumps(found)})


def _with_metadata(table: pa.Table, extra: dict[bytes, str]) -> pa.Table:
    metadata = dict(table.schema.metadata or {})
    metadata.update({k: v.encode() for k, v in extra.items()})
    return table.replace_schema_metadata(metadata)


def headers_found(table: pa.Table) -> list[str] | None:
    """The file's headers exactly as delivered, when the table came from ``read_delivery``."""
    raw = (table.schema.metadata or {}).get(HEADERS_KEY)
    return json.loads(raw) if raw else None


def dialect_used(table: pa.Table) -> str | None:
    """The CSV dialect a table was read with, described; None when it came from parquet."""
    raw = (table.schema.metadata or {}).get(DIALECT_KEY)
    return raw.decode() if raw else None


def _numeric_text(table: pa.Table, spec: ModelSpec) -> list[str]:
    return [c for c in spec.features.numeric if c in table.column_names]


def sniff_decimal(values: list[str]) -> str:
    """',' when numbers are written with a decimal comma and none with a decimal point."""
    comma = sum(1 for v in values if _DECIMAL_COMMA.match(v))
    point = sum(1 for v in values if _DECIMAL_POINT.match(v))
    return "," if comma and not point else "."


def sniff_thousands(values: list[str]) -> str | None:
    """',' when some number can only be grouped with commas (12,500.00 or 1,250,000); a lone
    1,250 could be a decimal comma and decides nothing."""
    return "," if any(_COMMA_GROUPS.match(v) for v in values) else None


def number_format(table: pa.Table) -> tuple[str, str | None]:
    """(decimal, thousands) separators the table's numbers are written with."""
    raw = (table.schema.metadata or {}).get(NUMBERS_KEY)
    if not raw:
        return ".", None
    found = json.loads(raw)
    return found["decimal"], found["thousands"]


def _grouped_only(values: list[str]) -> bool:
    """Every dotted value reads as '.'-grouped thousands (51.549, 1.250.000), none otherwise."""
    dotted = [v for v in values if "." in v]
    return bool(dotted) and all(_DOT_GROUPS.match(v) for v in dotted)


def _normalize_numbers(
    table: pa.Table, spec: ModelSpec, declared: CsvDialect, dialect: Dialect, name: str
) -> tuple[pa.Table, Dialect]:
    """Decide the numbers' decimal and thousands separators (declared, else sniffed once per
    file) and record them in the table's metadata; validation reads each value with them.

    Raises:
        LandingFileError: a numeric column's values read both as decimals and as thousands.
    """
    columns = _numeric_text(table, spec)
    samples = {}
    for col in columns:
        values = pc.drop_null(pc.utf8_trim_whitespace(table[col]))
        samples[col] = [v for v in values[:_SNIFF_VALUES].to_pylist() if v]
    decimal, thousands = declared.decimal, declared.thousands
    if decimal is None:
        values = [v for values in samples.values() for v in values]
        decimal = sniff_decimal(values)
        if decimal == "." and thousands is None:
            thousands = sniff_thousands(values)
        if decimal == "." and thousands is None:
            for col, values in samples.items():
                if _grouped_only(values):
                    example = next(v for v in values if "." in v)
                    raise LandingFileError(
                        f"{name}: {col} values like {example!r} read either as decimals or as "
                        "thousands grouped with '.'; declare data_source.csv.decimal and "
                        "thousands (e.g. decimal: ',', thousands: '.')"
                    )
    dialect = Dialect(dialect.delimiter, decimal, thousands, dialect.quotechar, dialect.encoding)
    numbers = json.dumps({"decimal": decimal, "thousands": thousands})
    return _with_metadata(table, {NUMBERS_KEY: numbers}), dialect
