"""LightGBM training and the model artifact: LightGBM text plus its sha256, never a pickle."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd

from ml_platform_assets.core.features import categorical_indices, to_model_matrix
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.training_set import LABEL
from ml_platform_assets.core.validation import Rows

SEED = 20260101
# Keys the platform controls; a spec setting them would break reproducibility or the contract.
_RESERVED = {"seed", "monotone_constraints", "categorical_feature", "verbosity", "metric"}


class ArtifactIntegrityError(RuntimeError):
    """A stored model whose bytes do not match the checksum recorded for it."""


@dataclass(frozen=True)
class TrainedModel:
    booster: lgb.Booster
    text: str
    sha256: str
    params: dict
    best_iteration: int
    features: list[str]


def lightgbm_params(spec: ModelSpec) -> tuple[dict, int, int]:
    """(booster params, max rounds, early-stopping patience) from the spec."""
    params = {k: v for k, v in spec.lightgbm.items() if k not in _RESERVED}
    rounds = int(params.pop("num_boost_round", 300))
    patience = int(params.pop("early_stopping_rounds", 30))
    params.setdefault("objective", "binary")
    params.update(
        seed=SEED,
        deterministic=True,
        monotone_constraints=spec.monotone_vector,
        # Monotone constraints are only guaranteed with this method across splits.
        monotone_constraints_method="advanced",
        metric="auc",
        verbosity=-1,
    )
    return params, rounds, patience


def train_model(train: Rows, valid: Rows, spec: ModelSpec) -> TrainedModel:
    """Fit LightGBM with early stopping on the validation slice (Arrow tables or DataFrames)."""
    params, rounds, patience = lightgbm_params(spec)
    names = spec.model_features
    cats = categorical_indices(spec)
    train_set = lgb.Dataset(
        to_model_matrix(train, spec),
        label=train[LABEL].to_numpy(),
        feature_name=names,
        categorical_feature=cats,
        free_raw_data=True,
    )
    valid_set = lgb.Dataset(
        to_model_matrix(valid, spec), label=valid[LABEL].to_numpy(), reference=train_set
    )
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=rounds,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(patience, verbose=False)],
    )
    text = booster.model_to_string(num_iteration=booster.best_iteration or -1)
    return TrainedModel(
        booster=lgb.Booster(model_str=text),
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        params={**params, "num_boost_round": rounds, "early_stopping_rounds": patience},
        best_iteration=int(booster.best_iteration or booster.current_iteration()),
        features=names,
    )


def load_model(text: bytes, expected_sha256: str, where: str) -> lgb.Booster:
    """A booster from stored LightGBM text, after proving the bytes are the recorded ones."""
    actual = hashlib.sha256(text).hexdigest()
    if actual != expected_sha256:
        raise ArtifactIntegrityError(
            f"{where}: checksum mismatch (recorded {expected_sha256[:12]}…, found {actual[:12]}…)"
            "; refusing to load a model that is not the one registered"
        )
    return lgb.Booster(model_str=text.decode())


def predict(booster: lgb.Booster, features: pd.DataFrame, spec: ModelSpec) -> np.ndarray:
    """Probability of bad for feature rows.

    Columns follow the booster's own feature names, so a model is scored exactly as it was
    trained even when its spec was stored with its fields in another order.
    """
    return booster.predict(to_model_matrix(features, spec, booster.feature_name()))


def feature_importance(booster: lgb.Booster) -> list[dict]:
    """Gain and split importance per feature, by gain descending."""
    gain = booster.feature_importance("gain")
    split = booster.feature_importance("split")
    rows = [
        {"feature": f, "gain": float(g), "split": int(s)}
        for f, g, s in zip(booster.feature_name(), gain, split, strict=True)
    ]
    return sorted(rows, key=lambda r: r["gain"], reverse=True)
