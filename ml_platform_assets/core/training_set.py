"""Point-in-time-correct training sets with an out-of-time holdout by date.

As of a cutoff day, only outcomes known by the end of that day are used, and only applications
old enough for their outcome to have matured; ``core.windows`` decides the dates of each split.

The sets stay Arrow tables from the daily parquet files to the stored splits: at a million rows,
converting to pandas and back costs more than the join, the fingerprint and the writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.schemas import LABEL
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.validation import Rows
from ml_platform_assets.core.windows import TrainingWindows

# Bump when the meaning of a training set changes (the point-in-time join, the windows' rules).
TRAINING_SET_LOGIC_VERSION = "2"
SPLITS = ("train", "valid", "oot")


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
