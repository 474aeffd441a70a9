"""The benchmark model: a regularised logistic regression beside every challenger (SR 11-7).

Model-risk practice compares each model with a simple, interpretable one trained on the same
data: when the benchmark scores as well, the complex model has to justify itself. The benchmark
reads the challenger's inputs: numeric and derived features median-imputed with a missing
indicator and mapped to normal scores by rank (a standardisation that extreme values cannot
break), categorical features one-hot (missing is a level of its own; a level not seen in
training, or not in the spec, adds nothing). It is fitted on the training
split's rows (a seeded sample of ``BENCHMARK_ROWS`` when larger), scored on the same
out-of-time rows as the challenger, and never stored: it is refitted whenever it is needed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, QuantileTransformer

from ml_platform_assets.core import deciles, metrics
from ml_platform_assets.core.features import to_model_matrix
from ml_platform_assets.core.schemas import LABEL
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.training_set import sample_rows
from ml_platform_assets.core.validation import Rows
from ml_platform_assets.core.values import label_apart

# Logistic regression gains little from more rows than this: its ~100 coefficients are pinned
# down long before. Measured on credit_default's simulated data (417k training rows, 117k
# out-of-time): out-of-time AUC 0.8012 from 50k rows, 0.8019 from 200k in three times as long.
BENCHMARK_ROWS = 50_000
SEED = 20260101
# scikit-learn's default penalty is L2 (C is its inverse strength).
PARAMS = {"C": 1.0, "max_iter": 1_000}
# Newton-Cholesky is scikit-learn's recommended solver when rows far outnumber inputs: on
# credit_default's 50k rows and ~100 inputs it converges in 5 iterations and 0.2 s where lbfgs
# took 140 and 2.5 s, to the same optimum (out-of-time AUC equal to 4 decimals). Its cost grows
# with the square of the inputs, though (a categorical of 2,000 levels took 12 s against
# lbfgs's 0.2 s), so wider one-hot inputs go to lbfgs.
NEWTON_CHOLESKY_MAX_INPUTS = 200
COEFFICIENTS_SHOWN = 20
QUANTILES = 1_000  # scikit-learn's default; the transformer caps it at the rows it sees
MISSING_LEVEL = "missing"


class BenchmarkError(ValueError):
    """The benchmark cannot be fitted to the training rows."""


def _frame(rows: Rows, spec: ModelSpec) -> pd.DataFrame:
    """The model's inputs as numbers; a categorical feature as its level's index in the spec,
    missing (a level not in the spec included, as the challenger sees it) as one index past
    the last. Integer codes rather than level names: one-hot encoding strings costs several
    times as much, and ``_level_namer`` names the columns by level all the same."""
    names = spec.model_features
    frame = pd.DataFrame(to_model_matrix(rows, spec, names), columns=names)
    for name, feature in spec.features.categorical.items():
        codes = frame[name].to_numpy()
        frame[name] = np.where(np.isnan(codes), len(feature.values), codes).astype(np.int64)
    return frame


def _level_namer(spec: ModelSpec):
    """OneHotEncoder's ``feature_name_combiner``: ``channel`` and code 1 -> ``channel_app``."""
    levels = {
        # A lender's level may be called "missing": it and the missing values stay two columns.
        name: [*f.values, label_apart(MISSING_LEVEL, f.values)]
        for name, f in spec.features.categorical.items()
    }

    def level_name(feature: str, code) -> str:
        names = levels.get(feature)  # scikit-learn also tries it on placeholder names
        return f"{feature}_{names[int(code)] if names else code}"

    return level_name


def input_width(spec: ModelSpec) -> int:
    """The benchmark's inputs after preprocessing, at most: per numeric or derived feature its
    normal score and missing indicator, per categorical feature one column a declared level
    plus one for missing."""
    numeric = len(spec.features.numeric) + len(spec.features.derived)
    return 2 * numeric + sum(len(f.values) + 1 for f in spec.features.categorical.values())


def solver_params(spec: ModelSpec) -> dict:
    """LogisticRegression's parameters for ``spec``: ``PARAMS`` and the solver its width
    suits (see ``NEWTON_CHOLESKY_MAX_INPUTS``)."""
    narrow = input_width(spec) <= NEWTON_CHOLESKY_MAX_INPUTS
    return {**PARAMS, "solver": "newton-cholesky" if narrow else "lbfgs"}


def benchmark_pipeline(spec: ModelSpec) -> Pipeline:
    """The unfitted benchmark: preprocessing and L2-regularised logistic regression."""
    numeric = [*spec.features.numeric, *spec.features.derived]
    categorical = list(spec.features.categorical)
    preprocess = ColumnTransformer(
        [
            # Ranks mapped to normal scores rather than (x - mean) / sd: a valid but extreme
            # value (an income of 1e300) would overflow the variance and make every score NaN.
            ("numeric", make_pipeline(
                SimpleImputer(strategy="median", add_indicator=True),
                QuantileTransformer(
                    n_quantiles=QUANTILES, output_distribution="normal", random_state=SEED
                ),
            ), numeric),
            ("categorical", OneHotEncoder(
                handle_unknown="ignore", feature_name_combiner=_level_namer(spec)
            ), categorical),
        ],
        # Prefixed by transformer: a numeric feature called "channel_app" and the level "app"
        # of "channel" are two inputs. ``input_names`` drops the prefixes for people.
        verbose_feature_names_out=True,
    )  # fmt: skip
    model = LogisticRegression(**solver_params(spec), random_state=SEED)
    return Pipeline([("preprocess", preprocess), ("model", model)])


def fit_benchmark(spec: ModelSpec, rows: Rows) -> tuple[Pipeline, bool]:
    """The benchmark fitted on ``rows`` (feature rows with the label, DataFrame or Arrow
    table), and whether the solver converged within ``max_iter`` (an unconverged fit is still
    a usable, if weaker, benchmark).

    Raises:
        BenchmarkError: a label is not 0 or 1, or the rows do not hold both bad and good
            outcomes.
    """
    labels = np.asarray(rows[LABEL], dtype=float)
    other = ~np.isin(labels, (0.0, 1.0))
    if other.any():
        raise BenchmarkError(
            f"{spec.name}: the benchmark needs labels 0 (good) or 1 (bad); {int(other.sum()):,} "
            f"of the {labels.size:,} training rows hold another value or none"
        )
    y = labels.astype(int)
    if np.unique(y).size < 2:
        raise BenchmarkError(
            f"{spec.name}: the benchmark needs bad and good training rows; the {y.size:,} "
            "training rows hold only one of them"
        )
    pipeline = benchmark_pipeline(spec)
    with warnings.catch_warnings():
        # Recorded in the result instead: the warning would only reach a log nobody reads.
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(_frame(rows, spec), y)
    return pipeline, int(pipeline.named_steps["model"].n_iter_[0]) < PARAMS["max_iter"]


def input_names(pipeline: Pipeline) -> list[str]:
    """The fitted benchmark's inputs as people read them: a numeric feature's name,
    ``missingindicator_<feature>``, or ``<feature>_<level>``."""
    names = pipeline.named_steps["preprocess"].get_feature_names_out()
    return [str(name).split("__", 1)[1] for name in names]


def predict_benchmark(pipeline: Pipeline, rows: Rows, spec: ModelSpec) -> np.ndarray:
    """Probability of bad for feature rows."""
    return pipeline.predict_proba(_frame(rows, spec))[:, 1]


def coefficients(pipeline: Pipeline, top: int = COEFFICIENTS_SHOWN) -> list[dict]:
    """The largest coefficients by magnitude, on the normal-score (numeric) or one-hot
    (categorical) scale, as ``[{"feature": str, "coefficient": float}]``."""
    names = input_names(pipeline)
    values = pipeline.named_steps["model"].coef_[0]
    order = np.argsort(-np.abs(values), kind="stable")[:top]
    return [{"feature": str(names[i]), "coefficient": float(values[i])} for i in order]


def benchmark(spec: ModelSpec, train: Rows, oot: Rows, challenger_auc: float) -> dict:
    """The benchmark block of an evaluation record (``core.evaluation_record.Benchmark``).

    ``train`` is the training split the challenger learned from (fitted on all of it up to
    ``BENCHMARK_ROWS``, else on a seeded sample of that many), ``oot`` the out-of-time rows it
    was scored on, both with the label; ``auc_gap`` is the challenger's AUC minus the
    benchmark's (negative when the benchmark wins).
    """
    rows = sample_rows(train, BENCHMARK_ROWS, seed=0)
    pipeline, converged = fit_benchmark(spec, rows)
    y = np.asarray(oot[LABEL], dtype=float)
    score = predict_benchmark(pipeline, oot, spec)
    summary = metrics.discrimination_summary(y, score)
    train_rows = len(rows)
    unconverged = "" if converged else f" The solver stopped at max_iter={PARAMS['max_iter']}."
    return {
        "method": "logistic_regression",
        "description": (
            f"L2-regularised logistic regression (C={PARAMS['C']}) on {train_rows:,} rows of "
            "the challenger's training split: numeric features median-imputed with missing "
            "indicators and mapped to normal scores by rank, categorical features one-hot "
            "(unseen levels ignored); scored on the challenger's out-of-time rows. "
            f"Coefficients are per normal score or per level.{unconverged}"
        ),
        "train_rows": train_rows,
        "converged": converged,
        "params": {
            "penalty": "l2",
            **solver_params(spec),
            "random_state": SEED,
            "row_cap": BENCHMARK_ROWS,
        },
        "metrics": summary,
        "calibration": deciles.calibration_by_decile(y, score).to_dict(orient="records"),
        "coefficients": coefficients(pipeline),
        "auc_gap": challenger_auc - summary["auc"],
    }
