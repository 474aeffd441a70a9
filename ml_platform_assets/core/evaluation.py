"""Out-of-time evaluation of a challenger, side by side with the champion on the same rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd

from ml_platform_assets.core import metrics
from ml_platform_assets.core.gates import evaluate_gates
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.training import feature_importance, predict
from ml_platform_assets.core.training_set import LABEL

# Training rows that stand for the training distribution in score PSI and CSI. Decile shares
# from 200k rows are within about 0.001 of the full set's, far below the PSI thresholds.
SCORE_REFERENCE_ROWS = 200_000


@dataclass(frozen=True)
class Champion:
    """The model in service: its version, booster and the spec it was trained with."""

    version: int
    booster: lgb.Booster
    spec: ModelSpec


def _scored(y: np.ndarray, score: np.ndarray, reference_score: np.ndarray) -> dict:
    calibration = metrics.calibration_by_decile(y, score)
    return {
        "metrics": metrics.discrimination_summary(y, score),
        "calibration": calibration.to_dict(orient="records"),
        "score_psi": metrics.psi(reference_score, score),
    }


def evaluate(
    spec: ModelSpec,
    booster: lgb.Booster,
    train: pd.DataFrame,
    oot: pd.DataFrame,
    champion: Champion | None,
    provenance: dict,
) -> dict:
    """The evaluation record of one challenger (see ``core.report`` for its shape).

    ``provenance`` carries model, version, windows and fingerprints into the record unchanged.
    """
    y = oot[LABEL].to_numpy()
    if len(train) > SCORE_REFERENCE_ROWS:
        train = train.sample(n=SCORE_REFERENCE_ROWS, random_state=0)
    train_score = predict(booster, train, spec)
    challenger = _scored(y, predict(booster, oot, spec), train_score)
    champion_block = None
    if champion is not None:
        champion_train = predict(champion.booster, train, champion.spec)
        champion_block = _scored(y, predict(champion.booster, oot, champion.spec), champion_train)
    numeric = [*spec.features.numeric, *spec.features.derived]
    gate_results = evaluate_gates(
        spec.gates,
        auc=challenger["metrics"]["auc"],
        champion_auc=champion_block["metrics"]["auc"] if champion_block else None,
        score_psi=challenger["score_psi"],
    )
    return {
        **provenance,
        "champion_version": champion.version if champion else None,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "challenger": challenger,
        "champion": champion_block,
        "csi": metrics.csi(train, oot, numeric, list(spec.features.categorical)),
        "feature_importance": feature_importance(booster),
        "gates": [g.as_dict() for g in gate_results],
        "passed": all(g.passed for g in gate_results),
        # Passing every gate only makes a version eligible; deployed_model records the move.
        "decision": "pending" if all(g.passed for g in gate_results) else "rejected",
    }
