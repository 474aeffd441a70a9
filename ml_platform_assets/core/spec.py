"""Model specs: one YAML file declares everything the platform needs to run a model's lifecycle.

Built-in specs ship in ``ml_platform_assets/core/specs``; more are read from the folder named by
``ML_PLATFORM_SPECS_DIR`` (the caller passes it in: this module reads no environment).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

BUILTIN_SPECS_DIR = Path(__file__).parent / "specs"

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class SpecError(ValueError):
    """A spec file that cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SimulatorSource(_Strict):
    kind: Literal["simulator"] = "simulator"
    seed: int = Field(7, description="Seed of the synthetic data generator.")


class FilesSource(_Strict):
    """Applications delivered as CSV or parquet files.

    ``applications`` is either a path/URI with a ``{date}`` placeholder (one file per day, date as
    YYYY-MM-DD) or a single file whose event timestamp column is split into days. Outcomes either
    come in their own files (``outcomes``, with ``outcome_date_column``), or the target column is
    in the application files and becomes known ``label_maturity_days`` after the application.
    """

    kind: Literal["files"] = "files"
    applications: str = Field(description="Path or URI of the application file(s).")
    outcomes: str | None = Field(None, description="Path or URI of the outcome file(s).")
    outcome_date_column: str = Field(
        "outcome_date", description="Column of the outcome files holding when it became known."
    )


class NumericFeature(_Strict):
    min: float | None = Field(
        None, description="Smallest valid value; below it a row is quarantined."
    )
    max: float | None = Field(
        None, description="Largest valid value; above it a row is quarantined."
    )
    description: str = ""


class CategoricalFeature(_Strict):
    values: list[str] = Field(min_length=1, description="Known levels; others are quarantined.")
    description: str = ""


class DerivedFeature(_Strict):
    ratio: tuple[str, str] = Field(description="Numerator and denominator columns.")
    description: str = ""


class Features(_Strict):
    numeric: dict[Identifier, NumericFeature] = Field(default_factory=dict)
    categorical: dict[Identifier, CategoricalFeature] = Field(default_factory=dict)
    derived: dict[Identifier, DerivedFeature] = Field(default_factory=dict)


class Target(_Strict):
    column: Identifier
    bad_value: int | str = Field(description="The target value that means the loan went bad.")


class Windows(_Strict):
    training_days: int = Field(gt=0, description="Days of applications the model learns from.")
    validation_days: int = Field(
        gt=0, description="Last days of the training window held out for early stopping."
    )
    oot_days: int = Field(gt=0, description="Out-of-time days after the training window.")
    label_maturity_days: int = Field(ge=0, description="Days until an outcome is known.")

    @model_validator(mode="after")
    def _validation_inside_training(self) -> Windows:
        if self.validation_days >= self.training_days:
            raise ValueError("validation_days must be smaller than training_days")
        return self


class Gates(_Strict):
    min_auc: float = Field(ge=0.5, le=1, description="Absolute floor on out-of-time AUC.")
    max_auc_drop_vs_champion: float = Field(
        ge=0, description="How much lower than the champion's AUC a challenger may be."
    )
    max_score_psi: float = Field(gt=0, description="Ceiling on score PSI, training vs OOT.")


class Drift(_Strict):
    share_threshold: float = Field(gt=0, le=1, description="Share of drifted columns that counts.")
    consecutive_days: int = Field(ge=1, description="Days in a row at or above the threshold.")
    min_matured_labels: int = Field(ge=0, description="New matured outcomes needed to retrain.")
    cooldown_days: int = Field(ge=0, description="Days between drift-triggered retrains.")
    exclude_columns: list[Identifier] = Field(
        default_factory=list,
        description="Features left out of drift: e.g. a weekend flag, which one day's data "
        "always shows as drifted against a reference of many days.",
    )


class Decision(_Strict):
    cutoff: float = Field(gt=0, lt=1, description="Decline when the predicted PD is above this.")


class ModelSpec(_Strict):
    name: Identifier
    description: str
    owner: str = Field(description="Owner shown in the Dagster UI (email or team:name).")
    start_date: dt.date = Field(description="First day of data; the first daily partition.")
    data_source: SimulatorSource | FilesSource = Field(discriminator="kind")
    entity_id_column: Identifier
    event_timestamp_column: Identifier
    target: Target
    features: Features
    protected_attributes: dict[Identifier, CategoricalFeature] = Field(default_factory=dict)
    monotone_constraints: dict[Identifier, Literal["increasing", "decreasing"]] = Field(
        default_factory=dict
    )
    lightgbm: dict[str, Any] = Field(default_factory=dict)
    windows: Windows
    gates: Gates
    drift: Drift
    decision: Decision

    @model_validator(mode="after")
    def _columns_consistent(self) -> ModelSpec:
        inputs = set(self.features.numeric) | set(self.features.derived)
        all_inputs = inputs | set(self.features.categorical)
        if not all_inputs:
            raise ValueError("features: declare at least one numeric or categorical feature")
        raw = set(self.features.numeric)
        for name, derived in self.features.derived.items():
            missing = [c for c in derived.ratio if c not in raw]
            if missing:
                raise ValueError(f"features.derived.{name}: {missing} are not numeric features")
        for name in self.drift.exclude_columns:
            if name not in all_inputs:
                raise ValueError(f"drift.exclude_columns: {name} is not a model feature")
        for name in self.monotone_constraints:
            if name not in inputs:
                raise ValueError(f"monotone_constraints.{name}: not a numeric or derived feature")
        leaked = set(self.protected_attributes) & all_inputs
        if leaked:
            raise ValueError(f"protected_attributes {sorted(leaked)} must not be model features")
        reserved = {self.entity_id_column, self.event_timestamp_column, self.target.column}
        clash = reserved & (all_inputs | set(self.protected_attributes))
        if clash:
            raise ValueError(f"{sorted(clash)} are id, timestamp or target, not features")
        return self

    @property
    def raw_feature_columns(self) -> list[str]:
        """Columns delivered in the landing files that the model may use."""
        return [*self.features.numeric, *self.features.categorical]

    @property
    def model_features(self) -> list[str]:
        """Model inputs in a fixed order: numeric, derived, then categorical."""
        f = self.features
        return [*f.numeric, *f.derived, *f.categorical]

    @property
    def drift_columns(self) -> list[str]:
        """Model features whose drift is measured."""
        excluded = set(self.drift.exclude_columns)
        return [c for c in self.model_features if c not in excluded]

    @property
    def monotone_vector(self) -> list[int]:
        """LightGBM ``monotone_constraints`` aligned with ``model_features``."""
        sign = {"increasing": 1, "decreasing": -1}
        return [sign.get(self.monotone_constraints.get(c, ""), 0) for c in self.model_features]


def _format_error(path: Path, err: ValidationError) -> str:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(top level)"
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{path}: field '{field}': {first['msg']}{more}"


def load_spec(path: str | Path) -> ModelSpec:
    """Read and validate one spec file; errors name the file and the offending field."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise SpecError(f"{path}: cannot read spec: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"{path}: a spec must be a mapping of fields")
    try:
        return ModelSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(_format_error(path, exc)) from exc


def load_specs(extra_dir: str | Path | None = None) -> dict[str, ModelSpec]:
    """All specs by name: the built-in ones, then those in ``extra_dir``.

    A name defined twice is an error, so a file cannot silently replace another model.
    """
    files = sorted(BUILTIN_SPECS_DIR.glob("*.yaml"))
    if extra_dir:
        extra = Path(extra_dir)
        if not extra.is_dir():
            raise SpecError(f"{extra}: specs folder does not exist")
        files += sorted([*extra.glob("*.yaml"), *extra.glob("*.yml")])
    specs: dict[str, ModelSpec] = {}
    origin: dict[str, Path] = {}
    for file in files:
        spec = load_spec(file)
        if spec.name in specs:
            raise SpecError(
                f"{file}: model '{spec.name}' is already defined in {origin[spec.name]}"
            )
        specs[spec.name], origin[spec.name] = spec, file
    return specs
