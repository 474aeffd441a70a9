"""Feature engineering: derived ratios, categorical encoding and the online path agree."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ml_platform_assets.core.features import (
    build_features,
    categorical_indices,
    feature_vector,
    features_code_version,
    to_model_matrix,
)
from ml_platform_assets.core.spec import load_specs
from ml_platform_assets.core.training import predict, train_model

SPEC = load_specs()["credit_default"]


def _rows() -> pd.DataFrame:
    data = {"application_id": ["a", "b"], "applied_at": pd.to_datetime(["2026-01-01"] * 2)}
    for col in SPEC.features.numeric:
        data[col] = [1.0, 2.0]
    data |= {"annual_income": [50_000.0, 0.0], "loan_amount": [500.0, 800.0]}
    data |= {"prior_loans_count": [4.0, 0.0], "prior_loans_repaid": [3.0, 0.0]}
    for col, rule in {**SPEC.features.categorical, **SPEC.protected_attributes}.items():
        data[col] = [rule.values[1], "never-seen"]
    return pd.DataFrame(data)


def test_ratios_are_missing_when_the_denominator_is_zero() -> None:
    features = build_features(_rows(), SPEC).to_pandas()
    assert features["loan_to_income"].tolist()[0] == pytest.approx(0.01)
    assert np.isnan(features["loan_to_income"].iloc[1])
    assert features["prior_repaid_share"].iloc[0] == pytest.approx(0.75)
    assert np.isnan(features["prior_repaid_share"].iloc[1])


def _other_protected_values(features: pd.DataFrame) -> pd.DataFrame:
    """The same rows with every protected attribute changed: each row gets the next level
    (the last wraps to the first) and every seventh row none at all."""
    changed = features.copy()
    for col, rule in SPEC.protected_attributes.items():
        following = dict(zip(rule.values, rule.values[1:] + rule.values[:1], strict=True))
        values = changed[col].map(following).astype(object)
        values.iloc[::7] = None
        assert (values != features[col]).all()
        changed[col] = values
    return changed


def test_protected_attributes_kept_but_never_a_model_input(labelled_days) -> None:
    protected = set(SPEC.protected_attributes)
    assert protected  # the built-in spec declares some (age_band)
    features = build_features(_rows(), SPEC)
    assert protected <= set(features.column_names)  # kept, for outcome testing only
    assert not protected & set(SPEC.model_features)

    # A model trained on rows that carry them never names them as inputs.
    spec = SPEC.model_copy(update={"lightgbm": {**SPEC.lightgbm, "num_boost_round": 20}})
    train, valid = (labelled_days(spec, day, 1, rows=2_000, seed=3) for day in (0, 1))
    assert protected <= set(train.columns)
    booster = train_model(train, valid, spec).booster
    assert not protected & set(booster.feature_name())
    assert not any(name in booster.model_to_string() for name in protected)

    # Other values of every protected attribute leave the matrix byte-identical, so the
    # scores cannot depend on them.
    changed = _other_protected_values(valid)
    matrix = to_model_matrix(valid, spec)
    assert to_model_matrix(changed, spec).tobytes() == matrix.tobytes()
    assert to_model_matrix(pa.Table.from_pandas(changed), spec).tobytes() == matrix.tobytes()
    np.testing.assert_array_equal(predict(booster, changed, spec), predict(booster, valid, spec))
    online = [
        feature_vector(row, spec) for row in _other_protected_values(_rows()).to_dict("records")
    ]
    np.testing.assert_array_equal(np.vstack(online), to_model_matrix(features, spec))


def test_categories_encode_by_spec_position_and_unknown_is_missing() -> None:
    matrix = to_model_matrix(build_features(_rows(), SPEC), SPEC)
    for j in categorical_indices(SPEC):
        assert matrix[0, j] == 1.0
        assert np.isnan(matrix[1, j])


def test_online_vector_equals_the_training_row() -> None:
    rows = _rows()
    batch = to_model_matrix(build_features(rows, SPEC), SPEC)
    single = feature_vector(rows.iloc[0].to_dict(), SPEC)
    np.testing.assert_array_equal(single[0], batch[0])


def test_stored_features_give_the_same_matrix_as_the_table_they_came_from() -> None:
    features = build_features(_rows(), SPEC)
    from_table = to_model_matrix(features, SPEC)
    from_frame = to_model_matrix(features.to_pandas(), SPEC)
    np.testing.assert_array_equal(from_table, from_frame)
    assert np.isnan(from_table).any()  # missing ratios and unknown levels survive both paths


def test_code_version_changes_with_the_feature_section() -> None:
    changed = SPEC.model_copy(update={"features": SPEC.features.model_copy(update={"derived": {}})})
    assert features_code_version(SPEC) != features_code_version(changed)
    assert features_code_version(SPEC) == features_code_version(load_specs()["credit_default"])
