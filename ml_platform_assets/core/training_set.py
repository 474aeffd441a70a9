"""Point-in-time-correct training sets with an out-of-time holdout by date.

As of a cutoff day, only outcomes known by the end of that day are used, and only applications
old enough for their outcome to have matured. The last matured days form the out-of-time (OOT)
window; the days before them the training window, whose last days validate early stopping.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml_platform_assets.core.spec import ModelSpec

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
    features: pd.DataFrame, outcomes: pd.DataFrame, spec: ModelSpec, windows: TrainingWindows
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Label feature rows with outcomes known by the cutoff and split them by date.

    Returns the splits and counts of rows dropped, so a reviewer sees what was left out.
    """
    id_col, ts_col = spec.entity_id_column, spec.event_timestamp_column
    cutoff = pd.Timestamp(windows.as_of)
    known = outcomes[outcomes["outcome_date"] <= cutoff]
    known = known.drop_duplicates(subset=[id_col], keep="last")[[id_col, "outcome_date", LABEL]]
    joined = features.merge(known, on=id_col, how="left", validate="one_to_one")
    day = joined[ts_col].dt.normalize()
    # An outcome dated before its application is corrupt data, not a label.
    impossible = joined["outcome_date"].notna() & (joined["outcome_date"] < day)
    unlabelled = joined[LABEL].isna()
    usable = joined[~unlabelled & ~impossible]
    usable_day = day[usable.index]
    bounds = {
        "train": (windows.train_start, windows.valid_start - dt.timedelta(days=1)),
        "valid": (windows.valid_start, windows.train_end),
        "oot": (windows.oot_start, windows.oot_end),
    }
    splits = {}
    for split, (first, last) in bounds.items():
        inside = (usable_day >= pd.Timestamp(first)) & (usable_day <= pd.Timestamp(last))
        part = usable[inside.to_numpy()].drop(columns=["outcome_date"])
        splits[split] = part.astype({LABEL: "int8"}).reset_index(drop=True)
    dropped = {
        "unlabelled": int(unlabelled.sum()),
        "outcome_before_application": int(impossible.sum()),
    }
    return splits, dropped


def fingerprint(splits: dict[str, pd.DataFrame]) -> str:
    """sha256 of the sets' content: column names, dtypes and every value, split by split.

    Hashing values rather than files keeps the fingerprint independent of the parquet writer.
    """
    digest = hashlib.sha256()
    for name in SPLITS:
        frame = splits[name]
        kinds = {c: _dtype_kind(t) for c, t in frame.dtypes.items()}
        header = "|".join(f"{c}:{k}" for c, k in kinds.items())
        digest.update(f"{name}\n{header}\n".encode())
        other = [c for c, k in kinds.items() if k != "text"]
        digest.update(pd.util.hash_pandas_object(frame[other], index=False).to_numpy().tobytes())
        for col in (c for c, k in kinds.items() if k == "text"):
            # Codes in order of first appearance plus the distinct values: the same for any
            # string dtype or missing marker the frame was read with, and fast on big sets.
            codes, uniques = pd.factorize(frame[col], use_na_sentinel=True)
            digest.update(codes.astype("int64").tobytes())
            digest.update("\x1f".join(map(str, uniques)).encode())
    return digest.hexdigest()


def _dtype_kind(dtype) -> str:
    """A dtype name that survives a parquet round trip (object and str text both read 'text')."""
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        return "text"
    return str(dtype)


def split_summary(splits: dict[str, pd.DataFrame]) -> dict[str, dict[str, float]]:
    """Rows and bad rate per split."""
    return {
        name: {
            "rows": len(frame),
            "bad_rate": float(frame[LABEL].mean()) if len(frame) else float(np.nan),
        }
        for name, frame in splits.items()
    }
