"""The model's inputs and its target: features with their validity rules, and labels."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    StrictInt,
    StrictStr,
    StringConstraints,
    field_validator,
    model_validator,
)

from ml_platform_assets.core.spec_base import Identifier, OmitUnsetModel, StrictModel

Statement = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_REASON = (
    "The reviewed adverse-action reason statement an applicant reads when this feature is among "
    "the principal reasons for a decline (e.g. 'Debt payments are high relative to income'). "
    "Without one, the evaluation reports the feature's description and flags it as unreviewed."
)


class NumericFeature(OmitUnsetModel):
    """A number delivered in the files, with its valid range and handling of infinities."""

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


class CategoricalFeature(OmitUnsetModel):
    """A text column with known levels (also the form of a protected attribute)."""

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


class DerivedFeature(OmitUnsetModel):
    """A feature computed from two numeric features: numerator over denominator."""

    _UNSET_OMITTED = ("reason",)

    ratio: tuple[str, str] = Field(description="Numerator and denominator columns.")
    description: str = ""
    reason: Statement | None = Field(None, description=_REASON)


class Features(StrictModel):
    """The model's inputs by kind, each keyed by its column name."""

    numeric: dict[Identifier, NumericFeature] = Field(default_factory=dict)
    categorical: dict[Identifier, CategoricalFeature] = Field(default_factory=dict)
    derived: dict[Identifier, DerivedFeature] = Field(default_factory=dict)


Label = StrictInt | StrictStr


def _labels(value: Label | list[Label] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


class Target(StrictModel):
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
        """The labels declared bad, as text."""
        return _labels(self.bad_value)

    @property
    def good_values(self) -> tuple[str, ...]:
        """The labels declared good, as text; the other of 1 and 0 when none are declared."""
        if self.good_value is None:
            return ("0",) if self.bad_values == ("1",) else ("1",)
        return _labels(self.good_value)

    @property
    def indeterminate(self) -> tuple[str, ...]:
        """The labels declared neither bad nor good, as text."""
        return _labels(self.indeterminate_values)
