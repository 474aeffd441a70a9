"""Model specs: one YAML file declares everything the platform needs to run a model's lifecycle.

Built-in specs ship in ``ml_platform_assets/core/specs``; more are read from the folder named by
``ML_PLATFORM_SPECS_DIR`` (the caller passes it in: this module reads no environment).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

BUILTIN_SPECS_DIR = Path(__file__).parent / "specs"

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class SpecError(ValueError):
    """A spec file that cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _OptionalUnset(_Strict):
    """Leaves its ``_UNSET_OMITTED`` fields out of dumps while they are None, so that adding an
    optional field changes neither the code versions nor the recorded identity of specs that
    do not use it (both hash the dumped spec)."""

    _UNSET_OMITTED: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _omit_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        for name in self._UNSET_OMITTED:
            if data.get(name, ...) is None:
                del data[name]
        return data


class SimulatorSource(_Strict):
    kind: Literal["simulator"] = "simulator"
    seed: int = Field(7, description="Seed of the synthetic data generator.")


class CsvDialect(_Strict):
    """How a lender's CSV export is written; each field left unset is sniffed once per file."""

    delimiter: str | None = Field(
        None, min_length=1, max_length=1, description="Field separator; sniffed when unset."
    )
    decimal: Literal[".", ","] | None = Field(
        None, description="Decimal separator of numbers; sniffed from the numeric columns."
    )
    thousands: Literal[".", ",", " ", "'"] | None = Field(
        None, description="Thousands separator inside numbers (e.g. '.' in 1.234,56), if any."
    )
    quotechar: str = Field('"', min_length=1, max_length=1, description="Quote character.")
    encoding: str = Field(
        "utf-8", description="Text encoding; a UTF-8 byte-order mark is removed either way."
    )

    @model_validator(mode="after")
    def _separators_differ(self) -> CsvDialect:
        if self.decimal and self.decimal in (self.delimiter, self.thousands):
            raise ValueError("decimal must differ from delimiter and thousands")
        return self


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
    outcome_date_column: Identifier = Field(
        "outcome_date", description="Column of the outcome files holding when it became known."
    )
    columns: dict[str, Identifier] = Field(
        default_factory=dict,
        description="Source header (any text, as in the files) -> the spec's column name. "
        "Headers are stripped of surrounding whitespace before they are looked up.",
    )
    csv: CsvDialect = Field(default_factory=CsvDialect, description="CSV dialect of the files.")
    timestamp_formats: dict[Identifier, str] = Field(
        default_factory=dict,
        description="strftime format per timestamp column (e.g. '%d.%m.%Y %H:%M'); a column "
        "left out has its format inferred once per file and applied to every row.",
    )
    missing_days: Literal["empty", "fail"] = Field(
        "empty",
        description="A day with no file, before the source's last delivered day: 'empty' "
        "ingests it as a day without applications (weekends, holidays); 'fail' stops.",
    )

    @model_validator(mode="after")
    def _one_name_per_column(self) -> FilesSource:
        stripped = [header.strip() for header in self.columns]
        if len(set(stripped)) < len(stripped):
            raise ValueError("columns: two source headers are the same once stripped")
        targets = list(self.columns.values())
        if len(set(targets)) < len(targets):
            raise ValueError("columns: two source headers map to the same column")
        return self


Statement = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_REASON = (
    "The reviewed adverse-action reason statement an applicant reads when this feature is among "
    "the principal reasons for a decline (e.g. 'Debt payments are high relative to income'). "
    "Without one, the evaluation reports the feature's description and flags it as unreviewed."
)


class NumericFeature(_OptionalUnset):
    _UNSET_OMITTED = ("reason",)

    min: float | None = Field(
        None, description="Smallest valid value; below it a row is quarantined."
    )
    max: float | None = Field(
        None, description="Largest valid value; above it a row is quarantined."
    )
    non_finite: Literal["quarantine", "missing"] = Field(
        "quarantine",
        description="What an infinite value (inf, Infinity, 1e309) does: quarantine the row, "
        "or count it and keep the value as missing. It is never a valid number.",
    )
    description: str = ""
    reason: Statement | None = Field(None, description=_REASON)


class CategoricalFeature(_OptionalUnset):
    _UNSET_OMITTED = ("reason",)

    values: list[str] = Field(min_length=1, description="Known levels.")
    unknown: Literal["quarantine", "missing"] = Field(
        "quarantine",
        description="What a level not in ``values`` does: quarantine the row, or keep the row "
        "with the level as delivered, which the model sees as missing (LightGBM's treatment of "
        "an unseen category). Counted per day either way.",
    )
    description: str = ""
    reason: Statement | None = Field(None, description=_REASON)

    @field_validator("values")
    @classmethod
    def _levels_ingestion_can_match(cls, values: list[str]) -> list[str]:
        # Ingestion strips delivered text and reads an empty string as missing, so a padded or
        # empty level could never match a delivered value; a repeated one would be two groups.
        for level in values:
            if not level.strip():
                raise ValueError("a level must not be empty: delivered blanks read as missing")
            if level != level.strip():
                raise ValueError(
                    f"level {level!r} has blanks around it: delivered values are stripped, so "
                    f"write it as {level.strip()!r}"
                )
        repeated = sorted({level for level in values if values.count(level) > 1})
        if repeated:
            raise ValueError(f"levels are listed more than once: {', '.join(repeated)}")
        return values


class DerivedFeature(_OptionalUnset):
    _UNSET_OMITTED = ("reason",)

    ratio: tuple[str, str] = Field(description="Numerator and denominator columns.")
    description: str = ""
    reason: Statement | None = Field(None, description=_REASON)


class Features(_Strict):
    numeric: dict[Identifier, NumericFeature] = Field(default_factory=dict)
    categorical: dict[Identifier, CategoricalFeature] = Field(default_factory=dict)
    derived: dict[Identifier, DerivedFeature] = Field(default_factory=dict)


Label = StrictInt | StrictStr


def _labels(value: Label | list[Label] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


class Target(_Strict):
    """The outcome column and what its values mean.

    Labels are compared as delivered text, stripped of surrounding spaces; a number also matches
    its other spellings (``1`` matches ``1.0``). A label that is neither bad, good nor
    indeterminate is quarantined; indeterminate and blank labels are excluded and counted.
    """

    column: Identifier
    bad_value: Label | list[Label] = Field(description="Label(s) that mean the loan went bad.")
    good_value: Label | list[Label] | None = Field(
        None,
        description="Label(s) that mean the loan performed. Required unless bad_value is 1 or 0, "
        "where the other number is the default.",
    )
    indeterminate_values: list[Label] = Field(
        default_factory=list,
        description="Labels that are neither (e.g. 30-59 days past due): excluded from "
        "training and evaluation, counted.",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_yaml_booleans(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for field in ("bad_value", "good_value", "indeterminate_values"):
            values = data.get(field)
            values = values if isinstance(values, list) else [values]
            if any(isinstance(v, bool) for v in values):
                raise ValueError(
                    f"{field}: YAML read an unquoted yes/no/true/false/on/off as a boolean; "
                    f'quote the label exactly as the files write it (e.g. {field}: "yes")'
                )
        return data

    @model_validator(mode="after")
    def _declared_classes(self) -> Target:
        if self.good_value is None and self.bad_values not in (("1",), ("0",)):
            raise ValueError(
                f"good_value: declare the good label(s) too (bad_value is "
                f"{', '.join(map(repr, self.bad_values))}), so that a label that is neither is "
                "excluded rather than read as good"
            )
        groups = {"bad_value": self.bad_values, "good_value": self.good_values}
        groups["indeterminate_values"] = _labels(self.indeterminate_values)
        seen: dict[str, str] = {}
        for field, labels in groups.items():
            for label in labels:
                if label.strip() == "":
                    raise ValueError(f"{field}: a blank label is always excluded, not declared")
                if label in seen:
                    raise ValueError(f"{field}: {label!r} is also declared in {seen[label]}")
                seen[label] = field
        return self

    @property
    def bad_values(self) -> tuple[str, ...]:
        return _labels(self.bad_value)

    @property
    def good_values(self) -> tuple[str, ...]:
        if self.good_value is None:
            return ("0",) if self.bad_values == ("1",) else ("1",)
        return _labels(self.good_value)

    @property
    def indeterminate(self) -> tuple[str, ...]:
        return _labels(self.indeterminate_values)


class Windows(_Strict):
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


class Gates(_OptionalUnset):
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


class Drift(_Strict):
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


class DataQuality(_Strict):
    max_quarantine_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Share of a day's delivered rows quarantined above which ingestion warns "
        "(terminal and the raw_applications asset check).",
    )


class DecisionPolicy(_Strict):
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


class ModelSpec(_Strict):
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
