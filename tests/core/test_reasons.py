"""Adverse-action reason codes: LightGBM's contributions, the top reasons of a decline, the
spec's statements and the fidelity of the top reason, on tiny models checked by hand."""

import lightgbm as lgb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ml_platform_assets.core import reasons
from ml_platform_assets.core.features import to_model_matrix
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.training import train_model
from tests.core.hand_specs import hand_spec


def _spec(cutoff: float = 0.5, **features) -> ModelSpec:
    numeric = {
        "debt_ratio": {"description": "Debt over income.", "reason": "Debt is high"},
        "tenure": {"description": "Months with us.", "reason": "Short time with us"},
        "noise": {"description": "Unrelated number."},  # no reviewed statement
    }
    return hand_spec(
        "tiny",
        "A model small enough to check by hand.",
        {"numeric": features.get("numeric", numeric), **features.get("more", {})},
        {
            "objective": "binary",
            "num_leaves": 4,
            "min_data_in_leaf": 5,
            "learning_rate": 0.3,
            "num_boost_round": 30,
            "early_stopping_rounds": 30,
            "num_threads": 1,
        },
        cutoff=cutoff,
    )


def _applications(n: int, seed: int) -> pd.DataFrame:
    """Risk rises steeply with debt_ratio, falls a little with tenure; noise is noise."""
    rng = np.random.default_rng(seed)
    debt, tenure, noise = rng.random(n), rng.random(n), rng.random(n)
    logit = -3 + 6 * debt - 1.5 * tenure
    return pd.DataFrame(
        {
            "application_id": [f"a{seed}-{i}" for i in range(n)],
            "debt_ratio": debt,
            "tenure": tenure,
            "noise": noise,
            "is_bad": (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int8"),
        }
    )


@pytest.fixture(scope="module")
def tiny():
    spec = _spec()
    model = train_model(_applications(4_000, 1), _applications(1_000, 2), spec)
    return spec, model.booster


def test_contributions_and_bias_sum_to_the_raw_margin(tiny) -> None:
    spec, booster = tiny
    matrix = to_model_matrix(_applications(500, 3), spec)
    contrib = reasons.contributions(booster, matrix)
    assert contrib.shape == (500, 4)  # three features and the bias
    margin = booster.predict(matrix, raw_score=True)
    np.testing.assert_allclose(contrib.sum(axis=1), margin, atol=1e-9)
    assert not np.allclose(contrib[:, -1], margin)  # the bias alone is not the score


def test_a_stump_contributes_its_leaf_minus_the_expected_leaf() -> None:
    # One split on x at 0.5 learnt from 300 rows below it and 100 above: TreeSHAP gives x
    # exactly its leaf's value minus the count-weighted mean of both leaves, and the bias that
    # mean.
    x = np.r_[np.zeros(300), np.ones(100)][:, None]
    y = np.r_[np.zeros(270), np.ones(30), np.zeros(40), np.ones(60)]
    params = {"objective": "binary", "num_leaves": 2, "min_data_in_leaf": 1, "verbosity": -1}
    booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=1)
    root = booster.dump_model()["tree_info"][0]["tree_structure"]
    low, high = root["left_child"]["leaf_value"], root["right_child"]["leaf_value"]
    expected = (300 * low + 100 * high) / 400
    contrib = reasons.contributions(booster, np.array([[0.0], [1.0]]))
    np.testing.assert_allclose(contrib, [[low - expected, expected], [high - expected, expected]])


def test_top_reasons_keep_positive_contributions_largest_first_at_most_four() -> None:
    contrib = np.array(
        [
            [0.1, 0.5, -0.2, 0.3, 0.05, 0.4, 9.0],  # six features, five positive; bias 9
            [-0.1, -0.2, 0.0, -0.3, -0.1, -0.4, 5.0],  # nothing pushes risk up
            [0.2, 0.2, -1.0, 0.0, 0.0, 0.0, -1.0],  # a tie keeps feature order
        ]
    )
    top = reasons.top_reasons(contrib)
    np.testing.assert_array_equal(top, [[1, 5, 3, 0], [-1, -1, -1, -1], [0, 1, -1, -1]])
    np.testing.assert_array_equal(reasons.top_reasons(contrib, top_n=2)[0], [1, 5])


def test_the_riskiest_feature_is_the_top_reason_of_a_decline(tiny) -> None:
    spec, booster = tiny
    # Heavily indebted but long with us: debt must lead, and tenure (lowering risk) is no
    # reason at all.
    applicant = pd.DataFrame(
        {"application_id": ["x"], "debt_ratio": [0.95], "tenure": [0.9], "noise": [0.5]}
    )
    matrix = to_model_matrix(applicant, spec)
    assert booster.predict(matrix)[0] > spec.decision.cutoff
    contrib = reasons.contributions(booster, matrix)
    assert contrib[0, 0] > 0 > contrib[0, 1]
    top = reasons.top_reasons(contrib)[0]
    assert top[0] == 0 and 1 not in top


def test_statements_are_the_specs_and_unreviewed_features_say_so(tiny) -> None:
    spec, booster = tiny
    said = reasons.statements(spec, booster.feature_name())
    assert said == {
        "debt_ratio": {"statement": "Debt is high", "reviewed": True},
        "tenure": {"statement": "Short time with us", "reviewed": True},
        "noise": {"statement": "Unrelated number.", "reviewed": False},
    }


def test_only_declines_get_reasons_and_the_examples_are_the_first_declines(tiny) -> None:
    spec, booster = tiny
    oot = _applications(2_000, 4)
    score = booster.predict(to_model_matrix(oot, spec))
    block = reasons.reason_codes(spec, booster, oot, score)
    declined = np.flatnonzero(score > spec.decision.cutoff)
    assert 0 < declined.size < len(oot)
    assert block["scored"] == 2_000 and block["declined"] == declined.size
    assert block["explained"] == declined.size and block["top_n"] == 4
    assert [x["application_id"] for x in block["examples"]] == [
        oot["application_id"][i] for i in declined[: reasons.EXAMPLES]
    ]
    matrix = to_model_matrix(oot, spec)
    for example, row in zip(block["examples"], declined, strict=False):
        assert example["score"] == pytest.approx(score[row])
        contrib = reasons.contributions(booster, matrix[[row]])[0]
        expected = [j for j in np.argsort(-contrib[:-1], kind="stable") if contrib[j] > 0]
        assert [r["feature"] for r in example["reasons"]] == [
            spec.model_features[j] for j in expected
        ]
        assert [r["contribution"] for r in example["reasons"]] == pytest.approx(
            [contrib[j] for j in expected]
        )
        said = {"debt_ratio": "Debt is high", "tenure": "Short time with us"}
        said["noise"] = "Unrelated number."
        assert all(r["statement"] == said[r["feature"]] for r in example["reasons"])
    # Debt drives this model: it is the top reason of almost every decline.
    top = block["frequency"][0]
    assert top["feature"] == "debt_ratio" and top["top_reason_share"] > 0.9
    shares = [f["top_reason_share"] for f in block["frequency"]]
    assert shares == sorted(shares, reverse=True) and sum(shares) <= 1 + 1e-12
    assert all(f["any_reason_share"] >= f["top_reason_share"] for f in block["frequency"])
    # Debt back to the approved applicants' median lowers nearly every decline's risk.
    assert block["fidelity"]["n"] == declined.size - block["without_reason"]
    assert block["fidelity"]["share"] > 0.9


def test_arrow_rows_give_the_same_block(tiny) -> None:
    spec, booster = tiny
    oot = _applications(800, 5)
    score = booster.predict(to_model_matrix(oot, spec))
    table = pa.Table.from_pandas(oot, preserve_index=False)
    assert reasons.reason_codes(spec, booster, table, score) == reasons.reason_codes(
        spec, booster, oot, score
    )


def test_without_declines_nothing_is_explained(tiny) -> None:
    spec, booster = tiny
    oot = _applications(300, 6)
    score = np.zeros(300)  # everyone approved
    block = reasons.reason_codes(spec, booster, oot, score)
    assert block["declined"] == 0 and block["examples"] == [] and block["frequency"] == []
    assert block["fidelity"]["share"] is None and block["fidelity"]["n"] == 0


def test_fidelity_counts_declines_whose_risk_falls_at_the_approved_value() -> None:
    # One split: x above 0.5 is risky; the second column is not in the model.
    x = np.r_[np.zeros(200), np.ones(200)]
    data = np.c_[x, np.random.default_rng(0).random(400)]
    labels = np.r_[np.zeros(180), np.ones(20), np.zeros(100), np.ones(100)]
    params = {"objective": "binary", "num_leaves": 2, "min_data_in_leaf": 1, "verbosity": -1}
    booster = lgb.train(params, lgb.Dataset(data, labels), num_boost_round=1)
    declined = np.array([[1.0, 0.3], [1.0, 0.3], [1.0, 0.3]])
    # x back to the approved median 0 lowers the risk of the first decline; the second's top
    # reason is the unused column, so moving it changes nothing; the third has no reason and
    # is not counted.
    top = np.array([0, 1, -1])
    result = reasons.fidelity(booster, declined, top, np.array([0.0, 0.7]))
    assert (result["share"], result["n"]) == (pytest.approx(1 / 2), 2)
    assert result["definition"] == reasons.FIDELITY_DEFINITION
    # No approved value for x: the first is not counted either.
    no_value = reasons.fidelity(booster, declined, top, np.array([np.nan, 0.7]))
    assert (no_value["share"], no_value["n"]) == (0.0, 1)
    # Approved applicants' x is the declines' own: nothing falls.
    already = reasons.fidelity(booster, declined, top, np.array([1.0, 0.7]))
    assert (already["share"], already["n"]) == (0.0, 2)


def test_the_approved_reference_is_the_median_or_the_most_common_level() -> None:
    spec = _spec(more={"categorical": {"channel": {"values": ["web", "app", "shop"]}}})
    approved = pd.DataFrame(
        {
            "debt_ratio": [0.1, 0.4, 0.2, np.nan],
            "tenure": [np.nan] * 4,
            "noise": [1.0, 2.0, 3.0, 4.0],
            "channel": ["app", "shop", "app", None],
        }
    )
    columns = spec.model_features
    matrix = to_model_matrix(approved, spec, columns)
    reference = reasons.approved_reference(spec, columns, matrix)
    np.testing.assert_array_equal(reference, [0.2, np.nan, 2.5, 1.0])  # "app" is level 1


def test_the_declines_explained_are_the_first_and_a_seeded_sample() -> None:
    declined = np.arange(0, 30_000, 3)
    picked = reasons.explained_declines(declined, limit=1_000)
    assert picked.size == 1_000 and np.all(np.diff(picked) > 0)
    assert set(picked) <= set(declined)
    np.testing.assert_array_equal(picked[: reasons.EXAMPLES], declined[: reasons.EXAMPLES])
    np.testing.assert_array_equal(picked, reasons.explained_declines(declined, limit=1_000))
    np.testing.assert_array_equal(reasons.explained_declines(declined[:500]), declined[:500])
