"""Out-of-time evaluation of a challenger, side by side with the champion on the same rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pyarrow as pa

from ml_platform_assets.core import deciles, metrics, stability
from ml_platform_assets.core.benchmark import benchmark
from ml_platform_assets.core.evaluation_record import RECORD_VERSION
from ml_platform_assets.core.fairness import fairness, lowest_ratio, unmeasured
from ml_platform_assets.core.features import to_model_matrix
from ml_platform_assets.core.gates import evaluate_gates
from ml_platform_assets.core.reasons import reason_codes
from ml_platform_assets.core.schemas import LABEL
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.training import feature_importance
from ml_platform_assets.core.training_set import sample_rows
from ml_platform_assets.core.validation import Rows

# Training rows that stand for the training distribution in score PSI and CSI. Decile shares
# from 200k rows are within about 0.001 of the full set's, far below the PSI thresholds.
SCORE_REFERENCE_ROWS = 200_000


@dataclass(frozen=True)
class Champion:
    """The model in service: its version, booster and the spec it was trained with."""

    version: int
    booster: lgb.Booster
    spec: ModelSpec


def reference_rows(train: Rows) -> Rows:
    """Training rows that stand for the training distribution in score PSI and CSI: all of
    them up to ``SCORE_REFERENCE_ROWS``, else a seeded sample of that many."""
    return sample_rows(train, SCORE_REFERENCE_ROWS)


def _scores(
    models: list[tuple[lgb.Booster, ModelSpec]], reference: Rows, oot: Rows
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each model's probabilities of bad on the reference and out-of-time rows.

    Columns follow each booster's own feature names, as ``core.training.predict`` does; models
    that read the same inputs with the same categorical levels share one pair of matrices.
    """
    matrices: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    scores = []
    for booster, spec in models:
        columns = booster.feature_name()
        levels = spec.features.categorical
        key = (tuple(columns), tuple(tuple(levels[c].values) for c in columns if c in levels))
        if key not in matrices:
            matrices[key] = tuple(to_model_matrix(rows, spec, columns) for rows in (reference, oot))
        on_reference, on_oot = matrices[key]
        scores.append((booster.predict(on_reference), booster.predict(on_oot)))
    return scores


def _scored(y: np.ndarray, score: np.ndarray, reference_score: np.ndarray) -> dict:
    calibration = deciles.calibration_by_decile(y, score)
    return {
        "metrics": metrics.discrimination_summary(y, score),
        "calibration": calibration.to_dict(orient="records"),
        "lift_by_decile": deciles.lift_by_decile(y, score).to_dict(orient="records"),
        "score_psi": stability.psi(reference_score, score),
    }


def evaluate(
    spec: ModelSpec,
    booster: lgb.Booster,
    train: Rows,
    oot: Rows,
    champion: Champion | None,
    provenance: dict,
) -> dict:
    """The evaluation record of one challenger (``core.evaluation_record.Evaluation``).

    ``train`` and ``oot`` are feature rows with the label, as DataFrames or Arrow tables:
    ``train`` is the training split the challenger learned from (its ``reference_rows`` stand
    for the training distribution; the benchmark is fitted on it), ``oot`` the out-of-time rows
    with the protected attributes. ``provenance`` carries model, version, windows and
    fingerprints into the record unchanged.
    """
    y = oot[LABEL].to_numpy()
    models = [(booster, spec)] + ([(champion.booster, champion.spec)] if champion else [])
    numeric = [*spec.features.numeric, *spec.features.derived]
    categorical = list(spec.features.categorical)
    if isinstance(train, pa.Table):
        # Sampling copies rows: only the columns the models, CSI and the benchmark read are
        # worth copying.
        used = {*numeric, *categorical, *(c for b, _ in models for c in b.feature_name()), LABEL}
        train = train.select([c for c in train.column_names if c in used])
    reference = reference_rows(train)
    scores = _scores(models, reference, oot)
    challenger = _scored(y, scores[0][1], scores[0][0])
    champion_block = _scored(y, scores[1][1], scores[1][0]) if champion else None
    benchmark_block = benchmark(spec, train, oot, challenger["metrics"]["auc"])
    fairness_block = fairness(spec, oot, scores[0][1])
    gate_results = evaluate_gates(
        spec.gates,
        auc=challenger["metrics"]["auc"],
        champion_auc=champion_block["metrics"]["auc"] if champion_block else None,
        score_psi=challenger["score_psi"],
        benchmark_auc=benchmark_block["metrics"]["auc"],
        lowest_air=lowest_ratio(fairness_block),
        unmeasured_air=unmeasured(fairness_block),
    )
    passed = all(g.passed for g in gate_results)
    return {
        "record_version": RECORD_VERSION,
        **provenance,
        "champion_version": champion.version if champion else None,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "challenger": challenger,
        "champion": champion_block,
        "benchmark": benchmark_block,
        "csi": stability.csi(reference, oot, numeric, categorical),
        "feature_importance": feature_importance(booster),
        "fairness": fairness_block,
        "reason_codes": reason_codes(spec, booster, oot, scores[0][1]),
        "gates": [g.as_dict() for g in gate_results],
        "passed": passed,
        # Passing every gate only makes a version eligible; deployed_model records the move.
        "decision": "pending" if passed else "rejected",
    }
