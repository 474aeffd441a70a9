"""Feature engineering shared by training and online scoring.

Training and serving call the same two functions, so a feature has one definition:
``build_features`` turns validated application rows into model features (readable values,
kept in the feature store), and ``to_model_matrix`` turns those into the float matrix LightGBM
sees, with categorical levels encoded by their position in the spec.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.spec import ModelSpec

# Bump when the meaning of a computed feature changes; Dagster then marks features stale.
FEATURES_LOGIC_VERSION = "2"


def features_code_version(spec: ModelSpec) -> str:
    """Code version of a model's features: the logic version plus the spec's feature section."""
    declared = json.dumps(spec.features.model_dump(mode="json"), sort_keys=True)
    digest = hashlib.sha256(declared.encode()).hexdigest()[:12]
    return f"features-v{FEATURES_LOGIC_VERSION}-{digest}"


def _floats(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="float64", na_value=np.nan)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> np.ndarray:
    """Numerator over denominator, missing where the denominator is zero or missing."""
    top, bottom = _floats(numerator), _floats(denominator)
    out = np.full(len(top), np.nan)
    np.divide(top, bottom, out=out, where=(bottom != 0) & ~np.isnan(bottom))
    return out


def build_features(rows: pd.DataFrame, spec: ModelSpec) -> pd.DataFrame:
    """Model features for validated application rows.

    Keeps the entity id, the event timestamp and the protected attributes (for fairness tests
    only; they never reach ``to_model_matrix``) next to the model features.
    """
    out = {col: rows[col] for col in (spec.entity_id_column, spec.event_timestamp_column)}
    for col in spec.features.numeric:
        out[col] = _floats(rows[col])
    for name, derived in spec.features.derived.items():
        out[name] = _ratio(rows[derived.ratio[0]], rows[derived.ratio[1]])
    for col in [*spec.features.categorical, *spec.protected_attributes]:
        out[col] = rows[col]
    return pd.DataFrame(out, index=rows.index)


def to_model_matrix(
    features: pd.DataFrame, spec: ModelSpec, columns: list[str] | None = None
) -> np.ndarray:
    """The float64 matrix in ``columns`` order (default ``spec.model_features``).

    Categorical levels become their index in the spec's value list; unknown or missing levels
    become NaN, which LightGBM treats as missing rather than as a new category.
    """
    columns = columns or spec.model_features
    missing = [c for c in columns if c not in features.columns]
    if missing:
        raise ValueError(f"feature rows lack the model's input(s) {', '.join(missing)}")
    matrix = np.empty((len(features), len(columns)), dtype="float64")
    for j, col in enumerate(columns):
        levels = spec.features.categorical.get(col)
        if levels is None:
            matrix[:, j] = features[col].to_numpy(dtype="float64", na_value=np.nan)
        else:
            matrix[:, j] = _level_codes(features[col], levels.values)
    return matrix


def _level_codes(values: pd.Series, levels: list[str]) -> np.ndarray:
    """Each value's position in ``levels`` as a float, NaN when unknown or missing."""
    text = pa.array(values, type=pa.string(), from_pandas=True)
    codes = pc.index_in(text, value_set=pa.array(levels, type=pa.string()))
    if isinstance(codes, pa.ChunkedArray):  # frames concatenated from days hold chunks
        codes = codes.combine_chunks()
    return codes.to_numpy(zero_copy_only=False).astype("float64")


def categorical_indices(spec: ModelSpec) -> list[int]:
    """Positions of categorical features in ``spec.model_features``."""
    names = spec.model_features
    return [names.index(c) for c in spec.features.categorical]


def feature_vector(record: dict, spec: ModelSpec) -> np.ndarray:
    """One application's model row, for online scoring (same code path as training)."""
    frame = pd.DataFrame([record])
    return to_model_matrix(build_features(frame, spec), spec)
