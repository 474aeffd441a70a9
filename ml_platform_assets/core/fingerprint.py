"""The fingerprint of a training set: a hash of its content, whatever form it is held in."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.training_set import SPLITS


def fingerprint(splits: Mapping[str, pa.Table]) -> str:
    """sha256 of the sets' content: column names, types and every value, split by split.

    Hashing values rather than files keeps the fingerprint independent of the parquet writer
    and of how values are held: text hashes alike in any Arrow string type or dictionary,
    timestamps at any unit, a missing float alike as null or NaN, and chunks are ignored.

    Raises:
        TypeError: a column holds something other than text, numbers, booleans or times.
    """
    tables = [splits[name] for name in SPLITS]
    kinds = [[_canonical_type(field.type) for field in table.schema] for table in tables]
    columns = [
        (column, kind)
        for table, table_kinds in zip(tables, kinds, strict=True)
        for column, kind in zip(table.columns, table_kinds, strict=True)
    ]
    # Each column is hashed on its own, on every core (hashlib releases the GIL); the set's
    # digest covers the headers and the column digests in order.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        column_digests = iter(list(pool.map(lambda job: _column_digest(*job), columns)))
    digest = hashlib.sha256()
    for name, table, table_kinds in zip(SPLITS, tables, kinds, strict=True):
        types = zip(table.column_names, table_kinds, strict=True)
        header = "|".join(f"{column}:{_kind_name(kind)}" for column, kind in types)
        digest.update(f"{name}\n{header}\n".encode())
        for _ in table_kinds:
            digest.update(next(column_digests))
    return digest.hexdigest()


def _column_digest(column: pa.ChunkedArray, kind: pa.DataType) -> bytes:
    digest = hashlib.sha256()
    for part in _value_bytes(column.cast(kind).chunks, kind):
        digest.update(part)
    return digest.digest()


def _canonical_type(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_string(kind) or pa.types.is_string_view(kind):
        return pa.large_string()
    if pa.types.is_timestamp(kind):
        return pa.timestamp("ns", kind.tz)
    return kind


def _kind_name(kind: pa.DataType) -> str:
    return "text" if pa.types.is_large_string(kind) else str(kind)


def _value_bytes(chunks: list[pa.Array], kind: pa.DataType) -> Iterator[np.ndarray]:
    """The bytes of a column's values, the same however the column is chunked."""
    if pa.types.is_floating(kind) or pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        # Missing values become NaN or NaT, as pandas reads them.
        for chunk in chunks:
            yield _raw(chunk.to_numpy(zero_copy_only=False))
        return
    text = pa.types.is_large_string(kind)
    if not (text or pa.types.is_integer(kind) or pa.types.is_boolean(kind)):
        raise TypeError(f"fingerprint cannot hash a column of type {kind}")
    for chunk in chunks:
        yield _raw(chunk.is_valid().to_numpy(zero_copy_only=False))
    blank = pa.scalar("" if text else 0).cast(kind)
    chunks = [pc.fill_null(chunk, blank) if chunk.null_count else chunk for chunk in chunks]
    if not text:
        for chunk in chunks:
            yield _raw(chunk.to_numpy(zero_copy_only=False))
        return
    offsets = [np.frombuffer(c.buffers()[1], np.int64, len(c) + 1, 8 * c.offset) for c in chunks]
    for ends in offsets:
        yield _raw(np.diff(ends))
    for chunk, ends in zip(chunks, offsets, strict=True):
        if ends[-1] > ends[0]:
            yield _raw(np.frombuffer(chunk.buffers()[2], np.uint8, ends[-1] - ends[0], ends[0]))


def _raw(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values).view(np.uint8)
