"""The logistic-regression benchmark: it wins where a linear model must, reads missing values
and unseen levels as the challenger does, and fills its block of the evaluation record."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ml_platform_assets.core import benchmark, deciles, metrics
from ml_platform_assets.core.gates import evaluate_gates
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.training import predict, train_model
from tests.core.hand_specs import hand_spec

SIGNALS = 30  # features each carrying a little of a linear log-odds


def _spec() -> ModelSpec:
    return hand_spec(
        "thin_linear",
        "A linear signal spread thinly over many features, few rows.",
        {
            "numeric": {f"x{i}": {} for i in range(SIGNALS)},
            "categorical": {"channel": {"values": ["web", "app", "shop"]}},
        },
        {
            "objective": "binary",
            "num_leaves": 4,
            "min_data_in_leaf": 20,
            "learning_rate": 0.1,
            "num_boost_round": 200,
            "early_stopping_rounds": 20,
            "num_threads": 1,
        },
        cutoff=0.3,
        max_auc_gap_vs_benchmark=0.01,
    )


SPEC = _spec()


def _rows(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, SIGNALS))
    channel = rng.choice(["web", "app"], n)  # "shop" is declared but never seen in training
    logit = -1.0 + x.sum(axis=1) * 0.25 + np.where(channel == "app", 0.5, 0.0)
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(SIGNALS)])
    frame["x0"] = frame["x0"].mask(rng.random(n) < 0.1)  # a tenth missing
    return frame.assign(
        channel=channel,
        application_id=[f"r{seed}-{i}" for i in range(n)],
        is_bad=(rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int8"),
    )


@pytest.fixture(scope="module")
def thin():
    train, valid, oot = _rows(1_000, 1), _rows(500, 2), _rows(3_000, 3)
    booster = train_model(train, valid, SPEC).booster
    challenger_auc = metrics.auc(oot["is_bad"], predict(booster, oot, SPEC))
    return train, oot, challenger_auc


def test_logistic_regression_wins_on_a_thin_linear_signal_and_the_gap_gate_fails(thin) -> None:
    train, oot, challenger_auc = thin
    block = benchmark.benchmark(SPEC, train, oot, challenger_auc)
    assert block["metrics"]["auc"] > challenger_auc + 0.03
    assert block["auc_gap"] == pytest.approx(challenger_auc - block["metrics"]["auc"])
    gates = evaluate_gates(
        SPEC.gates, challenger_auc, None, 0.01, benchmark_auc=block["metrics"]["auc"]
    )
    gate = next(g for g in gates if g.name == "auc_vs_benchmark")
    assert not gate.passed and gate.observed == pytest.approx(block["auc_gap"])
    assert gate.threshold == 0.01


def test_the_block_is_what_the_record_promises(thin) -> None:
    train, oot, challenger_auc = thin
    block = benchmark.benchmark(SPEC, train, oot, challenger_auc)
    assert block["method"] == "logistic_regression" and block["converged"] is True
    assert block["train_rows"] == 1_000 and "1,000 rows" in block["description"]
    assert block["params"]["C"] == 1.0 and block["params"]["penalty"] == "l2"
    y, score = (
        oot["is_bad"],
        benchmark.predict_benchmark(benchmark.fit_benchmark(SPEC, train)[0], oot, SPEC),
    )
    assert block["metrics"] == metrics.discrimination_summary(y, score)
    assert block["calibration"] == deciles.calibration_by_decile(y, score).to_dict("records")
    magnitudes = [abs(c["coefficient"]) for c in block["coefficients"]]
    assert len(magnitudes) == 20 and magnitudes == sorted(magnitudes, reverse=True)
    names = {c["feature"] for c in block["coefficients"]}
    assert "channel_app" in names  # the level that carries signal, by its name
    # Refitted, never stored: the same rows give the same benchmark, from pandas or Arrow.
    tables = [pa.Table.from_pandas(rows, preserve_index=False) for rows in (train, oot)]
    assert benchmark.benchmark(SPEC, *tables, challenger_auc) == block


def test_missing_values_and_unseen_levels_are_scored(thin) -> None:
    train, _, _ = thin
    pipeline, _ = benchmark.fit_benchmark(SPEC, train)
    names = benchmark.input_names(pipeline)
    assert "missingindicator_x0" in names and "x1" in names
    assert {n for n in names if n.startswith("channel_")} == {"channel_app", "channel_web"}
    row = train.iloc[[0] * 4].copy()
    # "shop" is declared but was never seen, "kiosk" is not declared (the challenger reads it
    # as missing) and None is missing: each adds nothing, so the three score alike.
    row["channel"] = ["shop", "kiosk", None, "app"]
    row.loc[row.index[0], "x0"] = np.nan
    row = row.reset_index(drop=True)
    score = benchmark.predict_benchmark(pipeline, row, SPEC)
    assert np.isfinite(score).all()
    base = row.assign(x0=row["x0"].iloc[1])
    same = benchmark.predict_benchmark(pipeline, base, SPEC)
    assert same[0] == pytest.approx(same[1]) == pytest.approx(same[2])
    assert same[3] != pytest.approx(same[2])


def test_large_training_splits_are_sampled(thin, monkeypatch) -> None:
    train, oot, challenger_auc = thin
    monkeypatch.setattr(benchmark, "BENCHMARK_ROWS", 400)
    block = benchmark.benchmark(SPEC, train, oot, challenger_auc)
    assert block["train_rows"] == 400 and block["params"]["row_cap"] == 400
    assert block == benchmark.benchmark(SPEC, train, oot, challenger_auc)


def test_a_single_class_cannot_be_benchmarked(thin) -> None:
    train, oot, challenger_auc = thin
    with pytest.raises(benchmark.BenchmarkError, match="thin_linear: the benchmark needs bad"):
        benchmark.benchmark(SPEC, train.assign(is_bad=0), oot, challenger_auc)


def test_extreme_but_valid_values_cannot_break_it(thin) -> None:
    """A lender's income of 1e300 is finite, so valid: a mean-and-variance scaler overflows
    on it and scores every row NaN; rank-based normal scores do not."""
    train, oot, challenger_auc = thin
    train, oot = train.copy(), oot.copy()
    train.loc[train.index[:5], "x1"] = 1e300
    oot.loc[oot.index[:5], "x1"] = -1e300
    block = benchmark.benchmark(SPEC, train, oot, challenger_auc)
    assert np.isfinite(block["metrics"]["auc"]) and block["metrics"]["auc"] > 0.6


def test_a_level_named_missing_stays_apart_from_missing_values(thin) -> None:
    """A lender may call a level "missing": it and the rows without a value are two inputs
    with two names, not one column (nor a clash of names that stops the evaluation)."""
    train, oot, challenger_auc = thin
    fields = SPEC.model_dump(mode="json")
    fields["features"]["categorical"]["channel"]["values"] = ["web", "app", "missing"]
    spec = ModelSpec.model_validate(fields)
    rows = train.copy()
    rows.loc[rows.index[:100], "channel"] = None
    rows.loc[rows.index[100:300], "channel"] = "missing"
    pipeline, _ = benchmark.fit_benchmark(spec, rows)
    names = benchmark.input_names(pipeline)
    assert {n for n in names if n.startswith("channel_")} == {
        "channel_web",
        "channel_app",
        "channel_missing",
        "channel_(missing)",
    }
    block = benchmark.benchmark(spec, rows, oot, challenger_auc)
    assert len(block["coefficients"]) == 20


def test_a_feature_named_like_another_features_input_does_not_stop_the_benchmark(thin) -> None:
    """A numeric feature called "channel_app" beside the level "app" of "channel": two inputs
    with the same name for people, never a clash that fails the evaluation."""
    train, oot, challenger_auc = thin
    fields = SPEC.model_dump(mode="json")
    fields["features"]["numeric"]["channel_app"] = {}
    spec = ModelSpec.model_validate(fields)
    rows, later = (r.assign(channel_app=r["x1"]) for r in (train, oot))
    block = benchmark.benchmark(spec, rows, later, challenger_auc)
    pipeline, _ = benchmark.fit_benchmark(spec, rows)
    assert benchmark.input_names(pipeline).count("channel_app") == 2
    assert len(block["coefficients"]) == 20


def test_wide_one_hot_inputs_are_fitted_with_lbfgs(thin) -> None:
    """Newton-Cholesky's cost grows with the square of the inputs: a categorical with
    thousands of levels goes to lbfgs."""
    assert benchmark.input_width(SPEC) == 2 * SIGNALS + 4
    assert benchmark.solver_params(SPEC)["solver"] == "newton-cholesky"
    fields = SPEC.model_dump(mode="json")
    fields["features"]["categorical"]["shop"] = {"values": [f"s{i}" for i in range(2_000)]}
    wide = ModelSpec.model_validate(fields)
    assert benchmark.solver_params(wide)["solver"] == "lbfgs"
    train, oot, challenger_auc = thin
    rng = np.random.default_rng(4)
    rows, later = (r.assign(shop=rng.choice(["s1", "s7"], len(r))) for r in (train, oot))
    block = benchmark.benchmark(wide, rows, later, challenger_auc)
    assert block["params"]["solver"] == "lbfgs" and block["converged"] is True


@pytest.mark.parametrize("label", [np.nan, 2])
def test_a_label_other_than_0_or_1_is_refused(thin, label) -> None:
    """A missing label must not quietly become a third class (whose predict_proba column 1
    would then be the probability of good)."""
    train, oot, challenger_auc = thin
    rows = train.astype({"is_bad": float})
    rows.loc[rows.index[:3], "is_bad"] = label
    with pytest.raises(benchmark.BenchmarkError, match="labels 0 .good. or 1 .bad.; 3 of the"):
        benchmark.benchmark(SPEC, rows, oot, challenger_auc)
