"""The policies of a model's lifecycle: training windows, promotion gates, drift guardrails,
the data-quality warning level and the decision cutoff."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from ml_platform_assets.core.spec_base import Identifier, OmitUnsetModel, StrictModel


class Windows(StrictModel):
    """The date windows of a training set, in days, and how full each must be."""

    training_days: int = Field(gt=0, description="Days of applications the model learns from.")
    validation_days: int = Field(
        gt=0, description="Last days of the training window held out for early stopping."
    )
    oot_days: int = Field(gt=0, description="Out-of-time days after the training window.")
    label_maturity_days: int = Field(ge=0, description="Days until an outcome is known.")
    min_rows: int = Field(
        100,
        ge=1,
        description="Fewest labelled rows each window (training, validation, out-of-time) "
        "needs; a thinner window stops training with its counts.",
    )
    min_bads: int = Field(
        1,
        ge=1,
        description="Fewest bad and fewest good rows each window needs: a window without both "
        "classes cannot stop early or be evaluated.",
    )

    @model_validator(mode="after")
    def _validation_inside_training(self) -> Windows:
        if self.validation_days >= self.training_days:
            raise ValueError("validation_days must be smaller than training_days")
        return self


class Gates(OmitUnsetModel):
    """What a challenger must achieve out of time to be promoted."""

    _UNSET_OMITTED = ("min_adverse_impact_ratio", "max_auc_gap_vs_benchmark")

    min_auc: float = Field(ge=0.5, le=1, description="Absolute floor on out-of-time AUC.")
    max_auc_drop_vs_champion: float = Field(
        ge=0, description="How much lower than the champion's AUC a challenger may be."
    )
    max_score_psi: float = Field(gt=0, description="Ceiling on score PSI, training vs OOT.")
    min_adverse_impact_ratio: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Floor on the adverse impact ratio at decision.cutoff: each protected "
        "group's approval rate over the most-approved group's (0.8 is the four-fifths screen). "
        "Unset, the ratio is reported and the gate passes.",
    )
    max_auc_gap_vs_benchmark: float | None = Field(
        None,
        ge=0,
        description="How much lower than the logistic-regression benchmark's out-of-time AUC "
        "the challenger's may be. Unset, the gap is reported and the gate passes.",
    )


class Drift(StrictModel):
    """When feature drift counts, and when it may trigger a retrain."""

    share_threshold: float = Field(gt=0, le=1, description="Share of drifted columns that counts.")
    consecutive_days: int = Field(ge=1, description="Days in a row at or above the threshold.")
    min_matured_labels: int = Field(
        ge=0,
        description="Applications made since the drift began whose outcomes have matured into "
        "the training split of the retraining set: a drift-triggered retrain waits for them "
        "(and for an out-of-time window wholly after the drift's first day).",
    )
    cooldown_days: int = Field(ge=0, description="Days between drift-triggered retrains.")
    exclude_columns: list[Identifier] = Field(
        default_factory=list,
        description="Features left out of drift: e.g. a weekend flag, which one day's data "
        "always shows as drifted against a reference of many days.",
    )


class DataQuality(OmitUnsetModel):
    """When a day lost too many rows at ingestion to train on."""

    _UNSET_OMITTED = ("accepted_days", "accepted_reasons")

    max_quarantine_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Share of a day's delivered rows quarantined above which ingestion warns "
        "(terminal and the raw_applications asset check) and a training set including the "
        "day stops, naming the days and reasons.",
    )
    accepted_days: list[dt.date] | None = Field(
        None,
        description="Days trained on although they quarantined more than "
        "max_quarantine_share (a loss that was looked at and accepted).",
    )
    accepted_reasons: list[str] | None = Field(
        None,
        description="Quarantine reasons (as the run prints them) whose rows may differ in "
        "outcomes from the rows kept: a selective loss that was looked at and accepted.",
    )


class DecisionPolicy(StrictModel):
    """How predictions become decisions, and whether a promotion needs a reviewer."""

    cutoff: float = Field(
        gt=0,
        lt=1,
        description="Decline when the predicted PD is above this. The evaluation applies it: "
        "declined out-of-time applications get reason codes, and approval rates per protected "
        "group are compared at it.",
    )
    requires_approval: bool = Field(
        False,
        description="A challenger that passes every gate waits as pending_approval until a "
        "reviewer other than its trainer approves it (`ml-platform approve`); without this "
        "it is promoted as soon as it passes.",
    )
