"""Evaluation records as ``core.evaluation`` builds them, for the tests of the record and its
page: the real metrics functions on synthetic scores, a benchmark that beats the challenger, a
fairness block below the four-fifths screen and reason codes with a hostile statement."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml_platform_assets.core import deciles, fairness, metrics
from ml_platform_assets.core.evaluation_record import (
    RECORD_VERSION,
    Benchmark,
    Deployment,
    Evaluation,
    Fairness,
    ModelResult,
    ReasonCodes,
)
from ml_platform_assets.core.gates import evaluate_gates
from ml_platform_assets.core.spec import load_specs

GATES = load_specs()["credit_default"].gates  # min AUC 0.70, drop ≤ 0.01, score PSI < 0.25


def model_result(seed: int, shift: float) -> ModelResult:
    """A model scored on 4,000 synthetic out-of-time rows."""
    rng = np.random.default_rng(seed)
    score = np.clip(rng.beta(2, 12, 4_000) + shift, 0.001, 0.999)
    y = (rng.random(4_000) < score).astype(int)
    return {
        "metrics": metrics.discrimination_summary(y, score),
        "calibration": deciles.calibration_by_decile(y, score).to_dict("records"),
        "lift_by_decile": deciles.lift_by_decile(y, score).to_dict("records"),
        "score_psi": np.float64(0.031),
    }


def benchmark(challenger_auc: float) -> Benchmark:
    """A benchmark block on synthetic scores: its AUC is about 0.726, 0.034 above the
    challenger's, beyond the spec's 0.01 tolerance."""
    rng = np.random.default_rng(5)
    score = np.clip(rng.beta(1.5, 10, 4_000), 0.001, 0.999)
    y = (rng.random(4_000) < score).astype(int)
    summary = metrics.discrimination_summary(y, score)
    return {
        "method": "logistic_regression",
        "description": "L2-regularised logistic regression <C=1.0> on 6,000 rows.",
        "train_rows": 6_000,
        "converged": True,
        "params": {"C": 1.0, "penalty": "l2", "max_iter": 1_000},
        "metrics": summary,
        "calibration": deciles.calibration_by_decile(y, score).to_dict("records"),
        "coefficients": [
            {"feature": f"x{i}", "coefficient": (-1) ** i / (i + 1)} for i in range(20)
        ],
        "auc_gap": challenger_auc - summary["auc"],
    }


def fairness_block() -> Fairness:
    """age_band at the cutoff: 18-24 approved 70 of 100 against 25-34's 90 of 100 (0.7778),
    65+ without rows, and 5 applicants without a band."""
    groups = pd.Series(["18-24"] * 100 + ["25-34"] * 100 + [None] * 5, dtype=object)
    approved = np.r_[np.arange(100) < 70, np.arange(100) < 90, np.ones(5, bool)]
    block = fairness.adverse_impact(groups, approved, ["18-24", "25-34", "65+"])
    return {"cutoff": 0.15, "attributes": {"age_band": block}}


def reason_codes() -> ReasonCodes:
    """512 of 4,000 declined, each explained; one unreviewed statement, one with markup."""
    bureau = "Credit bureau score is too low"
    return {
        "cutoff": 0.15,
        "top_n": 4,
        "scored": 4_000,
        "declined": 512,
        "explained": 512,
        "without_reason": 0,
        "statements": {
            "bureau_score": {"statement": bureau, "reviewed": True},
            "debt_to_income": {"statement": "Debt <high> & rising", "reviewed": True},
            "hour_of_day": {"statement": "Local hour of the application.", "reviewed": False},
        },
        "frequency": [
            {"feature": "bureau_score", "statement": bureau, "top_reason_share": 0.9,
             "any_reason_share": 0.99},
            {"feature": "debt_to_income", "statement": "Debt <high> & rising",
             "top_reason_share": 0.1, "any_reason_share": 0.5},
            {"feature": "hour_of_day", "statement": "Local hour of the application.",
             "top_reason_share": 0.0, "any_reason_share": 0.25},
        ],
        "examples": [
            {"application_id": "20260901-0000007", "score": 0.31, "reasons": [
                {"feature": "bureau_score", "statement": bureau, "contribution": 0.52},
                {"feature": "debt_to_income", "statement": "Debt <high> & rising",
                 "contribution": 0.11}]},
            {"application_id": "20260901-0000019", "score": 0.17, "reasons": []},
        ],
        "fidelity": {"definition": "Share of declines whose risk falls.", "share": 0.875,
                     "n": 512},
    }  # fmt: skip


def evaluation(with_champion: bool) -> Evaluation:
    """A record as core.evaluation builds it: the challenger's AUC is about 0.691, below the
    spec's 0.70 floor, and the champion's about 0.697, within the 0.01 tolerance; the
    benchmark beats it by more than its tolerance and the lowest adverse impact ratio, 0.7778,
    is below the 0.8 floor. The gates reject it. A feature is named ``<script>``."""
    challenger = model_result(1, 0.0)
    champion = model_result(2, 0.01) if with_champion else None
    bench = benchmark(challenger["metrics"]["auc"])
    fair = fairness_block()
    gates = evaluate_gates(
        GATES,
        auc=challenger["metrics"]["auc"],
        champion_auc=champion["metrics"]["auc"] if champion else None,
        score_psi=challenger["score_psi"],
        benchmark_auc=bench["metrics"]["auc"],
        lowest_air=fairness.lowest_ratio(fair),
    )
    passed = all(g.passed for g in gates)
    return {
        "record_version": RECORD_VERSION,
        "model": "credit_default",
        "version": 3,
        "champion_version": 2 if with_champion else None,
        "created_at": "2026-11-29T12:00:00+00:00",
        "windows": {
            "train_start": "2026-01-01",
            "train_end": "2026-08-31",
            "oot_start": "2026-09-01",
            "oot_end": "2026-10-15",
        },
        "training_set_fingerprint": "ab" * 32,
        "model_sha256": "cd" * 32,
        "challenger": challenger,
        "champion": champion,
        "csi": {"income": 0.02, "utilisation": 0.14, "<script>": 0.31, "tenure": float("nan")},
        "feature_importance": [
            {"feature": f"feature_{i}", "gain": 1000.0 / (i + 1), "split": np.int64(40 - i)}
            for i in range(25)
        ]
        + [{"feature": "<script>", "gain": 5_000.0, "split": 3}],
        "benchmark": bench,
        "fairness": fair,
        "reason_codes": reason_codes(),
        "gates": [g.as_dict() for g in gates],
        "passed": passed,
        "decision": "pending" if passed else "rejected",
    }


def passed(with_champion: bool = True) -> Evaluation:
    """A record whose gates all passed, as core.evaluation leaves it: awaiting deployment."""
    ev = evaluation(with_champion)
    ev["gates"] = [{**g, "passed": True} for g in ev["gates"]]
    return {**ev, "passed": True, "decision": "pending"}


def promotion(previous: int | None) -> Deployment:
    """v3 promoted by a run over champion ``previous`` (or none), with markup in its reason."""
    return {
        "champion_since": "2026-11-30T08:15:00+00:00",
        "promoted_by": "dagster run 0f6d1c2e",
        "previous_champion_version": previous,
        "reason": "v3 passed every promotion gate: <all of them>",
        "recorded_by_run": "0f6d1c2e",
    }


def override_promotion() -> Deployment:
    """v3 put in service over v2 by carol, overriding a failed gate, with markup in her reason."""
    return {
        "champion_since": "2026-11-30T08:15:00+00:00",
        "promoted_by": "carol",
        "previous_champion_version": 2,
        "reason": "override: the only model",
        "recorded_by_run": "override by carol",
        "override": {
            "approver": "carol",
            "reason": "the only model for <new> product",
            "failed_gates": ["OOT AUC 0.65 must be at least 0.70"],
        },
    }
