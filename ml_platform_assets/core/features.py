"""Feature engineering for training, and for online scoring once the planned scorer exists.

Training calls these two functions, and ``feature_vector`` scores one application through the
same path, so a feature has one definition:
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
from ml_platform_assets.core.validation import Rows, as_table, column_names

# Bump when the meaning of a computed feature changes; Dagster then marks features stale.
FEATURES_LOGIC_VERSION = "3"


# Wording in a feature's declaration: it changes what people read, never a feature's value.
WORDING = ("description", "reason")


def without_wording(features: dict) -> dict:
    """A dumped ``features`` section without the descriptions and reason statements."""
    return {
        kind: {
            name: {k: v for k, v in declared.items() if k not in WORDING}
            for name, declared in section.items()
        }
        for kind, section in features.items()
    }


def features_code_version(spec: ModelSpec) -> str:
    """Code version of a model's features: the logic version plus the spec's feature section,
    its wording left out (rewording a description or a reason statement recomputes nothing)."""
    declared = json.dumps(without_wording(spec.features.model_dump(mode="json")), sort_keys=True)
    digest = hashlib.sha256(declared.encode()).hexdigest()[:12]
    return f"features-v{FEATURES_LOGIC_VERSION}-{digest}"


def _floats(values: pa.ChunkedArray | pd.Series) -> np.ndarray:
    """float64 values, NaN where missing, from an Arrow column or a pandas Series."""
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    return pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Numerator over denominator, missing where either is missing or not finite, where the
    denominator is zero, or where the quotient overflows: never a made-up finite value."""
    out = np.full(len(numerator), np.nan)
    usable = np.isfinite(numerator) & np.isfinite(denominator) & (denominator != 0)
    with np.errstate(over="ignore"):
        np.divide(numerator, denominator, out=out, where=usable)
    out[~np.isfinite(out)] = np.nan
    return out


def feature_schema(spec: ModelSpec) -> pa.Schema:
    """Columns and types of stored features: keys, numeric and derived floats, text levels."""
    numeric = [*spec.features.numeric, *spec.features.derived]
    text = [*spec.features.categorical, *spec.protected_attributes]
    return pa.schema(
        [
            (spec.entity_id_column, pa.string()),
            (spec.event_timestamp_column, pa.timestamp("ns")),
            *((col, pa.float64()) for col in numeric),
            *((col, pa.string()) for col in text),
        ]
    )


def build_features(rows: Rows, spec: ModelSpec) -> pa.Table:
    """Model features for validated application rows, as an Arrow table.

    Keeps the entity id, the event timestamp and the protected attributes (for fairness tests
    only; they never reach ``to_model_matrix``) next to the model features. Missing values are
    nulls, which read back as NaN in pandas and in the model matrix.
    """
    table = as_table(rows)
    schema = feature_schema(spec)
    keys = (spec.entity_id_column, spec.event_timestamp_column)
    out = {col: pc.cast(table[col], schema.field(col).type) for col in keys}
    numbers = {col: _floats(table[col]) for col in spec.features.numeric}
    for col, values in numbers.items():
        out[col] = pa.array(values, from_pandas=True)
    for name, derived in spec.features.derived.items():
        top, bottom = (numbers[c] if c in numbers else _floats(table[c]) for c in derived.ratio)
        out[name] = pa.array(_ratio(top, bottom), from_pandas=True)
    for col in [*spec.features.categorical, *spec.protected_attributes]:
        out[col] = pc.cast(table[col], pa.string())
    return pa.table(out, schema=schema)


def to_model_matrix(
    features: Rows, spec: ModelSpec, columns: list[str] | None = None
) -> np.ndarray:
    """The float64 matrix in ``columns`` order (default ``spec.model_features``).

    Takes feature rows as an Arrow table or a DataFrame. Categorical levels become their index
    in the spec's value list; unknown or missing levels become NaN, which LightGBM treats as
    missing rather than as a new category.
    """
    columns = columns or spec.model_features
    present = column_names(features)
    missing = [c for c in columns if c not in present]
    if missing:
        raise ValueError(f"feature rows lack the model's input(s) {', '.join(missing)}")
    # Column-major: each feature fills one contiguous block, and LightGBM reads either order.
    matrix = np.empty((len(features), len(columns)), dtype="float64", order="F")
    for j, col in enumerate(columns):
        levels = spec.features.categorical.get(col)
        if levels is None:
            matrix[:, j] = _floats(features[col])
        else:
            matrix[:, j] = _level_codes(features[col], levels.values)
    return matrix


def _level_codes(values: pa.ChunkedArray | pd.Series, levels: list[str]) -> np.ndarray:
    """Each value's position in ``levels`` as a float, NaN when unknown or missing."""
    if isinstance(values, pd.Series):
        text = pa.array(values, type=pa.string(), from_pandas=True)
    else:
        text = pc.cast(values, pa.string())
    codes = pc.index_in(text, value_set=pa.array(levels, type=pa.string()))
    if isinstance(codes, pa.ChunkedArray):  # tables concatenated from days hold chunks
        codes = codes.combine_chunks()
    return codes.to_numpy(zero_copy_only=False).astype("float64")


def categorical_indices(spec: ModelSpec) -> list[int]:
    """Positions of categorical features in ``spec.model_features``."""
    names = spec.model_features
    return [names.index(c) for c in spec.features.categorical]


def feature_vector(record: dict, spec: ModelSpec) -> np.ndarray:
    """One application's model row, for online scoring (same code path as training)."""
    return to_model_matrix(build_features(pa.Table.from_pylist([record]), spec), spec)
