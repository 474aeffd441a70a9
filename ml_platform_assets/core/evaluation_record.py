"""The evaluation record of a challenger model: its schema, its decisions and its JSON.

``core.evaluation.evaluate`` builds the record, the deployment decision and a reviewer complete
it (``with_promotion``, ``with_review``), ``evaluation_to_json`` writes it next to the model and
``pages.evaluation`` renders it. ``RECORD_VERSION`` is the schema's version, written into every
record as ``record_version``; a change to the shape below raises it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any, Literal, NotRequired, TypedDict

import numpy as np

RECORD_VERSION = 1


class Windows(TypedDict):
    """Data windows as ISO-8601 dates."""

    train_start: str
    train_end: str
    oot_start: str
    oot_end: str


class ModelResult(TypedDict):
    """One model scored on the out-of-time rows."""

    metrics: dict[str, float]  # metrics.discrimination_summary(...)
    calibration: list[dict[str, float]]  # deciles.calibration_by_decile(...).to_dict("records")
    lift_by_decile: list[dict[str, float]]  # deciles.lift_by_decile(...).to_dict("records")
    score_psi: float  # PSI of the model's out-of-time scores against its training-window scores


class Gate(TypedDict):
    """One promotion gate's result (``core.gates.GateResult.as_dict``)."""

    name: str
    passed: bool
    observed: float | None  # None when the gate could not be measured (e.g. no champion)
    threshold: float | None  # None for an optional gate the spec leaves unset
    description: str


class Coefficient(TypedDict):
    """One input of the benchmark model and its coefficient."""

    feature: str  # input column after preprocessing: a feature, missingindicator_<f>, <f>_<level>
    coefficient: float  # log-odds per standard deviation (numeric) or for the level (one-hot)


class Benchmark(TypedDict):
    """The logistic-regression benchmark (``core.benchmark``) on the challenger's rows."""

    method: Literal["logistic_regression"]
    description: str
    train_rows: int  # rows of the training split it was fitted on (capped, seeded sample)
    converged: bool  # the solver stopped before max_iter
    params: dict[str, Any]
    metrics: dict[str, float]  # metrics.discrimination_summary on the out-of-time rows
    calibration: list[dict[str, float]]  # as ModelResult's
    coefficients: list[Coefficient]  # top 20 by magnitude
    auc_gap: float  # challenger AUC − benchmark AUC on the same rows


class GroupApproval(TypedDict):
    """Approvals of one group of a protected attribute at the cutoff."""

    group: str  # a level of the attribute, or the rows without a value ("missing")
    n: int
    approved: int
    approval_rate: float | None  # None when n == 0
    adverse_impact_ratio: float | None  # approval rate / reference group's; None without one
    missing_value: bool  # the rows without a value (named "(missing)" when a level is "missing")


class AttributeFairness(TypedDict):
    """Approval rates of one protected attribute's groups."""

    reference_group: str | None  # most-approved group, never "missing"; None when none approved
    min_ratio: float | None  # lowest ratio of the groups other than "missing"
    groups: list[GroupApproval]  # declared levels in spec order, others seen, then "missing"


class Fairness(TypedDict):
    """Approval rates per protected group at the cutoff (``core.fairness``)."""

    cutoff: float  # approved when the predicted probability of bad is at most this
    attributes: dict[str, AttributeFairness]  # empty when the spec declares none


class Statement(TypedDict):
    """A feature's adverse-action statement."""

    statement: str  # the spec's reviewed reason, else the feature's description
    reviewed: bool


class ReasonFrequency(TypedDict):
    """How often a feature is a reason for a decline."""

    feature: str
    statement: str
    top_reason_share: float  # share of explained declines where it is the first reason
    any_reason_share: float  # share where it is any of the top_n reasons


class Reason(TypedDict):
    """One reason given for a decline."""

    feature: str
    statement: str
    contribution: float  # TreeSHAP contribution in log-odds, positive


class ReasonExample(TypedDict):
    """A declined application with its reasons."""

    application_id: str
    score: float
    reasons: list[Reason]  # largest contribution first


class Fidelity(TypedDict):
    """How often the reasons given are the ones that matter (``core.reasons``)."""

    definition: str
    share: float | None  # None when no decline could be counted
    n: int  # declines counted


class ReasonCodes(TypedDict):
    """Adverse-action reasons of the declined out-of-time applications (``core.reasons``)."""

    cutoff: float  # declined when the predicted probability of bad is above this
    top_n: int
    scored: int  # out-of-time applications scored
    declined: int
    explained: int  # declines whose reasons were computed (a seeded sample)
    without_reason: int  # explained declines with no positive contribution
    statements: dict[str, Statement]  # every model feature
    frequency: list[ReasonFrequency]  # features that are a reason at least once
    examples: list[ReasonExample]  # the first 20 declines
    fidelity: Fidelity


class Override(TypedDict):
    """Who put a version that failed a gate into service, and why."""

    approver: str
    reason: str
    failed_gates: list[str]  # the failed gates' descriptions


class Deployment(TypedDict):
    """How a version became champion: the alias move on record."""

    champion_since: str  # ISO-8601 time of the alias move
    promoted_by: str  # the move's actor: "dagster run <id>", or a person promoting by hand
    previous_champion_version: int | None  # None for the model's first champion
    reason: str  # the reason recorded with the move
    # What completed this record: the Dagster run, or the person's decision (approval, override).
    recorded_by_run: str
    override: NotRequired[Override]  # only when a failed gate was overridden


class Review(TypedDict):
    """A reviewer's part in the decision: awaited, or a rejection."""

    reviewer: str | None  # None while the approval is awaited
    note: str | None
    decided_at: str | None  # ISO-8601


Decision = Literal[
    "promoted", "rejected", "pending", "pending_approval", "rejected_by_reviewer", "override"
]


class Evaluation(TypedDict):
    """The evaluation record: what ``core.evaluation.evaluate`` builds, completed by decisions."""

    record_version: int  # RECORD_VERSION of the code that built it
    model: str
    version: int
    champion_version: int | None
    created_at: str  # ISO-8601 timestamp with offset
    windows: Windows
    training_set_fingerprint: str  # SHA-256 hex
    model_sha256: str  # SHA-256 hex of the model artifact
    challenger: ModelResult
    champion: ModelResult | None  # scored on the same out-of-time rows; None without a champion
    csi: dict[str, float]  # feature -> CSI
    feature_importance: list[dict[str, Any]]  # {"feature", "gain", "split"}, gain descending
    benchmark: Benchmark
    fairness: Fairness
    reason_codes: ReasonCodes
    gates: list[Gate]
    passed: bool  # all gates passed
    # "pending" from evaluation until the decision rewrites the record: "promoted" (with its
    # deployment), "pending_approval" (the spec asks a reviewer) and then "promoted" or
    # "rejected_by_reviewer" (with the review), or "override" (a failed gate overridden, with
    # its deployment). "rejected" (by the gates) is final at evaluation unless overridden.
    decision: Decision
    deployment: NotRequired[Deployment]  # with "promoted" and "override"
    review: NotRequired[Review]  # with "pending_approval" and "rejected_by_reviewer"


def _rejected_by_gates(evaluation: Evaluation) -> bool:
    return evaluation["decision"] == "rejected" or not evaluation["passed"]


def with_promotion(evaluation: Evaluation, deployment: Deployment) -> Evaluation:
    """The record completed by the deployment decision.

    Returns:
        A new record saying "promoted" with ``deployment`` (when, by whom, replacing which
        champion), or "override" for a record whose gates failed; a pending review is dropped.

    Raises:
        ValueError: the gates rejected the version and ``deployment`` names no override.
    """
    failed = _rejected_by_gates(evaluation)
    if failed and not deployment.get("override"):
        raise ValueError(
            f"{evaluation['model']} v{evaluation['version']} was rejected by its gates; "
            "its record can say promoted only with the override that allowed it"
        )
    decision = "override" if failed else "promoted"
    completed = {k: v for k, v in evaluation.items() if k != "review"}
    return {**completed, "decision": decision, "deployment": deployment}


def with_review(evaluation: Evaluation, review: Review) -> Evaluation:
    """The record of a version that passed every gate and goes to a reviewer.

    Returns:
        A new record awaiting approval (``review["reviewer"]`` None) or rejected by the
        reviewer. A promotion after an approval is ``with_promotion``.

    Raises:
        ValueError: the gates rejected the version, so no reviewer decides on it.
    """
    if _rejected_by_gates(evaluation):
        raise ValueError(
            f"{evaluation['model']} v{evaluation['version']} was rejected by its gates; "
            "no reviewer decides on it"
        )
    decision = "pending_approval" if review["reviewer"] is None else "rejected_by_reviewer"
    return {**evaluation, "decision": decision, "review": review}


def _plain(value: Any) -> Any:
    """JSON-ready copy: numpy scalars and arrays to Python, NaN and infinities to None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def evaluation_to_json(evaluation: Evaluation) -> str:
    """Stable JSON of the record: sorted keys, two-space indent, NaN and infinities as null."""
    # allow_nan=False makes any non-finite float that slipped past _plain fail loudly rather
    # than produce the invalid JSON token NaN.
    return json.dumps(_plain(evaluation), sort_keys=True, indent=2, allow_nan=False) + "\n"
