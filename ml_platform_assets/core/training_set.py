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
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.validation import Rows
from ml_platform_assets.core.values import classify_labels

LABEL = "is_bad"
# Bump when the meaning of a training set changes (the point-in-time join, the windows' rules).
TRAINING_SET_LOGIC_VERSION = "2"
# The label as delivered, kept beside the flag in the validated outcomes.
DELIVERED_LABEL = "label"
SPLITS = ("train", "valid", "oot")
# What each split is to a reader, what it needs both classes for, and the spec field widening it.
_WINDOW_ROLES = {
    "train": ("training", "to learn from", "windows.training_days"),
    "valid": ("validation", "to stop early", "windows.validation_days"),
    "oot": ("out-of-time", "to be evaluated", "windows.oot_days"),
}
# Labels listed in the no-bad message; a misdeclared column can hold thousands of values.
_LABELS_SHOWN = 10


class ThinWindowError(ValueError):
    """A training, validation or out-of-time window with too few rows, bads or goods."""


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

    @property
    def split_bounds(self) -> dict[str, tuple[dt.date, dt.date]]:
        """First and last application day of each split, in ``SPLITS`` order. The validation
        days are the training window's last ones, so the train split ends the day before."""
        return {
            "train": (self.train_start, self.valid_start - dt.timedelta(days=1)),
            "valid": (self.valid_start, self.train_end),
            "oot": (self.oot_start, self.oot_end),
        }

    def as_dict(self) -> dict[str, str]:
        return {k: v.isoformat() for k, v in self.__dict__.items()}


def training_set_code_version(spec: ModelSpec) -> str:
    """Code version of a model's training sets: the logic version plus the spec's windows and
    target, which decide which rows are labelled how."""
    declared = {
        "windows": spec.windows.model_dump(mode="json"),
        "target": spec.target.model_dump(mode="json"),
        "timezone": spec.timezone,
    }
    digest = hashlib.sha256(json.dumps(declared, sort_keys=True).encode()).hexdigest()[:12]
    return f"training_set-v{TRAINING_SET_LOGIC_VERSION}-{digest}"


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

    ``outcomes`` hold the entity id, ``outcome_date`` and the label (1 bad, 0 good, null when
    indeterminate or blank). Of several outcomes of one application known by the cutoff, the
    last one counts: the latest ``outcome_date``, and on one day the one delivered last. An
    application whose last known outcome is indeterminate is in no split. Each split keeps its
    feature rows in order and appends the label as int8.

    Returns the splits and counts of rows dropped, so a reviewer sees what was left out:
    ``unlabelled`` (no outcome known yet), ``indeterminate`` (the last one known is neither bad
    nor good) and ``outcome_before_application`` (corrupt).

    Raises:
        ValueError: an entity id labels more than one feature row.
    """
    _require_unique(features, spec)
    label, hit, impossible, day = _last_known_labels(features, outcomes, spec, windows.as_of)
    unlabelled = ~hit
    indeterminate = hit & np.isnan(label) & ~impossible
    usable = hit & ~np.isnan(label) & ~impossible
    splits = {}
    for split, (first, last) in windows.split_bounds.items():
        inside = np.flatnonzero(
            usable & (day >= np.datetime64(first)) & (day <= np.datetime64(last))
        )
        part = _rows(features, inside).append_column(LABEL, pa.array(label[inside].astype("int8")))
        splits[split] = _with_pandas_metadata(part)
    dropped = {
        "unlabelled": int(unlabelled.sum()),
        "indeterminate": int(indeterminate.sum()),
        "outcome_before_application": int(impossible.sum()),
    }
    return splits, dropped


def labelled_applications(
    features: pa.Table, outcomes: pa.Table, spec: ModelSpec, as_of: dt.date
) -> int:
    """How many of ``features``' applications a training set cut at the end of ``as_of`` could
    learn from: their last outcome known by then is bad or good, as ``point_in_time_join``
    labels them. ``features`` need only the entity id and event timestamp columns."""
    label, hit, impossible, _day = _last_known_labels(features, outcomes, spec, as_of)
    return int((hit & ~np.isnan(label) & ~impossible).sum())


def _last_known_labels(
    features: pa.Table, outcomes: pa.Table, spec: ModelSpec, as_of: dt.date
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per feature row: the label of its last outcome known by ``as_of`` (NaN when none or
    indeterminate), whether it has one, whether that outcome predates the application, and the
    application's day."""
    id_col, ts_col = spec.entity_id_column, spec.event_timestamp_column
    dates = outcomes["outcome_date"].to_numpy()
    known = np.flatnonzero(dates <= np.datetime64(as_of))
    # Days are loaded in order, so sorting is rarely needed; a stable sort keeps the delivery
    # order within a day.
    if known.size > 1 and (np.diff(dates[known]) < np.timedelta64(0)).any():
        known = known[np.argsort(dates[known], kind="stable")]
    # Searching the known outcomes latest first finds each application's last one.
    known = np.ascontiguousarray(known[::-1])
    found = pc.index_in(features[id_col], value_set=outcomes[id_col].take(known))
    hit = found.is_valid().to_numpy(zero_copy_only=False)
    rows = known[found.drop_null().to_numpy()]
    label = np.full(features.num_rows, np.nan)
    # An indeterminate or blank label is null, NaN here.
    label[hit] = outcomes[LABEL].cast(pa.float64()).to_numpy()[rows]
    outcome_date = np.full(features.num_rows, np.datetime64("NaT"), dtype=dates.dtype)
    outcome_date[hit] = dates[rows]
    day = features[ts_col].to_numpy().astype("datetime64[D]")
    # An outcome dated before its application is corrupt data, not a label.
    impossible = outcome_date < day
    return label, hit, impossible, day


def check_windows(
    splits: Mapping[str, pa.Table], windows: TrainingWindows, spec: ModelSpec
) -> None:
    """Refuse windows too thin to learn from, stop early on or evaluate.

    Each split needs at least ``windows.min_rows`` labelled rows and ``windows.min_bads`` rows
    of each class: without both classes, early stopping has no AUC to follow and the
    out-of-time metrics mean nothing.

    Raises:
        ThinWindowError: one sentence per window that falls short, with its dates and counts.
    """
    need = spec.windows
    problems = []
    for split, (first, last) in windows.split_bounds.items():
        rows, bads = window_counts(splits[split])
        goods = rows - bads
        missing = []
        if rows < need.min_rows:
            missing.append(f"at least {need.min_rows:,} labelled rows (windows.min_rows)")
        if min(bads, goods) < need.min_bads:
            missing.append(
                f"at least {need.min_bads:,} bad and {need.min_bads:,} good (windows.min_bads)"
            )
        if not missing:
            continue
        name, purpose, width = _WINDOW_ROLES[split]
        problems.append(
            f"the {name} window {_span(first, last)} has {rows:,} labelled rows: {bads:,} bad, "
            f"{goods:,} good; it needs {' and '.join(missing)} {purpose}: widen {width} or "
            "deliver more days"
        )
    if problems:
        raise ThinWindowError("; ".join(problems))


def window_counts(split: pa.Table) -> tuple[int, int]:
    """(labelled rows, bad rows) of one split."""
    bads = pc.sum(split[LABEL]).as_py() or 0
    return split.num_rows, int(bads)


def _span(first: dt.date, last: dt.date) -> str:
    return first.isoformat() if first == last else f"{first}..{last}"


def has_bad_outcome(outcomes: pa.Table, as_of: dt.date) -> bool:
    """Whether any outcome known by the end of ``as_of`` is labelled bad."""
    known = outcomes["outcome_date"].to_numpy() <= np.datetime64(as_of)
    return bool((outcomes[LABEL].cast(pa.float64()).to_numpy()[known] == 1).any())


def no_bad_label_message(
    outcomes: pa.Table, quarantined: Iterable[pa.Table], spec: ModelSpec, as_of: dt.date
) -> str:
    """Why a set without a single bad outcome cannot be trained, with the labels seen.

    The usual cause is a bad label declared otherwise than the files write it ('bad' for
    'Bad'): those rows were quarantined at ingestion as neither bad nor good, so their labels
    are counted from the outcomes' quarantine (``quarantined``: tables holding the target
    column as delivered) as well as from the validated ``outcomes`` (the ``label`` column).
    """
    target = spec.target
    known = outcomes.filter(pa.array(outcomes["outcome_date"].to_numpy() <= np.datetime64(as_of)))
    seen = [(label, n, "") for label, n in _label_counts(known[DELIVERED_LABEL])]
    for table in quarantined:
        if target.column not in table.column_names or table.num_rows == 0:
            continue
        labels = _stripped(table[target.column])
        _, undeclared = classify_labels(labels, target)
        for mask, note in (
            (undeclared, " (quarantined as neither bad nor good)"),
            (~undeclared, " (quarantined for another reason)"),
        ):
            if mask.any():
                counts = _label_counts(labels.filter(pa.array(mask)))
                seen += [(label, n, note) for label, n in counts]
    seen = _merged(seen)
    declared = target.bad_value if isinstance(target.bad_value, list) else [target.bad_value]
    head = (
        f"no outcome known by {as_of} is labelled bad: column {target.column}, bad_value "
        f"{', '.join(map(repr, declared))} declared; labels seen: "
    )
    if not seen:
        return head + "none — deliver the outcomes of the windows' applications first"
    shown = ", ".join(
        f"{'blank' if label is None else repr(label)} {n:,}{note}"
        for label, n, note in seen[:_LABELS_SHOWN]
    )
    if len(seen) > _LABELS_SHOWN:
        shown += f" and {len(seen) - _LABELS_SHOWN:,} more"
    return head + shown + " — declare the labels exactly as the files write them"


def _stripped(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text stripped of surrounding spaces, empty as missing: labels as validation reads them."""
    text = pc.utf8_trim_whitespace(values.cast(pa.string()))
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _label_counts(labels: pa.ChunkedArray | pa.Array) -> list[tuple[str | None, int]]:
    counts = pc.value_counts(labels).to_pylist()
    return [(c["values"], c["counts"]) for c in counts]


def _merged(seen: list[tuple[str | None, int, str]]) -> list[tuple[str | None, int, str]]:
    """Counts of the same label with the same note added up, most frequent first."""
    totals: dict[tuple[str | None, str], int] = {}
    for label, n, note in seen:
        totals[label, note] = totals.get((label, note), 0) + n
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return [(label, n, note) for (label, note), n in ranked]


def _require_unique(features: pa.Table, spec: ModelSpec) -> None:
    # Ingestion rejects duplicates within a day only; the same id on two days would get one
    # outcome twice.
    id_col, ts_col = spec.entity_id_column, spec.event_timestamp_column
    ids = features[id_col]
    if len(pc.unique(ids)) == len(ids):
        return
    counts = pc.value_counts(ids)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")
    examples = ", ".join(map(str, repeated[:3].to_pylist()))
    # The day an id first appeared delivered it; a later day delivered it again.
    rows = features.filter(pc.is_in(ids, value_set=repeated)).select([id_col, ts_col])
    rows = rows.sort_by([(id_col, "ascending"), (ts_col, "ascending")])
    row_ids = rows[id_col].to_numpy(zero_copy_only=False)
    again = np.r_[False, row_ids[1:] == row_ids[:-1]]
    days = np.unique(rows[ts_col].to_numpy()[again].astype("datetime64[D]")).astype(str)
    redeliver = " ".join(f"--redeliver {day}" for day in days)
    raise ValueError(
        f"{id_col} must identify one application, but {len(repeated)} id(s) appear in more "
        f"than one feature row (e.g. {examples}), delivered again on {', '.join(days)}: fix "
        f"the source file{'s' if len(days) > 1 else ''} and redeliver with "
        f"'ml-platform run {spec.name} {redeliver}'"
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
