"""Where a model's applications and outcomes come from: the simulator or lenders' files."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from ml_platform_assets.core.spec_base import Identifier, StrictModel


class SimulatorSource(StrictModel):
    """Synthetic applications and outcomes from ``core.simulate``, seeded for reproducibility."""

    kind: Literal["simulator"] = "simulator"
    seed: int = Field(7, description="Seed of the synthetic data generator.")


class CsvDialect(StrictModel):
    """How a lender's CSV export is written; each field left unset is sniffed once per file."""

    delimiter: str | None = Field(
        None, min_length=1, max_length=1, description="Field separator; sniffed when unset."
    )
    decimal: Literal[".", ","] | None = Field(
        None, description="Decimal separator of numbers; sniffed from the numeric columns."
    )
    thousands: Literal[".", ",", " ", "'"] | None = Field(
        None,
        description="Thousands separator inside numbers (e.g. '.' in 1.234,56), if any; ' ' "
        "also reads the no-break spaces of French and Swiss exports. Unset, ',' is sniffed from "
        "numbers only a thousands comma can explain (12,500.00).",
    )
    quotechar: str = Field('"', min_length=1, max_length=1, description="Quote character.")
    encoding: str = Field(
        "utf-8",
        description="Text encoding of a file without a byte-order mark; a UTF-8 or UTF-16 "
        "byte-order mark decides the encoding itself and is removed.",
    )

    @model_validator(mode="after")
    def _separators_differ(self) -> CsvDialect:
        if self.decimal and self.decimal in (self.delimiter, self.thousands):
            raise ValueError("decimal must differ from delimiter and thousands")
        return self


class FilesSource(StrictModel):
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
        "Headers are stripped of surrounding whitespace before they are looked up. Several "
        "headers may name one column (a column renamed during the history); one file holding "
        "two of them is refused.",
    )
    missing_values: list[str] = Field(
        default_factory=list,
        description="Tokens read as missing in any column, besides pandas' own spellings "
        "(NULL, NA, N/A, #N/A, NaN, None, ...), '-' and '#NV'; a declared categorical level "
        "or target label stays a value in its column.",
    )
    csv: CsvDialect = Field(default_factory=CsvDialect, description="CSV dialect of the files.")
    TIMESTAMP_KINDS: ClassVar[tuple[str, ...]] = ("excel", "epoch_s", "epoch_ms")
    timestamp_formats: dict[Identifier, str] = Field(
        default_factory=dict,
        description="Per timestamp column, a strftime format (e.g. '%d.%m.%Y %H:%M') or a "
        "numeric kind: 'excel' (Excel serial date-times, days since 1899-12-30 with the time "
        "as a fraction, business time), 'epoch_s' or 'epoch_ms' (Unix epoch seconds or "
        "milliseconds, UTC instants converted to the business timezone). A column left out "
        "has its format inferred once per file and applied to every row; a column of numbers "
        "is refused until its kind is declared.",
    )

    @field_validator("timestamp_formats")
    @classmethod
    def _format_or_kind(cls, formats: dict[str, str]) -> dict[str, str]:
        for column, fmt in formats.items():
            if fmt not in cls.TIMESTAMP_KINDS and fmt != "ISO8601" and "%" not in fmt:
                raise ValueError(
                    f"timestamp_formats.{column}: {fmt!r} is neither a strftime format (with "
                    f"directives such as '%d.%m.%Y %H:%M') nor one of "
                    f"{', '.join(cls.TIMESTAMP_KINDS)}"
                )
        return formats

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
        return self
