"""The text of a delivered CSV file: its encoding, delimiter, header line and rows.

The encoding is the byte-order mark's when the file has one (UTF-8, or Excel's "Unicode text",
UTF-16 little or big endian), else the declared one. The header line is read with the ``csv``
module, exactly as written, so a repeated header is seen as repeated (pandas would rename it).
Rows are read by pandas as text. An empty field after the last header (a trailing delimiter) is
dropped; a value there is refused. A header line repeated inside the file (exports concatenated,
perhaps with columns renamed, added or reordered) starts a part read by its own header; the
caller joins the parts by column name.
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
    if not text.strip():
        raise LandingFileError(
            f"{name}: the file is empty: not even a header line; deliver it again, or remove "
            "it to ingest its day as a day without applications"
        )
    lines = text.splitlines()[:_SNIFF_LINES]
    best, best_fields = None, 1
    for candidate in DELIMITERS:
        rows = [r for r in csv.reader(lines, delimiter=candidate, quotechar=quotechar) if r]
        if not rows:
            continue
        # A header line repeated further down starts rows of another width.
        again = next(
            (i for i, r in enumerate(rows[1:], 1) if _is_header(r, {h.strip() for h in rows[0]})),
            len(rows),
        )
        rows = rows[:again]
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


def _header(row: list[str]) -> list[str]:
    """A header line without an empty field after the last header."""
    while len(row) > 1 and not row[-1].strip():
        row = row[:-1]
    return [h if h.strip() else f"Unnamed: {i}" for i, h in enumerate(row)]


def _is_header(row: list[str], known: set[str]) -> bool:
    """A line naming columns, not holding values: at least two known header names (``known``
    casefolded; case is not compared), making up at least half its non-empty fields (one of
    the first two among them)."""
    if not any(v.strip().lstrip("\ufeff").casefold() in known for v in row[:2]):
        return False  # what nearly every data row meets first: one lookup
    values = [v.strip().lstrip("\ufeff").casefold() for v in row if v.strip()]
    hits = sum(v in known for v in values)
    return hits >= 2 and 2 * hits >= len(values)


def _parts(lines: list[str], name: str, delimiter: str, quotechar: str, known: set[str]):
    """(first line, end line, header) of each part: the file cut at every header line.

    Raises:
        LandingFileError: no header line, or a row holds a value past its part's last header.
    """
    records = csv.reader(lines, delimiter=delimiter, quotechar=quotechar)
    parts: list[list] = []
    names = {k.casefold() for k in known}
    start = 0
    for row in records:
        first, start = start, records.line_num
        if not row:
            continue
        if row[0].startswith("\ufeff"):  # files with byte-order marks, concatenated
            row = [row[0].lstrip("\ufeff"), *row[1:]]
        if not parts or _is_header(row, names):
            parts.append([first, None, _header(row)])
            names = known | {h.strip().casefold() for h in parts[0][2]}
            continue
        fields = len(parts[-1][2])
        if len(row) > fields and any(v.strip() for v in row[fields:]):
            extra = next(v for v in row[fields:] if v.strip())
            raise LandingFileError(
                f"{name}: line {records.line_num} has {len(row)} fields where the header has "
                f"{fields} (an extra field {extra!r} after the last column); the rows do not "
                "match the header"
            )
    if not parts:
        raise LandingFileError(f"{name}: the file is empty: not even a header line")
    for part, following in itertools.pairwise([*parts, [len(lines)]]):
        part[1] = following[0]
    return [tuple(p) for p in parts]


def read_csv_parts(
    text: str, name: str, delimiter: str, quotechar: str, known: set[str] = frozenset()
) -> list[tuple[int, list[str], pd.DataFrame]]:
    """The file's parts, each as the line of its header (1-based), its headers as written and
    its rows as text in their order.

    A header line repeated inside the file (exports concatenated) starts a new part read by
    its own header, in its own column order and width: a line of at least two names from
    the first header or ``known`` (the spec's source headers and columns). Columns are
    numbered (``"0"``, ``"1"``, ...) so that repeated headers survive to be judged by the
    caller.

    Raises:
        LandingFileError: the text cannot be parsed, or a row has a value past the last header.
    """
    known = {k.strip() for k in known}
    whole = _one_part(text, delimiter, quotechar, known)
    if whole is not None:
        return [whole]
    lines = io.StringIO(text).readlines()
    try:
        parts = _parts(lines, name, delimiter, quotechar, known)
    except csv.Error as exc:
        raise LandingFileError(f"{name}: cannot be parsed as CSV ({exc})") from exc
    return [
        (
            first + 1,
            headers,
            _read_rows("".join(lines[first:end]), headers, name, delimiter, quotechar),
        )
        for first, end, headers in parts
    ]


def _one_part(
    text: str, delimiter: str, quotechar: str, known: set[str]
) -> tuple[int, list[str], pd.DataFrame] | None:
    """The common file read by pandas alone: one header, no row wider than it but for an empty
    trailing field. None when the file needs reading line by line (a header line repeated, a
    value past the last header, or rows pandas cannot tokenize)."""
    records = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quotechar)
    try:
        row = next((r for r in records if r), None)
    except csv.Error:
        return None
    if row is None:
        return None
    first = records.line_num - 1
    row[0] = row[0].lstrip("\ufeff")
    headers = _header(row)
    if len(row) != len(headers):
        return None  # a trailing delimiter on the header: read line by line
    try:
        # Without names, pandas refuses a row wider than the first line (no warnings filter
        # to change: files are read on several threads); the header is its first row.
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            quotechar=quotechar,
            header=None,
            dtype=str,
            keep_default_na=False,
            engine="c",
        )
    except Exception:  # noqa: BLE001 - the line-by-line reading says what is wrong
        return None
    columns = [str(i) for i in range(len(headers))]
    frame = frame.iloc[1:].reset_index(drop=True).set_axis(columns, axis=1)
    names = {k.casefold() for k in known} | {h.strip().casefold() for h in headers}
    leading = frame[columns[: min(2, len(headers))]]
    maybe = leading.apply(
        lambda c: c.str.strip().str.lstrip("\ufeff").str.casefold().isin(names)
    ).any(axis=1)
    if any(_is_header(list(frame.iloc[i]), names) for i in maybe.to_numpy().nonzero()[0]):
        return None
    return first + 1, headers, frame


def _read_rows(
    text: str, headers: list[str], name: str, delimiter: str, quotechar: str
) -> pd.DataFrame:
    columns = [str(i) for i in range(len(headers))]
    try:
        with warnings.catch_warnings():
            # Trailing empty fields are dropped by index_col=False; values there were refused.
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            return pd.read_csv(
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
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LandingFileError(f"{name}: cannot be parsed as CSV ({first})") from exc
