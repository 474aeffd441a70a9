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


def _as_text(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _numeric(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parsed floats and a mask of values that were present but not numbers."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        parsed = values.astype("float64")
        return parsed, pd.Series(False, index=values.index)
    text = _as_text(values)
    parsed = pd.to_numeric(text, errors="coerce").astype("float64")
    return parsed, text.notna() & parsed.isna()


def _add_reason(reasons: pd.Series, mask: pd.Series, reason: str) -> None:
    """Keep the first reason per row: it is the one a person fixes first."""
    reasons[mask & reasons.isna()] = reason


def validate_applications(
    frame: pd.DataFrame, spec: ModelSpec, day: dt.date, name: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split one day's applications into typed valid rows and quarantined rows with reasons."""
    id_col, ts_col = spec.entity_id_column, spec.event_timestamp_column
    categorical = {**spec.features.categorical, **spec.protected_attributes}
    require_columns(frame, [id_col, ts_col, *spec.features.numeric, *categorical], name)

    frame = frame.reset_index(drop=True)
    reasons = pd.Series(pd.NA, index=frame.index, dtype="object")
    clean = pd.DataFrame(index=frame.index)

    ids = _as_text(frame[id_col])
    _add_reason(reasons, ids.isna(), f"{id_col}: missing")
    _add_reason(reasons, ids.duplicated(keep=False) & ids.notna(), f"{id_col}: duplicate id")
    clean[id_col] = ids

    stamps = pd.to_datetime(_as_text(frame[ts_col]), errors="coerce", utc=True)
    stamps = stamps.dt.tz_localize(None)
    _add_reason(reasons, stamps.isna(), f"{ts_col}: missing or not a timestamp")
    outside = stamps.notna() & (stamps.dt.normalize() != pd.Timestamp(day))
    _add_reason(reasons, outside, f"{ts_col}: not on {day.isoformat()}")
    clean[ts_col] = stamps

    for col, rule in spec.features.numeric.items():
        parsed, not_number = _numeric(frame[col])
        _add_reason(reasons, not_number, f"{col}: not a number")
        if rule.min is not None:
            _add_reason(reasons, parsed < rule.min, f"{col}: below minimum {rule.min:g}")
        if rule.max is not None:
            _add_reason(reasons, parsed > rule.max, f"{col}: above maximum {rule.max:g}")
        clean[col] = parsed

    for col, rule in categorical.items():
        text = _as_text(frame[col])
        unknown = text.notna() & ~text.isin(rule.values)
        _add_reason(reasons, unknown, f"{col}: unknown value")
        clean[col] = text.astype("object").where(text.notna(), None)

    bad = reasons.notna().to_numpy()
    quarantined = frame.loc[bad].astype("string").assign(**{REASON_COLUMN: reasons[bad]})
    return clean.loc[~bad].reset_index(drop=True), quarantined.reset_index(drop=True)


def validate_outcomes(
    frame: pd.DataFrame, spec: ModelSpec, day: dt.date, name: str, date_column: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split one day's outcomes into (entity id, outcome_date, bad flag) rows and quarantine."""
    id_col, target = spec.entity_id_column, spec.target.column
    require_columns(frame, [id_col, date_column, target], name)
    frame = frame.reset_index(drop=True)
    reasons = pd.Series(pd.NA, index=frame.index, dtype="object")

    ids = _as_text(frame[id_col])
    _add_reason(reasons, ids.isna(), f"{id_col}: missing")
    _add_reason(reasons, ids.duplicated(keep=False) & ids.notna(), f"{id_col}: duplicate id")
    dates = pd.to_datetime(_as_text(frame[date_column]), errors="coerce").dt.normalize()
    _add_reason(reasons, dates.isna(), f"{date_column}: missing or not a date")
    _add_reason(reasons, dates.notna() & (dates != pd.Timestamp(day)), f"{date_column}: not {day}")

    labels = _as_text(frame[target])
    _add_reason(reasons, labels.isna(), f"{target}: missing")
    clean = pd.DataFrame(
        {id_col: ids, "outcome_date": dates, "is_bad": _is_bad(labels, spec.target.bad_value)}
    )
    bad = reasons.notna().to_numpy()
    quarantined = frame.loc[bad].astype("string").assign(**{REASON_COLUMN: reasons[bad]})
    return clean.loc[~bad].reset_index(drop=True), quarantined.reset_index(drop=True)


def _is_bad(labels: pd.Series, bad_value: int | str) -> np.ndarray:
    """1 where the label means bad; numeric labels compare as numbers so 1.0 equals 1."""
    bad = (labels == str(bad_value)).fillna(False).to_numpy(dtype=bool)
    if not isinstance(bad_value, str):
        bad |= (pd.to_numeric(labels, errors="coerce") == bad_value).fillna(False).to_numpy(bool)
    return bad.astype("int8")


def reason_counts(quarantined: pd.DataFrame) -> dict[str, int]:
    """Quarantined rows per reason, largest first."""
    if quarantined.empty:
        return {}
    counts = quarantined[REASON_COLUMN].value_counts()
    return {str(k): int(v) for k, v in counts.items()}
