"""The text of a delivered CSV file: its encoding, delimiter, header line and rows.

The encoding is the byte-order mark's when the file has one (UTF-8, or Excel's "Unicode text",
UTF-16 little or big endian), else the declared one. The header line is read with the ``csv``
module, exactly as written, so a repeated header is seen as repeated (pandas would rename it).
Rows are read by pandas as text. An empty field after the last header (a trailing delimiter) is
dropped; a value there is refused. A header line repeated inside the file (exports concatenated)
starts a part read by its own header; the parts are joined by column name.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import warnings

import pandas as pd

from ml_platform_assets.core.errors import LandingFileError

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 50
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(data: bytes, name: str, encoding: str) -> tuple[str, str]:
    """The file's text and the encoding it was read with: a byte-order mark's, else ``encoding``.

    Raises:
        LandingFileError: the bytes are not text in that encoding, or the encoding is unknown.
    """
    for bom, found in _BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom) :], found
            break
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise LandingFileError(
            f"{name}: not {encoding} text (byte {exc.start}); declare the file's encoding in "
            "data_source.csv.encoding (e.g. cp1252)"
        ) from exc
    except LookupError as exc:
        raise LandingFileError(f"{name}: unknown encoding {encoding!r}") from exc
    return text.removeprefix("\ufeff"), encoding


def _fits(row: list[str], fields: int) -> bool:
    """A row of the header's length, or one longer (a trailing delimiter, or a stray value
    that reading then refuses by its line)."""
    return len(row) in (fields, fields + 1)


def sniff_delimiter(text: str, quotechar: str = '"', name: str = "file") -> str:
    """The delimiter that splits the first lines into the most, equally many, fields; a row may
    end with one more field (a trailing delimiter).

    Raises:
        LandingFileError: no candidate gives the header more than one field.
    """
    lines = text.splitlines()[:_SNIFF_LINES]
    best, best_fields = None, 1
    for candidate in DELIMITERS:
        rows = [r for r in csv.reader(lines, delimiter=candidate, quotechar=quotechar) if r]
        if not rows:
            continue
        fields = len(rows[0]) - (len(rows[0]) > 1 and not rows[0][-1].strip())
        if fields > best_fields and all(_fits(r, fields) for r in rows):
            best, best_fields = candidate, fields
    if best is None:
        if lines and len(lines) <= 1 and lines[0].strip():
            return ","  # a header-only file with one column: nothing to tell apart
        raise LandingFileError(
            f"{name}: cannot tell the delimiter (tried {', '.join(map(repr, DELIMITERS))}: none "
            "splits every line into the same number of fields); declare it in "
            "data_source.csv.delimiter"
        )
    return best


def _header(records, name: str) -> list[str]:
    """The first non-blank record, without an empty field after the last header."""
    header = next((r for r in records if r), None)
    if header is None:
        raise LandingFileError(f"{name}: cannot be parsed as CSV (no header line)")
    while len(header) > 1 and not header[-1].strip():
        header = header[:-1]
    return [h if h.strip() else f"Unnamed: {i}" for i, h in enumerate(header)]


def _refuse_extra_fields(records, fields: int, name: str) -> None:
    """Raise naming the first row holding a value beyond the header's last column."""
    for row in records:
        if len(row) > fields and any(v.strip() for v in row[fields:]):
            extra = next(v for v in row[fields:] if v.strip())
            raise LandingFileError(
                f"{name}: line {records.line_num} has {len(row)} fields where the header has "
                f"{fields} (an extra field {extra!r} after the last column); the rows do not "
                "match the header"
            )


def read_csv_text(
    text: str, name: str, delimiter: str, quotechar: str
) -> tuple[list[str], pd.DataFrame]:
    """The file's headers as written and its rows as text, columns in the headers' order.

    Columns are numbered (``"0"``, ``"1"``, ...) so that repeated headers survive to be judged
    by the caller. A row equal to the header line (in any order) is not data: the rows after it
    are read by it.

    Raises:
        LandingFileError: the text cannot be parsed, or a row has a value past the last header.
    """
    records = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quotechar)
    try:
        headers = _header(records, name)
        _refuse_extra_fields(records, len(headers), name)
    except csv.Error as exc:
        raise LandingFileError(f"{name}: cannot be parsed as CSV ({exc})") from exc
    columns = [str(i) for i in range(len(headers))]
    try:
        with warnings.catch_warnings():
            # Trailing empty fields are dropped by index_col=False; values there were refused.
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                quotechar=quotechar,
                header=0,
                names=columns,
                index_col=False,
                dtype=str,
                keep_default_na=False,
                engine="c",
            )
    except Exception as exc:  # noqa: BLE001 - every parser failure means the same to the user
        raise LandingFileError(f"{name}: cannot be parsed as CSV ({exc})") from exc
    return headers, _join_parts(frame, headers)


def _join_parts(frame: pd.DataFrame, headers: list[str]) -> pd.DataFrame:
    """Rows split at each repeated header line, each part's columns put by its own header."""
    wanted = sorted(h.strip() for h in headers)
    # Only rows whose first value is a header name are looked at whole: a clean file pays one
    # column's comparison.
    candidates = frame["0"].str.strip().isin(set(wanted)).to_numpy().nonzero()[0]
    rows = {i: [str(v).strip() for v in frame.iloc[i]] for i in candidates}
    repeats = [i for i, row in rows.items() if sorted(row) == wanted]
    if not repeats:
        return frame
    position = {h.strip(): str(i) for i, h in enumerate(headers)}
    parts = [frame.iloc[: repeats[0]]]
    for start, end in itertools.pairwise([*repeats, len(frame)]):
        order = [position[v] for v in rows[start]]
        parts.append(frame.iloc[start + 1 : end].set_axis(order, axis=1))
    return pd.concat(parts, ignore_index=True)[list(frame.columns)]
