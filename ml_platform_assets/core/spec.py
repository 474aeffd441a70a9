"""Model specs: one YAML file declares everything the platform needs to run a model's lifecycle.

Built-in specs ship in ``ml_platform_assets/core/specs``; more are read from the folder named by
``ML_PLATFORM_SPECS_DIR`` (the caller passes it in: this module reads no environment). The
sections of a spec are defined beside it: ``spec_source`` (where the data comes from),
``spec_features`` (inputs and target) and ``spec_policies`` (windows, gates, drift, decisions).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from ml_platform_assets.core.spec_base import Identifier, StrictModel
from ml_platform_assets.core.spec_features import CategoricalFeature, Features, Target
from ml_platform_assets.core.spec_policies import (
    DataQuality,
    DecisionPolicy,
    Drift,
    Gates,
    Windows,
)
from ml_platform_assets.core.spec_source import FilesSource, SimulatorSource

BUILTIN_SPECS_DIR = Path(__file__).parent / "specs"


class SpecError(ValueError):
    """A spec file that cannot be used; the message names the file and the field."""


class ModelSpec(StrictModel):
    """Everything the platform needs to run one model's lifecycle, validated as a whole."""

    name: Identifier
    description: str
    owner: str = Field(description="Owner shown in the Dagster UI (email or team:name).")
    start_date: dt.date = Field(description="First day of data; the first daily partition.")
    timezone: str = Field(
        "UTC",
        description="Business timezone (IANA name, e.g. America/New_York): an application's "
        "day is its date there, and timestamps are stored as its wall-clock time.",
    )
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
    data_quality: DataQuality = Field(default_factory=DataQuality)
    decision: DecisionPolicy

    @model_validator(mode="after")
    def _known_timezone(self) -> ModelSpec:
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone: {self.timezone!r} is not an IANA timezone name") from None
        return self

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
        for name, attribute in self.protected_attributes.items():
            if attribute.reason is not None:
                raise ValueError(
                    f"protected_attributes.{name}.reason: a protected attribute is never a "
                    "model input, so it is never a reason for a decline"
                )
        if self.gates.min_adverse_impact_ratio is not None and not self.protected_attributes:
            raise ValueError(
                "gates.min_adverse_impact_ratio: the spec declares no protected_attributes "
                "to measure the ratio on"
            )
        reserved = {self.entity_id_column, self.event_timestamp_column, self.target.column}
        clash = reserved & (all_inputs | set(self.protected_attributes))
        if clash:
            raise ValueError(f"{sorted(clash)} are id, timestamp or target, not features")
        if isinstance(self.data_source, FilesSource):
            self._source_columns_known(reserved | all_inputs | set(self.protected_attributes))
        return self

    def _source_columns_known(self, known: set[str]) -> None:
        source = self.data_source
        known = known | {source.outcome_date_column}
        for header, name in source.columns.items():
            if name not in known:
                raise ValueError(
                    f"data_source.columns: {header!r} maps to {name!r}, which the spec does not "
                    "declare as id, timestamp, target or feature"
                )
        stamps = {self.event_timestamp_column, source.outcome_date_column}
        for name in source.timestamp_formats:
            if name not in stamps:
                raise ValueError(
                    f"data_source.timestamp_formats: {name!r} is not a timestamp column "
                    f"({', '.join(sorted(stamps))})"
                )

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
    # Union members add their type names to the location; the reader wants the field.
    loc = [
        str(p) for p in first["loc"] if not str(p).startswith(("function-", "list[", "str", "int"))
    ]
    field = ".".join(loc) or "(top level)"
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "string_pattern_mismatch" and isinstance(first.get("input"), str):
        message = (
            f"{first['input']!r} is not a column name the platform can use (lowercase letters, "
            "digits and _); name it in snake_case here and map the file's header to it with "
            f"data_source.columns, e.g. {{{first['input']}: {_snake(first['input'])}}}"
        )
    return f"{path}: field '{field}': {message}{more}"


def _snake(header: str) -> str:
    """A suggested identifier for a header: 'AnnualIncome ' -> 'annual_income'."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", header.strip())
    name = re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")
    return name if re.match(r"^[a-z]", name) else f"col_{name}"


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
