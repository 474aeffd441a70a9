"""Out-of-time evaluation: the reference sample, Arrow and pandas inputs, champion scoring."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ml_platform_assets.core import deciles, evaluation, metrics
from ml_platform_assets.core.evaluation import Champion, evaluate, reference_rows
from ml_platform_assets.core.evaluation_record import RECORD_VERSION, evaluation_to_json
from ml_platform_assets.core.fairness import fairness, lowest_ratio
from ml_platform_assets.core.gates import GATE_NAMES
from ml_platform_assets.core.spec import load_specs
from ml_platform_assets.core.spec_features import CategoricalFeature
from ml_platform_assets.core.training import predict, train_model

BASE = load_specs()["credit_default"]
SPEC = BASE.model_copy(update={"lightgbm": {**BASE.lightgbm, "num_boost_round": 30}})
PROVENANCE = {"model": "credit_default", "version": 2}


@pytest.fixture(scope="module")
def trained(labelled_days):
    def _days(first: int, count: int) -> pd.DataFrame:
        return labelled_days(SPEC, first, count, rows=2_000, seed=5)

    train, valid, oot = _days(0, 3), _days(3, 1), _days(6, 1)
    return train_model(train, valid, SPEC).booster, train, oot


def test_reference_rows_are_the_sample_pandas_draws(monkeypatch) -> None:
    frame = pd.DataFrame({"x": np.arange(300.0), "level": [f"l{i % 7}" for i in range(300)]})
    assert reference_rows(frame) is frame
    monkeypatch.setattr(evaluation, "SCORE_REFERENCE_ROWS", 120)
    expected = frame.sample(n=120, random_state=0)
    pd.testing.assert_frame_equal(reference_rows(frame), expected)
    from_arrow = reference_rows(pa.Table.from_pandas(frame, preserve_index=False))
    pd.testing.assert_frame_equal(from_arrow.to_pandas(), expected.reset_index(drop=True))


def _record(spec, booster, train, oot, champion) -> str:
    record = evaluate(spec, booster, train, oot, champion, PROVENANCE)
    return evaluation_to_json(record | {"created_at": "fixed"})


def test_arrow_tables_evaluate_exactly_like_dataframes(trained, monkeypatch) -> None:
    booster, train, oot = trained
    monkeypatch.setattr(evaluation, "SCORE_REFERENCE_ROWS", 4_000)  # sample from 6,000 rows
    champion = Champion(version=1, booster=booster, spec=SPEC)
    tables = [pa.Table.from_pandas(rows, preserve_index=False) for rows in (train, oot)]
    assert _record(SPEC, booster, *tables, champion) == _record(SPEC, booster, train, oot, champion)


def _reordered_state_spec():
    """SPEC with the state levels in another order, so its models read other category codes."""
    state = SPEC.features.categorical["state"]
    reordered = CategoricalFeature(values=state.values[::-1], description=state.description)
    features = SPEC.features.model_copy(
        update={"categorical": {**SPEC.features.categorical, "state": reordered}}
    )
    return SPEC.model_copy(update={"features": features})


def test_a_champion_is_scored_with_its_own_spec(trained) -> None:
    booster, train, oot = trained
    # The champion's spec lists a level in another order, so it reads other category codes.
    champion_spec = _reordered_state_spec()
    record = evaluate(SPEC, booster, train, oot, Champion(1, booster, champion_spec), PROVENANCE)
    y = oot["is_bad"].to_numpy()
    own = metrics.discrimination_summary(y, predict(booster, oot, champion_spec))
    assert record["champion"]["metrics"] == own
    assert record["champion"]["metrics"] != record["challenger"]["metrics"]


def test_the_record_holds_each_models_lift_table_beside_its_calibration(trained) -> None:
    booster, train, oot = trained
    # The champion is the same booster read with its own spec: other scores, another table.
    champion_spec = _reordered_state_spec()
    record = evaluate(SPEC, booster, train, oot, Champion(1, booster, champion_spec), PROVENANCE)
    y = oot["is_bad"].to_numpy()
    for side, spec in (("challenger", SPEC), ("champion", champion_spec)):
        score = predict(booster, oot, spec)
        block = record[side]
        assert set(block) == {"metrics", "calibration", "lift_by_decile", "score_psi"}
        lift = deciles.lift_by_decile(y, score).to_dict("records")
        assert block["lift_by_decile"] == lift
        assert block["calibration"] == deciles.calibration_by_decile(y, score).to_dict("records")
        # Same deciles as the calibration table, riskiest first.
        assert [r["n"] for r in lift] == [r["n"] for r in block["calibration"]][::-1]
    assert record["champion"]["lift_by_decile"] != record["challenger"]["lift_by_decile"]
    without_champion = evaluate(SPEC, booster, train, oot, None, PROVENANCE)
    assert without_champion["champion"] is None
    assert (
        without_champion["challenger"]["lift_by_decile"] == record["challenger"]["lift_by_decile"]
    )


def test_the_record_holds_benchmark_fairness_and_reasons_of_the_challenger(trained) -> None:
    booster, train, oot = trained
    record = evaluate(SPEC, booster, train, oot, Champion(1, booster, SPEC), PROVENANCE)
    score = predict(booster, oot, SPEC)
    cutoff = SPEC.decision.cutoff
    assert record["record_version"] == RECORD_VERSION
    bench = record["benchmark"]
    assert bench["method"] == "logistic_regression" and bench["train_rows"] == len(train)
    assert bench["auc_gap"] == pytest.approx(
        record["challenger"]["metrics"]["auc"] - bench["metrics"]["auc"]
    )
    assert bench["metrics"]["n"] == len(oot)
    # Fairness and reasons read the challenger's scores on the out-of-time rows at the cutoff.
    assert record["fairness"] == fairness(SPEC, oot, score)
    assert record["fairness"]["cutoff"] == record["reason_codes"]["cutoff"] == cutoff
    codes = record["reason_codes"]
    assert codes["scored"] == len(oot) and codes["declined"] == int((score > cutoff).sum())
    assert codes["top_n"] == 4 and set(codes["statements"]) == set(SPEC.model_features)
    assert all(s["reviewed"] for s in codes["statements"].values())
    assert all(x["score"] > cutoff for x in codes["examples"])
    assert len(codes["examples"]) == min(20, codes["declined"])
    # The gates carry the benchmark gap and the lowest adverse impact ratio as observed.
    gates = {g["name"]: g for g in record["gates"]}
    assert [g["name"] for g in record["gates"]] == list(GATE_NAMES)
    assert gates["auc_vs_benchmark"]["observed"] == bench["auc_gap"]
    assert gates["adverse_impact_ratio"]["observed"] == lowest_ratio(record["fairness"])[0]
    assert gates["adverse_impact_ratio"]["threshold"] == SPEC.gates.min_adverse_impact_ratio
    json.loads(evaluation_to_json(record))  # every new number is plain JSON


def test_a_failed_optional_gate_rejects_the_challenger(trained) -> None:
    booster, train, oot = trained
    strict = SPEC.model_copy(
        update={"gates": SPEC.gates.model_copy(update={"min_adverse_impact_ratio": 1.0})}
    )
    record = evaluate(strict, booster, train, oot, None, PROVENANCE)
    failed = [g["name"] for g in record["gates"] if not g["passed"]]
    assert failed == ["adverse_impact_ratio"]
    assert record["passed"] is False and record["decision"] == "rejected"
