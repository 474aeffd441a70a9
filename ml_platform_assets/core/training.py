"""LightGBM training and the model artifact: LightGBM text plus its sha256, never a pickle."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd

from ml_platform_assets.core.features import categorical_indices, to_model_matrix, without_wording
from ml_platform_assets.core.schemas import LABEL
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.validation import Rows

SEED = 20260101
# Bump when how a model is fitted or accepted changes; the spec's parameters are hashed in.
TRAINING_LOGIC_VERSION = "2"
# Keys the platform controls; a spec setting them would break reproducibility or the contract.
_RESERVED = {"seed", "monotone_constraints", "categorical_feature", "verbosity", "metric"}


class ArtifactIntegrityError(RuntimeError):
    """A stored model whose bytes do not match the checksum recorded for it."""


class NothingLearnedError(ValueError):
    """Early stopping kept only the first tree: no later one improved the validation AUC."""


@dataclass(frozen=True)
class TrainedModel:
    """A fitted booster with its LightGBM text, the text's sha256, the recorded parameters,
    the best iteration and the feature names in model order."""

    booster: lgb.Booster
    text: str
    sha256: str
    params: dict
    best_iteration: int
    features: list[str]


def training_code_version(spec: ModelSpec) -> str:
    """Code version of a model's fit: the logic version plus what the spec says about it
    (LightGBM parameters, monotone constraints, the model's inputs in order)."""
    declared = {
        "lightgbm": spec.lightgbm,
        "monotone": spec.monotone_constraints,
        "features": spec.model_features,
    }
    digest = hashlib.sha256(json.dumps(declared, sort_keys=True).encode()).hexdigest()[:12]
    return f"training-v{TRAINING_LOGIC_VERSION}-{digest}"


def code_versions(features: str, training_set: str, training: str) -> str:
    """The code version recorded with a model version: every stage that shaped it."""
    return f"{features}; {training_set}; {training}"


def already_trained_message(version: int, fingerprint: str, failed_gates: list[str]) -> str:
    """What a training run that found its version already registered says about it."""
    if failed_gates:
        return f"v{version} already trained on this data and rejected by its gates: " + "; ".join(
            failed_gates
        )
    return (
        f"v{version} already trained on this data (training set {fingerprint[:12]}…, "
        "same spec, code and parameters)"
    )


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


def recorded_params(spec: ModelSpec) -> dict:
    """The parameters a version is registered with: LightGBM's, its rounds and its patience.

    Known before training, so a run can tell that an identical version already exists.
    """
    params, rounds, patience = lightgbm_params(spec)
    return {**params, "num_boost_round": rounds, "early_stopping_rounds": patience}


def train_model(train: Rows, valid: Rows, spec: ModelSpec) -> TrainedModel:
    """Fit LightGBM with early stopping on the validation slice (Arrow tables or DataFrames).

    Raises:
        NothingLearnedError: early stopping kept only the first of several allowed trees, so the
            model learnt nothing the validation rows confirm (a spec asking for one round gets
            its one tree).
    """
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
    valid_labels = valid[LABEL].to_numpy()
    valid_set = lgb.Dataset(to_model_matrix(valid, spec), label=valid_labels, reference=train_set)
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=rounds,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(patience, verbose=False)],
    )
    best_iteration = int(booster.best_iteration or booster.current_iteration())
    if best_iteration == 1 and rounds > 1:
        # Early stopping tried up to ``patience`` more trees, as many as the rounds allowed.
        tried = min(patience, rounds - 1)
        raise NothingLearnedError(_first_tree_only(booster, valid_labels, tried))
    text = booster.model_to_string(num_iteration=booster.best_iteration or -1)
    return TrainedModel(
        booster=lgb.Booster(model_str=text),
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        params=recorded_params(spec),
        best_iteration=best_iteration,
        features=names,
    )


def _first_tree_only(booster: lgb.Booster, valid_labels: np.ndarray, tried: int) -> str:
    classes = np.unique(valid_labels)
    if classes.size == 0:
        observed = "validation AUC undefined: there are no validation rows"
    elif classes.size == 1:
        kind = "bad" if classes[0] == 1 else "good"
        observed = f"validation AUC undefined: all {valid_labels.size:,} validation rows are {kind}"
    else:
        auc = booster.best_score.get("valid_0", {}).get("auc")
        observed = "validation AUC unknown" if auc is None else f"validation AUC {auc:.4f}"
    return (
        f"the model stopped at its first tree ({observed}): no later tree improved the "
        f"validation AUC within {tried} more rounds, so early stopping found nothing to learn and "
        "the model is not registered; check the validation window's labels and features, or "
        "widen windows.validation_days"
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


# Spec sections that change neither the model nor how its evaluation judges it.
_NOT_TRAINING = ("description", "owner", "drift", "data_quality")


def training_identity(spec_json: dict) -> dict:
    """A recorded spec without what changes neither the trained model nor its judgement
    (wording, features' descriptions and reason statements included; owner, drift guardrails,
    the quarantine warning level): two runs whose specs differ only there train the same
    version. Gates and the decision policy stay in: the cutoff decides the adverse impact
    ratio, and looser or stricter gates are a new judgement."""
    identity = {k: v for k, v in spec_json.items() if k not in _NOT_TRAINING}
    if isinstance(identity.get("features"), dict):
        identity["features"] = without_wording(identity["features"])
    return identity
