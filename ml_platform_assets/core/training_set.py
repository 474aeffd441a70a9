"""Point-in-time-correct training sets with an out-of-time holdout by date.

As of a cutoff day, only outcomes known by the end of that day are used, and only applications
old enough for their outcome to have matured. The last matured days form the out-of-time (OOT)
window; the days before them the training window, whose last days validate early stopping.

The sets stay Arrow tables from the daily parquet files to the stored splits: at a million rows,
converting to pandas and back costs more than the join, the fingerprint and the writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.validation import Rows

LABEL = "is_bad"
SPLITS = ("train", "valid", "oot")


@dataclass(frozen=True)
class TrainingWindows:
    """The date windows of one training set; all bounds inclusive."""

    as_of: dt.date
    train_start: dt.date
    valid_start: dt.date
    train_end: dt.date
    oot_start: dt.date
    oot_end: dt.date

    @property
    def feature_days(self) -> list[dt.date]:
        """Application days whose features the set needs."""
        return _days(self.train_start, self.oot_end)

    @property
    def outcome_days(self) -> list[dt.date]:
        """Days whose known outcomes the set needs: up to the cutoff."""
        return _days(self.train_start, self.as_of)

    def as_dict(self) -> dict[str, str]:
        return {k: v.isoformat() for k, v in self.__dict__.items()}


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def training_windows(spec: ModelSpec, as_of: dt.date) -> TrainingWindows:
    """Windows for a training set cut at the end of ``as_of``.

    Raises:
        ValueError: the windows would start before the model's first day of data.
    """
    w = spec.windows
    oot_end = as_of - dt.timedelta(days=w.label_maturity_days)
    oot_start = oot_end - dt.timedelta(days=w.oot_days - 1)
    train_end = oot_start - dt.timedelta(days=1)
    train_start = train_end - dt.timedelta(days=w.training_days - 1)
    valid_start = train_end - dt.timedelta(days=w.validation_days - 1)
    if train_start < spec.start_date:
        needed = w.training_days + w.oot_days + w.label_maturity_days
        earliest = spec.start_date + dt.timedelta(days=needed - 1)
        raise ValueError(
            f"{spec.name}: a training set as of {as_of} would start on {train_start}, before the "
            f"first day of data {spec.start_date}; it needs {needed} days of data, so the "
            f"earliest cutoff is {earliest}"
        )
    return TrainingWindows(as_of, train_start, valid_start, train_end, oot_start, oot_end)


def point_in_time_join(
    features: pa.Table, outcomes: pa.Table, spec: ModelSpec, windows: TrainingWindows
) -> tuple[dict[str, pa.Table], dict[str, int]]:
    """Label feature rows with outcomes known by the cutoff and split them by date.

    ``outcomes`` hold the entity id, ``outcome_date`` and the label, in the order they became
    known: of several outcomes of one application known by the cutoff, the last one counts.
    Each split keeps its feature rows in order and appends the label as int8.

    Returns the splits and counts of rows dropped, so a reviewer sees what was left out.

    Raises:
        ValueError: an entity id labels more than one feature row.
    """
    id_col, ts_col = spec.entity_id_column, spec.event_timestamp_column
    _require_unique(features[id_col], id_col)
    dates = outcomes["outcome_date"].to_numpy()
    # Searching the known outcomes latest first finds each application's last one.
    known = np.ascontiguousarray(np.flatnonzero(dates <= np.datetime64(windows.as_of))[::-1])
    found = pc.index_in(features[id_col], value_set=outcomes[id_col].take(known))
    hit = found.is_valid().to_numpy(zero_copy_only=False)
    rows = known[found.drop_null().to_numpy()]
    label = np.full(features.num_rows, np.nan)
    label[hit] = outcomes[LABEL].to_numpy()[rows]
    outcome_date = np.full(features.num_rows, np.datetime64("NaT"), dtype=dates.dtype)
    outcome_date[hit] = dates[rows]
    day = features[ts_col].to_numpy().astype("datetime64[D]")
    # An outcome dated before its application is corrupt data, not a label.
    impossible = outcome_date < day
    unlabelled = np.isnan(label)
    usable = ~unlabelled & ~impossible
    bounds = {
        "train": (windows.train_start, windows.valid_start - dt.timedelta(days=1)),
        "valid": (windows.valid_start, windows.train_end),
        "oot": (windows.oot_start, windows.oot_end),
    }
    splits = {}
    for split, (first, last) in bounds.items():
        inside = np.flatnonzero(
            usable & (day >= np.datetime64(first)) & (day <= np.datetime64(last))
        )
        part = _rows(features, inside).append_column(LABEL, pa.array(label[inside].astype("int8")))
        splits[split] = _with_pandas_metadata(part)
    dropped = {
        "unlabelled": int(unlabelled.sum()),
        "outcome_before_application": int(impossible.sum()),
    }
    return splits, dropped


def _require_unique(ids: pa.ChunkedArray, id_col: str) -> None:
    # Ingestion rejects duplicates within a day only; the same id on two days would get one
    # outcome twice.
    if len(pc.unique(ids)) == len(ids):
        return
    counts = pc.value_counts(ids)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")
    examples = ", ".join(map(str, repeated[:3].to_pylist()))
    raise ValueError(
        f"{id_col} must identify one application, but {len(repeated)} id(s) appear in more "
        f"than one feature row (e.g. {examples})"
    )


def _rows(table: pa.Table, positions: np.ndarray) -> pa.Table:
    """The rows at ascending ``positions``; a contiguous run is a zero-copy slice."""
    if positions.size == 0 or positions[-1] - positions[0] + 1 == positions.size:
        return table.slice(int(positions[0]) if positions.size else 0, positions.size)
    return table.take(positions)


def _with_pandas_metadata(table: pa.Table) -> pa.Table:
    """``table`` with pandas metadata of its own: the dtypes the daily files' metadata gives its
    columns, and a default index (that metadata describes a day's index, not the split's)."""
    template = table.schema.empty_table().to_pandas()
    return table.replace_schema_metadata(
        pa.Schema.from_pandas(template, preserve_index=False).metadata
    )


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


def sample_rows(rows: Rows, n: int, seed: int = 0) -> Rows:
    """``n`` rows drawn without replacement, or all rows when there are no more than ``n``.

    The draw is the one ``DataFrame.sample(n, random_state=seed)`` makes, taken alike from a
    DataFrame or an Arrow table, so a sample is reproducible whichever form the rows are in.
    """
    if len(rows) <= n:
        return rows
    positions = np.random.RandomState(seed).choice(len(rows), n, replace=False)
    return rows.take(positions) if isinstance(rows, pa.Table) else rows.iloc[positions]


def split_summary(splits: Mapping[str, pa.Table]) -> dict[str, dict[str, float]]:
    """Rows and bad rate per split."""
    return {
        name: {
            "rows": table.num_rows,
            "bad_rate": pc.mean(table[LABEL]).as_py() if table.num_rows else float(np.nan),
        }
        for name, table in splits.items()
    }
