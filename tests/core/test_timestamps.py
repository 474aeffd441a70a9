"""Timestamps delivered as numbers: Excel serial date-times and epoch seconds or milliseconds,
read only with a declared kind; undeclared numbers are refused naming the kind that fits."""

import datetime as dt
import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from ml_platform_assets.core.numeric_timestamps import KINDS, NUMERIC_KINDS
from ml_platform_assets.core.parsing import LandingFileError, read_delivery
from ml_platform_assets.core.quarantine import REASON_COLUMN
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.timestamps import business_times, timestamp_format
from ml_platform_assets.core.validation import validate_applications, validate_outcomes
from tests.core.hand_specs import files_spec

DAY = dt.date(2026, 1, 5)
EPOCHS, SERIALS = "1971-01-01..2199-12-31", "1900-03-01..2199-12-31"
TRUTH = [dt.datetime(2026, 1, 5, 0, 10, 11), dt.datetime(2026, 1, 5, 13, 45, 30)]


def _spec(timezone: str = "UTC", **source) -> ModelSpec:
    return files_spec({"annual_income": {"min": 0}}, timezone, **source)


def _declared(kind: str, timezone: str = "UTC") -> ModelSpec:
    return _spec(timezone, timestamp_formats={"applied_at": kind})


def _excel(stamps) -> list[float]:
    serials = (pd.Series(pd.to_datetime(stamps)) - pd.Timestamp("1899-12-30")) / pd.Timedelta(
        days=1
    )
    return serials.round(8).tolist()


def _epoch_ms(stamps, timezone: str = "UTC") -> list[int]:
    utc = pd.Series(pd.to_datetime(stamps)).dt.tz_localize(timezone).dt.tz_convert("UTC")
    return utc.dt.tz_localize(None).astype("datetime64[ms]").astype("int64").tolist()


def _frame(stamps: list) -> pd.DataFrame:
    n = len(stamps)
    return pd.DataFrame(
        {
            "app_id": [f"A{i}" for i in range(n)],
            "applied_at": stamps,
            "annual_income": [50000.0] * n,
            "channel": ["web"] * n,
            "is_bad": [0] * n,
        }
    )


def _validate(frame: pd.DataFrame, spec: ModelSpec, file_format: str = "csv", **to_csv):
    if file_format == "csv":
        data = frame.to_csv(index=False, **to_csv).encode()
    else:
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
        data = sink.getvalue()
    name = f"apps_{DAY}.{file_format}"
    return validate_applications(read_delivery(data, name, spec), spec, DAY, name)


def _close(got: list, expected: list) -> bool:
    """Within a millisecond: Excel serials keep the time to about that."""
    return len(got) == len(expected) and all(
        abs(pd.Timestamp(g) - pd.Timestamp(e)) <= pd.Timedelta(milliseconds=1)
        for g, e in zip(got, expected, strict=True)
    )


def test_the_kinds_known_to_the_spec_are_the_kinds_read() -> None:
    assert tuple(KINDS) == NUMERIC_KINDS


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("excel", _excel(TRUTH)),
        ("epoch_ms", _epoch_ms(TRUTH)),
        ("epoch_s", [v // 1000 for v in _epoch_ms(TRUTH)]),
        ("epoch_s", [v / 1000 for v in _epoch_ms(TRUTH)]),
    ],
)
@pytest.mark.parametrize("delivered", ["csv", "parquet-number", "parquet-string"])
def test_each_declared_kind_reads_text_and_numeric_columns(kind, values, delivered) -> None:
    frame = _frame(values)
    if delivered == "parquet-string":
        frame["applied_at"] = [str(v) for v in values]
    checked = _validate(frame, _declared(kind), "csv" if delivered == "csv" else "parquet")
    assert checked.quarantined.num_rows == 0
    assert _close(checked.valid["applied_at"].to_pylist(), TRUTH)


def test_parquet_integer_and_float_columns_keep_their_type() -> None:
    frame = _frame(_epoch_ms(TRUTH))
    for dtype in ("int64", "float64"):
        checked = _validate(frame.astype({"applied_at": dtype}), _declared("epoch_ms"), "parquet")
        assert checked.valid["applied_at"].to_pylist() == TRUTH


def test_excel_serials_with_decimal_commas_follow_the_files_numbers() -> None:
    checked = _validate(_frame(_excel(TRUTH)), _declared("excel"), sep=";", decimal=",")
    assert _close(checked.valid["applied_at"].to_pylist(), TRUTH)


EPOCHS_RANGE, EXCEL_RANGE = "(outside 1971-01-01..2199-12-31)", "(outside 1900-03-01..2199-12-31)"


def _reads(kind: str) -> str:
    return f"; they read as {kind} on the file's day: is that the kind?"


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        ("epoch_ms", 1767571811,
         f"not a plausible epoch_ms value {EPOCHS_RANGE}{_reads('epoch_s')}"),
        ("epoch_s", 1767571811000,
         f"not a plausible epoch_s value {EPOCHS_RANGE}{_reads('epoch_ms')}"),
        ("epoch_s", 46027.5, f"not a plausible epoch_s value {EPOCHS_RANGE}{_reads('excel')}"),
        ("excel", 30.5, f"not a plausible excel value {EXCEL_RANGE}"),
        ("excel", 120000, f"not a plausible excel value {EXCEL_RANGE}"),
        ("excel", 1767571811, f"not a plausible excel value {EXCEL_RANGE}{_reads('epoch_s')}"),
        ("excel", 46030.5, "not on the file's day in UTC"),
        ("excel", "05.01.2026 10:00", "missing or not a number (declared excel)"),
        ("epoch_ms", "", "missing or not a number (declared epoch_ms)"),
    ],
)  # fmt: skip
def test_implausible_and_unreadable_values_are_quarantined_per_row(kind, value, reason) -> None:
    good = _excel(TRUTH[:1]) if kind == "excel" else _epoch_ms(TRUTH[:1])
    if kind == "epoch_s":
        good = [good[0] // 1000]
    checked = _validate(_frame([*good, value]), _declared(kind))
    assert checked.valid.num_rows == 1
    assert checked.quarantined[REASON_COLUMN].to_pylist() == [f"applied_at: {reason}"]


@pytest.mark.parametrize(
    ("values", "kind", "reads_as"),
    [
        (_excel(TRUTH), "excel", "Excel serial date-times"),
        (_epoch_ms(TRUTH), "epoch_ms", "epoch milliseconds"),
        ([v // 1000 for v in _epoch_ms(TRUTH)], "epoch_s", "epoch seconds"),
    ],
)
@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_undeclared_numbers_are_refused_naming_the_kind_that_fits(
    values, kind, reads_as, file_format
) -> None:
    others = " / ".join(k for k in NUMERIC_KINDS if k != kind)
    with pytest.raises(LandingFileError) as refused:
        _validate(_frame(values), _spec(), file_format)
    assert str(refused.value) == (
        f"apps_{DAY}.{file_format}: applied_at: values like {str(values[0])!r} are numbers, not "
        f"dates: they read as {reads_as} on {DAY}; declare "
        f"data_source.timestamp_formats.applied_at: {kind} (or {others})"
    )


def test_the_kind_is_judged_in_the_business_timezone() -> None:
    """Epoch milliseconds of New York's evening are the next day in UTC: still epoch_ms fits."""
    evening = [dt.datetime(2026, 1, 5, 20, 0), dt.datetime(2026, 1, 5, 22, 30)]
    values = _epoch_ms(evening, "America/New_York")
    with pytest.raises(LandingFileError, match="read as epoch milliseconds on 2026-01-05"):
        _validate(_frame(values), _spec("America/New_York"))


def test_numbers_no_kind_reads_on_the_day_get_no_strftime_advice() -> None:
    with pytest.raises(LandingFileError) as refused:
        _validate(_frame([12.5, 13.25]), _spec())
    message = str(refused.value)
    assert "values like '12.5' are numbers, not dates, and no numeric timestamp kind" in message
    assert "excel, epoch_s, epoch_ms" in message and "%" not in message


def test_compact_dates_of_digits_are_still_a_strftime_format() -> None:
    checked = _validate(_frame(["20260105", "20260105"]), _spec())
    assert checked.valid["applied_at"].to_pylist() == [dt.datetime(2026, 1, 5)] * 2
    assert timestamp_format(pa.chunked_array([["20260105"]]), "applied_at") == "%Y%m%d"


def test_a_column_mixing_numbers_and_text_dates() -> None:
    mostly_numbers = [*_excel(TRUTH), *_excel(TRUTH), "2026-01-05 09:00:00"]
    with pytest.raises(LandingFileError, match="read as Excel serial date-times"):
        _validate(_frame(mostly_numbers), _spec())
    declared = _validate(_frame(mostly_numbers), _declared("excel"))
    assert declared.valid.num_rows == 4
    assert declared.quarantined[REASON_COLUMN].to_pylist() == [
        "applied_at: missing or not a number (declared excel)"
    ]
    mostly_text = ["2026-01-05 09:00:00", "2026-01-05 10:00:00", *_excel(TRUTH[:1])]
    inferred = _validate(_frame(mostly_text), _spec())
    assert inferred.valid.num_rows == 2
    assert inferred.quarantined[REASON_COLUMN].to_pylist() == [
        "applied_at: missing or not a timestamp in format ISO 8601"
    ]


def test_excel_is_business_wall_clock_and_epochs_are_converted() -> None:
    noon = [dt.datetime(2026, 1, 5, 12, 0)]
    excel = _validate(_frame(_excel(noon)), _declared("excel", "Europe/Berlin"))
    assert excel.valid["applied_at"].to_pylist() == noon  # as the spreadsheet shows it
    epoch = _validate(_frame(_epoch_ms(noon)), _declared("epoch_ms", "Europe/Berlin"))
    assert epoch.valid["applied_at"].to_pylist() == [dt.datetime(2026, 1, 5, 13, 0)]


def test_epochs_across_a_daylight_saving_change() -> None:
    """Berlin skips 02:00-03:00 on 2026-03-29: 00:30 and 01:30 UTC are 01:30 and 03:30."""
    utc = [dt.datetime(2026, 3, 28, 23, 30), dt.datetime(2026, 3, 29, 0, 30)]
    utc.append(dt.datetime(2026, 3, 29, 1, 30))
    stamps, _ = business_times(pa.chunked_array([_epoch_ms(utc)]), "Europe/Berlin", "epoch_ms")
    assert pd.DatetimeIndex(stamps).to_pydatetime().tolist() == [
        dt.datetime(2026, 3, 29, 0, 30),
        dt.datetime(2026, 3, 29, 1, 30),
        dt.datetime(2026, 3, 29, 3, 30),
    ]
    excel, _ = business_times(pa.chunked_array([_excel(utc)]), "Europe/Berlin", "excel")
    assert _close(pd.DatetimeIndex(excel).to_pydatetime().tolist(), utc)  # never shifted


def test_an_outcome_files_date_column_takes_a_kind_too() -> None:
    spec = _spec(outcomes="outcomes_{date}.csv", timestamp_formats={"outcome_date": "epoch_ms"})
    rows = pd.DataFrame(
        {"app_id": ["A1", "A2"], "outcome_date": _epoch_ms(TRUTH), "is_bad": [1, 0]}
    )
    name = "outcomes.csv"
    table = read_delivery(rows.to_csv(index=False).encode(), name, spec)
    checked = validate_outcomes(table, spec, DAY, name, "outcome_date")
    assert checked.valid["outcome_date"].to_pylist() == [dt.datetime(2026, 1, 5)] * 2
    undeclared = _spec(outcomes="outcomes_{date}.csv")
    with pytest.raises(LandingFileError, match="outcome_date: values like .* epoch_ms"):
        validate_outcomes(table, undeclared, DAY, name, "outcome_date")


@pytest.mark.parametrize("fmt", ["%d.%m.%Y %H:%M", "ISO8601", "excel", "epoch_s", "epoch_ms"])
def test_the_spec_takes_strftime_formats_and_the_kinds(fmt) -> None:
    assert _declared(fmt).data_source.timestamp_formats == {"applied_at": fmt}


@pytest.mark.parametrize("fmt", ["epoch", "unix_ms", "dd.mm.yyyy"])
def test_the_spec_refuses_a_format_that_is_neither(fmt) -> None:
    with pytest.raises(ValidationError, match=f"{fmt!r} is neither a strftime format"):
        _declared(fmt)


def test_one_file_of_many_days_gets_the_refusal_without_a_day() -> None:
    """A source split into days on its timestamps knows no day yet: the kind whose plausible
    range holds the numbers is named; digits that a strftime format reads stay a format."""
    epochs = pa.chunked_array([_epoch_ms(TRUTH)])
    with pytest.raises(LandingFileError, match=r"read as epoch milliseconds; declare .*epoch_ms"):
        timestamp_format(epochs, "applied_at")
    assert timestamp_format(pa.chunked_array([["202601051030"]]), "applied_at") == "%Y%m%d%H%M"
    stamps, _ = business_times(epochs, "UTC", "epoch_ms")
    assert pd.DatetimeIndex(stamps).to_pydatetime().tolist() == TRUTH
