"""Validation of delivered files against a model spec.

A file that cannot be used at all (unparseable, required columns missing) raises
``LandingFileError`` naming the file and the columns. Individual bad rows are separated into a
quarantine frame with one reason per row, so one bad row never blocks a day's good ones.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd

from ml_platform_assets.core.spec import ModelSpec

REASON_COLUMN = "quarantine_reason"


class LandingFileError(ValueError):
    """A delivered file that cannot be ingested at all."""


def read_table(data: bytes, name: str) -> pd.DataFrame:
    """Parse a CSV or parquet file delivered as bytes; ``name`` decides the format.

    CSV columns are read as text so that a malformed value is quarantined by row rather than
    turning the whole column into strings or floats silently.
    """
    try:
        if name.endswith(".parquet"):
            return pd.read_parquet(io.BytesIO(data))
        if name.endswith(".csv"):
            return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 - every parser failure means the same to the user
        raise LandingFileError(f"{name}: cannot be parsed ({type(exc).__name__}: {exc})") from exc
    raise LandingFileError(f"{name}: unsupported file type (expected .csv or .parquet)")


def require_columns(frame: pd.DataFrame, required: list[str], name: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise LandingFileError(f"{name}: missing required column(s) {', '.join(missing)}")


TEXT = "string[pyarrow]"


class _Reasons:
    """The first reason per row, kept as codes: assigning strings row by row is slow."""

    def __init__(self, rows: int) -> None:
        self.codes = np.zeros(rows, dtype=np.int32)
        self.labels = [""]

    def add(self, mask: pd.Series | np.ndarray, reason: str) -> None:
        """Flag rows with ``reason`` unless an earlier, first-to-fix reason already holds."""
        if isinstance(mask, pd.Series):
            mask = mask.to_numpy(dtype=bool, na_value=False)
        if mask.any():
            self.labels.append(reason)
            self.codes[mask & (self.codes == 0)] = len(self.labels) - 1

    @property
    def bad(self) -> np.ndarray:
        return self.codes > 0

    def quarantine(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rejected rows as delivered (as text), each with its reason."""
        bad = self.bad
        reasons = np.asarray(self.labels, dtype=object)[self.codes[bad]]
        rows = frame.loc[bad].astype(TEXT)
        return rows.assign(**{REASON_COLUMN: reasons}).reset_index(drop=True)


def _as_text(values: pd.Series) -> pd.Series:
    """Stripped text with empty strings as missing."""
    text = values.astype(TEXT).str.strip()
    return text.mask((text == "").fillna(False))


def _numeric(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parsed floats and a mask of values that were present but not numbers.

    Works on numpy arrays: per-column pandas overhead dominates on daily files.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        parsed = values.to_numpy(dtype="float64", na_value=np.nan)
        return parsed, np.zeros(len(parsed), dtype=bool)
    text = _as_text(values)
    parsed = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return parsed, text.notna().to_numpy(dtype=bool) & np.isnan(parsed)


def _timestamps(values: pd.Series) -> pd.Series:
    """Naive UTC timestamps; parsing text only when the file did not deliver datetimes."""
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = values
    else:
        stamps = pd.to_datetime(_as_text(values), errors="coerce", utc=True, format="mixed")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.astype("datetime64[ns]")


def _check_ids(ids: pd.Series, reasons: _Reasons, id_col: str) -> None:
    reasons.add(ids.isna(), f"{id_col}: missing")
    reasons.add(ids.duplicated(keep=False) & ids.notna(), f"{id_col}: duplicate id")


def validate_applications(
    frame: pd.DataFrame, spec: ModelSpec, day: dt.date, name: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split one day's applications into typed valid rows and quarantined rows with reasons."""
    id_col, ts_col = spec.entity_id_column, spec.event_timestamp_column
    categorical = {**spec.features.categorical, **spec.protected_attributes}
    require_columns(frame, [id_col, ts_col, *spec.features.numeric, *categorical], name)

    frame = frame.reset_index(drop=True)
    reasons = _Reasons(len(frame))
    clean = {}

    clean[id_col] = ids = _as_text(frame[id_col])
    _check_ids(ids, reasons, id_col)

    clean[ts_col] = stamps = _timestamps(frame[ts_col])
    reasons.add(stamps.isna(), f"{ts_col}: missing or not a timestamp")
    outside = stamps.notna() & (stamps.dt.normalize() != pd.Timestamp(day))
    reasons.add(outside, f"{ts_col}: not on {day.isoformat()}")

    for col, rule in spec.features.numeric.items():
        values, not_number = _numeric(frame[col])
        clean[col] = values
        reasons.add(not_number, f"{col}: not a number")
        # NaN compares False: a missing value is allowed, never out of range.
        if rule.min is not None:
            reasons.add(values < rule.min, f"{col}: below minimum {rule.min:g}")
        if rule.max is not None:
            reasons.add(values > rule.max, f"{col}: above maximum {rule.max:g}")

    for col, rule in categorical.items():
        clean[col] = text = _as_text(frame[col])
        reasons.add(text.notna() & ~text.isin(rule.values), f"{col}: unknown value")

    valid = pd.DataFrame(clean)
    if reasons.bad.any():
        valid = valid.loc[~reasons.bad].reset_index(drop=True)
    return valid, reasons.quarantine(frame)


def validate_outcomes(
    frame: pd.DataFrame, spec: ModelSpec, day: dt.date, name: str, date_column: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split one day's outcomes into (entity id, outcome_date, bad flag) rows and quarantine."""
    id_col, target = spec.entity_id_column, spec.target.column
    require_columns(frame, [id_col, date_column, target], name)
    frame = frame.reset_index(drop=True)
    reasons = _Reasons(len(frame))

    ids = _as_text(frame[id_col])
    _check_ids(ids, reasons, id_col)
    dates = _timestamps(frame[date_column]).dt.normalize()
    reasons.add(dates.isna(), f"{date_column}: missing or not a date")
    reasons.add(dates.notna() & (dates != pd.Timestamp(day)), f"{date_column}: not {day}")
    labels = _as_text(frame[target])
    reasons.add(labels.isna(), f"{target}: missing")

    clean = pd.DataFrame(
        {id_col: ids, "outcome_date": dates, "is_bad": _is_bad(labels, spec.target.bad_value)}
    )
    return clean.loc[~reasons.bad].reset_index(drop=True), reasons.quarantine(frame)


def _is_bad(labels: pd.Series, bad_value: int | str) -> np.ndarray:
    """1 where the label means bad; numeric labels compare as numbers so 1.0 equals 1."""
    bad = (labels == str(bad_value)).to_numpy(dtype=bool, na_value=False)
    if not isinstance(bad_value, str):
        numbers = pd.to_numeric(labels, errors="coerce")
        bad |= (numbers == bad_value).to_numpy(dtype=bool, na_value=False)
    return bad.astype("int8")


def reason_counts(quarantined: pd.DataFrame) -> dict[str, int]:
    """Quarantined rows per reason, largest first."""
    if quarantined.empty:
        return {}
    counts = quarantined[REASON_COLUMN].value_counts()
    return {str(k): int(v) for k, v in counts.items()}
