"""Validation of delivered files: unusable files fail with their name, bad rows are quarantined."""

import datetime as dt
import io

import pandas as pd
import pytest

from ml_platform_assets.core.parsing import LandingFileError
from ml_platform_assets.core.quarantine import REASON_COLUMN, reason_counts
from ml_platform_assets.core.spec import load_specs
from ml_platform_assets.core.validation import read_table, validate_applications, validate_outcomes

SPEC = load_specs()["credit_default"]
DAY = dt.date(2026, 1, 5)


def _rows(n: int = 4) -> pd.DataFrame:
    """Valid applications as text, the way a CSV delivers them."""
    data = {
        "application_id": [f"a{i}" for i in range(n)],
        "applied_at": [f"2026-01-05T10:0{i}:00" for i in range(n)],
    }
    for col, rule in SPEC.features.numeric.items():
        data[col] = [str(rule.min if rule.min is not None else 1)] * n
    for col, rule in {**SPEC.features.categorical, **SPEC.protected_attributes}.items():
        data[col] = [rule.values[0]] * n
    return pd.DataFrame(data)


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _applications(rows, name: str = "day.csv") -> tuple[pd.DataFrame, pd.DataFrame]:
    checked = validate_applications(rows, SPEC, DAY, name)
    valid, bad = checked.valid, checked.quarantined
    return valid.to_pandas(), bad.to_pandas()


def test_clean_file_passes_typed() -> None:
    frame = read_table(_csv(_rows()), "2026-01-05.csv")
    valid, bad = _applications(frame, "2026-01-05.csv")
    assert len(valid) == 4 and bad.empty
    assert valid["annual_income"].dtype == "float64"
    assert valid["applied_at"].dtype.kind == "M"


def test_unparseable_file_names_the_file() -> None:
    with pytest.raises(
        LandingFileError, match=r"s3://b/landing/2026-01-05\.parquet: cannot be parsed"
    ):
        read_table(b"not parquet at all", "s3://b/landing/2026-01-05.parquet")


def test_missing_column_names_file_and_column() -> None:
    frame = _rows().drop(columns=["bureau_score", "state"])
    with pytest.raises(
        LandingFileError, match=r"day\.csv: missing required column\(s\) bureau_score, state"
    ):
        validate_applications(frame, SPEC, DAY, "day.csv")


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("annual_income", "lots", "annual_income: not a number"),
        ("bureau_score", "900", "bureau_score: above maximum 850"),
        ("loan_amount", "-5", "loan_amount: below minimum 10"),
        ("merchant_category", "casino", "merchant_category: unknown value"),
        ("age_band", "12-17", "age_band: unknown value"),
        ("applied_at", "2026-01-06T01:00:00", "applied_at: not on the file's day in UTC"),
        ("applied_at", "yesterday", "applied_at: missing or not a timestamp in format ISO 8601"),
        ("annual_income", "inf", "annual_income: not a finite number"),
        ("annual_income", "-Infinity", "annual_income: not a finite number"),
        ("annual_income", "1e309", "annual_income: not a finite number"),
        ("application_id", "", "application_id: missing"),
    ],
)
def test_bad_rows_are_quarantined_with_their_reason(column: str, value: str, reason: str) -> None:
    frame = _rows()
    frame.loc[1, column] = value
    valid, bad = _applications(frame)
    assert len(valid) == 3
    assert bad[REASON_COLUMN].tolist() == [reason]
    assert bad["application_id"].tolist() == [frame.loc[1, "application_id"]]


def test_an_id_repeated_with_other_content_quarantines_every_copy() -> None:
    frame = _rows()
    frame.loc[2, "application_id"] = "a0"  # another application under the same id
    checked = validate_applications(frame, SPEC, DAY, "day.csv")
    assert sorted(checked.valid["application_id"].to_pylist()) == ["a1", "a3"]
    [(reason, count)] = reason_counts(checked.quarantined).items()
    assert count == 2 and reason.startswith("application_id: duplicate id with different content")
    assert "--redeliver" in reason


def test_byte_identical_duplicate_rows_keep_one_copy_and_are_counted() -> None:
    frame = pd.concat([_rows(), _rows().iloc[[1, 1, 3]]], ignore_index=True)
    checked = validate_applications(frame, SPEC, DAY, "day.csv")
    assert sorted(checked.valid["application_id"].to_pylist()) == ["a0", "a1", "a2", "a3"]
    assert checked.quarantined.num_rows == 0
    assert checked.notes == {"duplicate row dropped (a byte-identical copy of another row)": 3}


def test_missing_feature_values_are_allowed() -> None:
    frame = _rows()
    frame.loc[0, "debt_to_income"] = ""
    valid, bad = _applications(frame)
    assert bad.empty and valid["debt_to_income"].isna().sum() == 1


def test_parquet_numeric_columns_pass_through() -> None:
    frame = _rows()
    frame["annual_income"] = 50_000.0
    frame["phone_verified"] = [True, False, None, True]  # a flag delivered as a boolean
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    parsed = read_table(buffer.getvalue(), "x.parquet")
    valid, bad = _applications(parsed, "x.parquet")
    assert bad.empty and (valid["annual_income"] == 50_000.0).all()
    assert valid["phone_verified"].tolist()[:2] == [1.0, 0.0]
    assert valid["phone_verified"].isna().tolist() == [False, False, True, False]


def test_outcomes_validated_and_mapped_to_bad_flag() -> None:
    frame = pd.DataFrame(
        {
            "application_id": ["a", "b", "c", "c"],
            "outcome_date": ["2026-01-05"] * 3 + ["2026-01-05"],
            "is_bad": ["1", "0", "1.0", "0"],
        }
    )
    checked = validate_outcomes(frame, SPEC, DAY, "o.csv", "outcome_date")
    valid, bad = checked.valid, checked.quarantined
    assert valid["is_bad"].to_pylist() == [1, 0]
    assert bad["application_id"].to_pylist() == ["c", "c"]
    assert valid["label"].to_pylist() == ["1", "0"]


def test_zoned_parquet_timestamps_fall_on_their_utc_day_by_default() -> None:
    frame = _rows(2)
    frame["applied_at"] = pd.to_datetime(
        ["2026-01-05T03:00:00-05:00", "2026-01-05T20:00:00-05:00"], utc=True
    ).tz_convert("America/New_York")
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    valid, bad = _applications(read_table(buffer.getvalue(), "x.parquet"), "x.parquet")
    assert valid["applied_at"].tolist() == [pd.Timestamp("2026-01-05T08:00:00")]
    [reason] = bad[REASON_COLUMN].tolist()
    assert reason.startswith("applied_at: not on the file's day in UTC")
    assert "the spec's timezone decides an application's day" in reason


def test_outcome_dates_typed_as_dates_are_accepted() -> None:
    frame = pd.DataFrame(
        {"application_id": ["a", "b"], "outcome_date": [DAY, DAY], "is_bad": [1, 0]}
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    parsed = read_table(buffer.getvalue(), "o.parquet")
    checked = validate_outcomes(parsed, SPEC, DAY, "o.parquet", "outcome_date")
    valid, bad = checked.valid, checked.quarantined
    assert bad.num_rows == 0
    assert valid["outcome_date"].to_pylist() == [dt.datetime(2026, 1, 5)] * 2
    assert valid["is_bad"].to_pylist() == [1, 0]


def test_the_ingestion_code_version_follows_what_decides_the_rows() -> None:
    from ml_platform_assets.core.schemas import ingestion_code_version
    from ml_platform_assets.core.spec import load_specs

    spec = load_specs()["credit_default"]
    base = ingestion_code_version(spec, "applications")
    assert base.startswith("raw_applications-v") and base != ingestion_code_version(
        spec, "outcomes"
    )
    # Training windows, gates or LightGBM parameters do not change how a file becomes rows.
    others = spec.model_copy(update={"lightgbm": {**spec.lightgbm, "num_leaves": 7}})
    assert ingestion_code_version(others, "applications") == base
    # The timezone decides an application's day: another version.
    moved = spec.model_copy(update={"timezone": "Europe/Berlin"})
    assert ingestion_code_version(moved, "applications") != base


def test_an_unknown_level_kept_says_what_it_becomes() -> None:
    """With ``unknown: missing`` a feature's new level reaches the model as missing; a
    protected attribute's is no model input and stays a group of its own."""
    fields = SPEC.model_dump(mode="json")
    channel = next(iter(fields["features"]["categorical"]))
    fields["features"]["categorical"][channel]["unknown"] = "missing"
    fields["protected_attributes"]["age_band"]["unknown"] = "missing"
    spec = type(SPEC).model_validate(fields)
    rows = _rows(2)
    rows.loc[0, channel], rows.loc[1, "age_band"] = "partner", "unborn"
    notes = validate_applications(read_table(_csv(rows), "day.csv"), spec, DAY, "day.csv").notes
    assert notes == {
        f"{channel}: unknown level 'partner' kept (the model sees it as missing)": 1,
        "age_band: unknown level 'unborn' kept (a group of its own in fairness measures)": 1,
    }
