"""Reading delivered files as lenders export them: dialects, byte-order marks, headers, mapping,
timestamp formats and timezones; property-based tests over random dialects and values."""

import csv
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml_platform_assets.core.parsing import (
    LandingFileError,
    dialect_used,
    read_delivery,
    sniff_decimal,
)
from ml_platform_assets.core.quarantine import REASON_COLUMN
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.timestamps import timestamp_format
from ml_platform_assets.core.validation import require_columns, validate_applications
from tests.core.hand_specs import files_spec

DAY = dt.date(2026, 1, 5)


def _spec(**source) -> ModelSpec:
    """A small files spec; ``source`` adds data_source fields."""
    return files_spec({"annual_income": {"min": 0}, "debt_to_income": {}}, **source)


def _frame(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "app_id": [f"A{i}" for i in range(n)],
            "applied_at": [f"2026-01-05 1{i}:00:00" for i in range(n)],
            "annual_income": [45000.5 + i for i in range(n)],
            "debt_to_income": [0.35, 1.25, 0.0][:n],
            "channel": ["web", "app", "web"][:n],
        }
    )


def _valid(data: bytes, spec: ModelSpec, name: str = "apps_2026-01-05.csv") -> pd.DataFrame:
    checked = validate_applications(read_delivery(data, name, spec), spec, DAY, name)
    assert checked.quarantined.num_rows == 0, checked.quarantined.to_pylist()
    return checked.valid.to_pandas()


@pytest.mark.parametrize(
    ("sep", "decimal", "quoting"),
    [
        (",", ".", csv.QUOTE_MINIMAL),
        (";", ",", csv.QUOTE_MINIMAL),  # de/fr/es Excel
        (",", ",", csv.QUOTE_NONNUMERIC),  # decimal commas in quotes
        ("\t", ".", csv.QUOTE_MINIMAL),
        ("|", ",", csv.QUOTE_ALL),
    ],
)
def test_csv_dialects_are_sniffed(sep: str, decimal: str, quoting: int) -> None:
    data = _frame().to_csv(index=False, sep=sep, decimal=decimal, quoting=quoting).encode()
    valid = _valid(data, _spec())
    assert valid["annual_income"].tolist() == [45000.5, 45001.5, 45002.5]
    assert valid["debt_to_income"].tolist() == [0.35, 1.25, 0.0]


def test_declared_dialect_reads_thousands_groups() -> None:
    text = "app_id;applied_at;annual_income;debt_to_income;channel\n"
    text += "A0;2026-01-05 10:00:00;1.234.567,25;0,5;web\nA1;2026-01-05 11:00:00;950,5;1,5;app\n"
    spec = _spec(csv={"delimiter": ";", "decimal": ",", "thousands": "."})
    assert _valid(text.encode(), spec)["annual_income"].tolist() == [1234567.25, 950.5]


def test_sniffed_decimal_comma_reads_thousands_groups() -> None:
    text = "app_id;applied_at;annual_income;debt_to_income;channel\n"
    text += "A0;2026-01-05 10:00:00;1.234,5;0,5;web\n"
    assert _valid(text.encode(), _spec())["annual_income"].tolist() == [1234.5]


def test_a_byte_order_mark_never_hides_the_first_header() -> None:
    data = _frame().to_csv(index=False).encode("utf-8-sig")
    assert _valid(data, _spec())["app_id"].tolist() == ["A0", "A1", "A2"]


def test_other_encodings_are_declared_and_named_when_wrong() -> None:
    frame = _frame()
    frame["channel"] = ["web", "app", "web"]
    frame["app_id"] = ["Ä0", "Ö1", "Ü2"]
    data = frame.to_csv(index=False).encode("cp1252")
    with pytest.raises(LandingFileError, match=r"apps_2026-01-05\.csv: not utf-8 text.*encoding"):
        read_delivery(data, "apps_2026-01-05.csv", _spec())
    valid = _valid(data, _spec(csv={"encoding": "cp1252"}))
    assert valid["app_id"].tolist() == ["Ä0", "Ö1", "Ü2"]


def test_headers_are_stripped_and_mapped_from_any_text() -> None:
    frame = _frame().rename(
        columns={
            "app_id": " Application ID",
            "annual_income": "AnnualIncome ",
            "channel": " channel",
        }
    )
    spec = _spec(columns={"Application ID": "app_id", "AnnualIncome": "annual_income"})
    valid = _valid(frame.to_csv(index=False).encode(), spec)
    assert valid["app_id"].tolist() == ["A0", "A1", "A2"]
    assert valid["annual_income"].iloc[0] == 45000.5


def test_headers_colliding_after_mapping_are_refused() -> None:
    frame = _frame()
    frame["AppID"] = frame["app_id"]
    with pytest.raises(LandingFileError, match=r"x\.csv: more than one header reads as 'app_id'"):
        read_delivery(
            frame.to_csv(index=False).encode(), "x.csv", _spec(columns={"AppID": "app_id"})
        )


def test_missing_column_error_names_the_file_the_headers_found_and_a_mapping() -> None:
    frame = _frame().rename(columns={"annual_income": "AnnualIncome", "app_id": "AppID"})
    table = read_delivery(frame.to_csv(index=False).encode(), "/data/apps_2026-01-05.csv", _spec())
    with pytest.raises(LandingFileError) as error:
        require_columns(table, ["app_id", "annual_income"], "/data/apps_2026-01-05.csv")
    message = str(error.value)
    assert message.startswith("/data/apps_2026-01-05.csv: missing required column(s) app_id")
    assert "headers found: 'AppID', 'applied_at', 'AnnualIncome'" in message
    assert "data_source.columns ('AppID': app_id, 'AnnualIncome': annual_income)" in message


def test_a_header_only_file_is_an_empty_day() -> None:
    data = b"app_id,applied_at,annual_income,debt_to_income,channel\n"
    checked = validate_applications(read_delivery(data, "x.csv", _spec()), _spec(), DAY, "x.csv")
    assert checked.valid.num_rows == 0 and checked.quarantined.num_rows == 0


def test_a_file_without_a_delimiter_is_refused_with_a_sentence() -> None:
    data = b"app_id applied_at\nA1 2026\nA2 2026 x\n"
    with pytest.raises(LandingFileError, match=r"x\.csv: cannot tell the delimiter"):
        read_delivery(data, "x.csv", _spec())


def test_decimal_sniffing_needs_comma_and_no_point() -> None:
    assert sniff_decimal(["0,35", "1.234,5", "12"]) == ","
    assert sniff_decimal(["0.35", "12"]) == "."
    assert sniff_decimal(["0,35", "0.35"]) == "."  # mixed: never guessed towards the comma


@pytest.mark.parametrize(
    ("values", "day", "expected"),
    [
        (["2026-01-05T21:14:03-05:00"], None, "ISO8601"),
        (["13/01/2026 10:00"], None, "%d/%m/%Y %H:%M"),
        (["05/01/2026 10:00"], dt.date(2026, 1, 5), "%d/%m/%Y %H:%M"),
        (["01/05/2026 10:00"], dt.date(2026, 1, 5), "%m/%d/%Y %H:%M"),
        (["05.05.2026 10:00"], None, "%m.%d.%Y %H:%M"),  # either reading gives the same day
    ],
)
def test_timestamp_format_is_inferred_once_per_file(values, day, expected) -> None:
    import pyarrow as pa

    assert timestamp_format(pa.chunked_array([values]), "applied_at", day) == expected


def test_an_ambiguous_timestamp_format_must_be_declared() -> None:
    import pyarrow as pa

    with pytest.raises(LandingFileError, match="timestamp_formats.applied_at"):
        timestamp_format(pa.chunked_array([["05/01/2026 10:00"]]), "applied_at", None)


def test_one_format_for_every_row_never_a_guess_per_row() -> None:
    frame = _frame()
    frame["applied_at"] = ["05/01/2026 10:00", "05/01/2026 11:00", "2026-01-05 12:00"]
    data = frame.to_csv(index=False).encode()
    checked = validate_applications(read_delivery(data, "x.csv", _spec()), _spec(), DAY, "x.csv")
    assert checked.valid.num_rows == 2
    assert checked.quarantined[REASON_COLUMN].to_pylist() == [
        "applied_at: missing or not a timestamp in format '%d/%m/%Y %H:%M'"
    ]


def test_declared_format_and_business_timezone_decide_the_day() -> None:
    frame = _frame(2)
    # Day-first with offsets; 21:30 in New York is already the next day in UTC.
    frame["applied_at"] = ["05.01.2026 09:15 -0500", "05.01.2026 21:30 -0500"]
    spec = _spec(timestamp_formats={"applied_at": "%d.%m.%Y %H:%M %z"})
    utc = validate_applications(
        read_delivery(frame.to_csv(index=False).encode(), "x.csv", spec), spec, DAY, "x.csv"
    )
    assert utc.valid.num_rows == 1  # the evening row belongs to 2026-01-06 in UTC
    local = ModelSpec.model_validate(spec.model_dump() | {"timezone": "America/New_York"})
    table = read_delivery(frame.to_csv(index=False).encode(), "x.csv", local)
    checked = validate_applications(table, local, DAY, "x.csv")
    assert checked.quarantined.num_rows == 0
    assert checked.valid["applied_at"].to_pylist() == [
        dt.datetime(2026, 1, 5, 9, 15),
        dt.datetime(2026, 1, 5, 21, 30),
    ]


@pytest.mark.parametrize(
    ("stamps", "kept", "reasons"),
    [
        (["2026-01-05T23:30:00"], [dt.datetime(2026, 1, 5, 23, 30)], []),
        (["2026-01-06T03:30:00+00:00"], [dt.datetime(2026, 1, 5, 22, 30)], []),
        (["2026-01-06T03:30:00Z"], [dt.datetime(2026, 1, 5, 22, 30)], []),
        (
            ["2026-01-05T22:00:00-05:00", "2026-01-05T23:30:00"],
            [dt.datetime(2026, 1, 5, 22, 0)],
            ["applied_at: no UTC offset, unlike the rest of the column"],
        ),
    ],
)
def test_naive_timestamps_are_business_time_and_offsets_are_converted(
    stamps, kept, reasons
) -> None:
    frame = _frame(len(stamps))
    frame["applied_at"] = stamps
    spec = ModelSpec.model_validate(_spec().model_dump() | {"timezone": "America/New_York"})
    checked = validate_applications(
        read_delivery(frame.to_csv(index=False).encode(), "x.csv", spec), spec, DAY, "x.csv"
    )
    assert checked.valid["applied_at"].to_pylist() == kept
    assert checked.quarantined[REASON_COLUMN].to_pylist() == reasons


SEPARATORS = st.sampled_from([(",", "."), (";", ","), (",", ","), ("\t", "."), ("|", ",")])
FINITE = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    separators=SEPARATORS,
    incomes=st.lists(FINITE, min_size=1, max_size=20),
    blank=st.booleans(),
)
def test_any_dialect_reads_back_the_numbers_written(separators, incomes, blank) -> None:
    sep, decimal = separators
    n = len(incomes)
    frame = pd.DataFrame(
        {
            "app_id": [f"A{i}" for i in range(n)],
            "applied_at": ["2026-01-05 10:00:00"] * n,
            "annual_income": incomes,
            "debt_to_income": [np.nan if blank and i == 0 else i / 7 for i in range(n)],
            "channel": ["web"] * n,
        }
    )
    data = frame.to_csv(index=False, sep=sep, decimal=decimal).encode()
    valid = _valid(data, _spec())
    assert np.allclose(valid["annual_income"], incomes, rtol=1e-12, atol=0)
    assert np.allclose(valid["debt_to_income"], frame["debt_to_income"], equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.sampled_from(["inf", "-inf", "Infinity", "1e309", "-1e400", "NaN", "abc", ""]),
            FINITE.map(repr),
        ),
        min_size=1,
        max_size=15,
    )
)
def test_a_numeric_value_is_a_finite_number_missing_or_quarantined(values) -> None:
    n = len(values)
    frame = _frame(1).iloc[[0] * n].reset_index(drop=True)
    frame["app_id"] = [f"A{i}" for i in range(n)]
    frame["annual_income"] = values
    checked = validate_applications(frame.astype(str).replace("nan", ""), _spec(), DAY, "x.csv")
    kept = checked.valid["annual_income"].to_numpy(zero_copy_only=False)
    assert np.all(np.isfinite(kept) | np.isnan(kept))  # never an infinity
    assert checked.valid.num_rows + checked.quarantined.num_rows == n
    expected_bad = sum(
        v in ("inf", "-inf", "Infinity", "1e309", "-1e400", "NaN", "abc") for v in values
    )
    assert checked.quarantined.num_rows == expected_bad


def test_whole_numbers_grouped_with_points_are_refused_until_declared() -> None:
    """51.549 in a German export is 51549, in an English one 51.549: never guessed."""
    text = "app_id;applied_at;annual_income;debt_to_income;channel\n"
    text += "A0;2026-01-05 10:00:00;51.549;35;web\nA1;2026-01-05 11:00:00;858;40;app\n"
    with pytest.raises(LandingFileError, match=r"x\.csv: annual_income values like '51\.549'"):
        read_delivery(text.encode(), "x.csv", _spec())
    declared = _spec(csv={"decimal": ",", "thousands": "."})
    assert _valid(text.encode(), declared)["annual_income"].tolist() == [51549.0, 858.0]


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("1.234.567,25", 1234567.25),
        ("950,5", 950.5),
        ("12", 12.0),
        ("51549.21", None),  # a decimal point where the comma is declared
        ("1.449", 1449.0),
        ("1.44", None),  # not a group of three
        ("12.34.567", None),
    ],
)
def test_declared_separators_read_only_numbers_written_that_way(value, parsed) -> None:
    text = "app_id;applied_at;annual_income;debt_to_income;channel\n"
    text += f"A0;2026-01-05 10:00:00;{value};0,5;web\n"
    spec = _spec(csv={"delimiter": ";", "decimal": ",", "thousands": "."})
    table = read_delivery(text.encode(), "x.csv", spec)
    checked = validate_applications(table, spec, DAY, "x.csv")
    if parsed is None:
        assert checked.quarantined[REASON_COLUMN].to_pylist() == ["annual_income: not a number"]
        assert checked.quarantined["annual_income"].to_pylist() == [value]  # as delivered
    else:
        assert checked.valid["annual_income"].to_pylist() == [parsed]


@pytest.mark.parametrize("quoting", [csv.QUOTE_MINIMAL, csv.QUOTE_NONNUMERIC])
def test_comma_grouped_amounts_with_a_decimal_point_are_sniffed(quoting) -> None:
    frame = _frame()
    frame["annual_income"] = ["12,500.00", "987.65", "1,250,000.5"]
    data = frame.to_csv(index=False, quoting=quoting).encode()
    assert _valid(data, _spec())["annual_income"].tolist() == [12500.0, 987.65, 1250000.5]
    declared = _spec(csv={"thousands": ","})
    assert _valid(data, declared)["annual_income"].tolist() == [12500.0, 987.65, 1250000.5]
    assert "thousands ','" in dialect_used(read_delivery(data, "x.csv", _spec()))


def test_a_lone_comma_group_is_still_read_as_a_decimal_comma_until_declared() -> None:
    """1,250 alone may be one and a quarter (decimal comma): nothing tells, nothing changes."""
    text = "app_id;applied_at;annual_income;debt_to_income;channel\n"
    text += "A0;2026-01-05 10:00:00;1,250;0,5;web\n"
    assert _valid(text.encode(), _spec())["annual_income"].tolist() == [1.25]
    declared = _spec(csv={"decimal": ".", "thousands": ","})
    assert _valid(text.replace("0,5", "0.5").encode(), declared)["annual_income"].tolist() == [
        1250.0
    ]


@pytest.mark.parametrize("space", [" ", "\u00a0", "\u202f"])
@pytest.mark.parametrize("declared", [False, True])
def test_no_break_spaces_group_thousands_like_a_space(space, declared) -> None:
    text = "app_id;applied_at;annual_income;debt_to_income;channel\n"
    text += f"A0;2026-01-05 10:00:00;12{space}500,00;0,5;web\n"
    text += f"A1;2026-01-05 11:00:00;1{space}234{space}567,5;1,5;app\n"
    spec = _spec(csv={"decimal": ",", "thousands": " "}) if declared else _spec()
    assert _valid(text.encode(), spec)["annual_income"].tolist() == [12500.0, 1234567.5]


def test_several_headers_may_name_one_column_across_the_history() -> None:
    spec = _spec(columns={"Income": "annual_income", "AnnualIncome": "annual_income"})
    for header in ("Income", "AnnualIncome", "annual_income"):
        frame = _frame().rename(columns={"annual_income": header})
        valid = _valid(frame.to_csv(index=False).encode(), spec)
        assert valid["annual_income"].tolist() == [45000.5, 45001.5, 45002.5]


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_file_holding_two_headers_of_one_column_is_refused_naming_both(kind, tmp_path) -> None:
    spec = _spec(columns={"Income": "annual_income", "AnnualIncome": "annual_income"})
    frame = _frame().rename(columns={"annual_income": "Income"})
    frame["AnnualIncome"] = frame["Income"]
    if kind == "csv":
        data = frame.to_csv(index=False).encode()
    else:
        frame.to_parquet(tmp_path / "x.parquet", index=False)
        data = (tmp_path / "x.parquet").read_bytes()
    with pytest.raises(
        LandingFileError,
        match=rf"x\.{kind}: more than one header reads as 'annual_income' \('Income', "
        r"'AnnualIncome'\)",
    ):
        read_delivery(data, f"x.{kind}", spec)
