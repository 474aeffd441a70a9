"""Training and evaluation on simulated days: monotone constraints hold, stored text reloads
only with its checksum, champion and challenger are scored on the same rows."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from ml_platform_assets.core.evaluation import Champion, evaluate
from ml_platform_assets.core.gates import GATE_NAMES
from ml_platform_assets.core.spec import ModelSpec, load_specs
from ml_platform_assets.core.training import (
    ArtifactIntegrityError,
    NothingLearnedError,
    load_model,
    predict,
    train_model,
)

SPEC = load_specs()["credit_default"].model_copy(
    update={"lightgbm": {**load_specs()["credit_default"].lightgbm, "num_boost_round": 80}}
)


@pytest.fixture(scope="module")
def days(labelled_days):
    def _days(first: int, count: int) -> pd.DataFrame:
        return labelled_days(SPEC, first, count, rows=4000, seed=3)

    return _days(0, 4), _days(4, 1), _days(8, 2)


@pytest.fixture(scope="module")
def trained(days):
    train, valid, oot = days
    return train_model(train, valid, SPEC), train, oot


def test_monotone_constraints_hold(trained) -> None:
    model, _, oot = trained
    rows = oot.head(200).copy()
    low = predict(model.booster, rows.assign(prior_delinquencies=0.0), SPEC)
    high = predict(model.booster, rows.assign(prior_delinquencies=5.0), SPEC)
    assert np.all(high >= low - 1e-12)
    better = predict(model.booster, rows.assign(bureau_score=800.0), SPEC)
    worse = predict(model.booster, rows.assign(bureau_score=550.0), SPEC)
    assert np.all(worse >= better - 1e-12)


def test_stored_text_reloads_only_with_its_checksum(trained) -> None:
    model, _, oot = trained
    booster = load_model(model.text.encode(), model.sha256, "s3://b/v1/model.txt")
    np.testing.assert_array_equal(predict(booster, oot, SPEC), predict(model.booster, oot, SPEC))
    tampered = model.text.replace("learning_rate", "learning_rate ", 1).encode()
    with pytest.raises(ArtifactIntegrityError, match=r"s3://b/v1/model.txt: checksum mismatch"):
        load_model(tampered, model.sha256, "s3://b/v1/model.txt")


def test_scoring_follows_the_model_not_the_spec_field_order(trained) -> None:
    model, _, oot = trained
    # The registry stores specs as JSON with sorted keys; reloaded, the field order differs.
    reloaded = ModelSpec.model_validate(
        json.loads(json.dumps(SPEC.model_dump(mode="json"), sort_keys=True))
    )
    assert reloaded.model_features != SPEC.model_features
    np.testing.assert_array_equal(
        predict(model.booster, oot, reloaded), predict(model.booster, oot, SPEC)
    )


def test_evaluation_scores_champion_on_the_same_rows(trained) -> None:
    model, train, oot = trained
    champion = Champion(version=1, booster=model.booster, spec=SPEC)
    record = evaluate(
        SPEC, model.booster, train, oot, champion, {"model": "credit_default", "version": 2}
    )
    assert record["challenger"]["metrics"]["n"] == len(oot) == record["champion"]["metrics"]["n"]
    assert record["challenger"]["metrics"]["auc"] == record["champion"]["metrics"]["auc"]
    assert record["passed"] and record["decision"] == "pending"
    assert [g["name"] for g in record["gates"]] == list(GATE_NAMES)
    assert set(record["csi"]) == {
        *SPEC.features.numeric,
        *SPEC.features.derived,
        *SPEC.features.categorical,
    }
    assert record["feature_importance"][0]["gain"] >= record["feature_importance"][-1]["gain"]


def test_a_model_that_learns_keeps_more_than_its_first_tree(trained) -> None:
    model, _, _ = trained
    assert model.best_iteration > 1


@pytest.mark.parametrize(
    ("relabel", "observed"),
    [
        # Validation outcomes the opposite of the training signal: every tree makes AUC worse.
        (lambda bad: 1 - bad, r"validation AUC 0\.\d{4}"),
        (lambda bad: bad * 0, r"validation AUC undefined: all 4,000 validation rows are good"),
    ],
    ids=["signal-reversed", "no-bad-in-validation"],
)
def test_stopping_at_the_first_tree_is_refused_with_the_validation_auc(
    days, relabel, observed
) -> None:
    train, valid, _ = days
    valid = valid.assign(is_bad=relabel(valid["is_bad"]))
    with pytest.raises(NothingLearnedError) as refused:
        train_model(train, valid, SPEC)
    message = str(refused.value)
    assert re.fullmatch(
        rf"the model stopped at its first tree \({observed}\): no later tree improved the "
        r"validation AUC within 30 more rounds, so early stopping found nothing to learn and the "
        r"model is not registered; check the validation window's labels and features, or widen "
        r"windows\.validation_days",
        message,
    ), message
    assert isinstance(refused.value, ValueError)


def test_a_spec_asking_for_one_tree_gets_it(days) -> None:
    train, valid, _ = days
    one = SPEC.model_copy(update={"lightgbm": {**SPEC.lightgbm, "num_boost_round": 1}})
    model = train_model(train, valid, one)
    assert model.best_iteration == 1 and model.booster.num_trees() == 1


def test_code_versions_name_every_stage_that_shaped_a_model() -> None:
    from ml_platform_assets.core.features import features_code_version
    from ml_platform_assets.core.training import code_versions, training_code_version
    from ml_platform_assets.core.training_set import training_set_code_version

    spec = load_specs()["credit_default"]
    faster = spec.model_copy(update={"lightgbm": {**spec.lightgbm, "learning_rate": 0.2}})
    longer = spec.model_copy(update={"windows": spec.windows.model_copy(update={"oot_days": 21})})
    assert training_code_version(faster) != training_code_version(spec)
    assert training_set_code_version(faster) == training_set_code_version(spec)
    assert training_set_code_version(longer) != training_set_code_version(spec)
    assert training_code_version(longer) == training_code_version(spec)
    recorded = code_versions(
        features_code_version(spec), training_set_code_version(spec), training_code_version(spec)
    )
    assert recorded.startswith("features-v") and "; training_set-v" in recorded
    assert "; training-v" in recorded
