"""The text of delivered CSV files: byte-order marks, trailing delimiters, repeated headers and
header lines repeated inside a file."""

import codecs
import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ml_platform_assets.core.csv_files import decode, read_csv_parts, sniff_delimiter
from ml_platform_assets.core.parsing import LandingFileError, dialect_used, read_delivery
from ml_platform_assets.core.validation import validate_applications
from tests.core.test_parsing import _frame, _spec, _valid

DAY = dt.date(2026, 1, 5)


def _trailing(frame: pd.DataFrame, sep: str = ",") -> str:
    lines = frame.to_csv(index=False, sep=sep).splitlines()
    return "\n".join([lines[0]] + [line + sep for line in lines[1:]]) + "\n"


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
@pytest.mark.parametrize("declared", [False, True])
def test_a_trailing_delimiter_on_every_row_is_dropped(sep, declared) -> None:
    spec = _spec(csv={"delimiter": sep}) if declared else _spec()
    valid = _valid(_trailing(_frame(), sep).encode(), spec)
    assert valid["app_id"].tolist() == ["A0", "A1", "A2"]
    assert valid["annual_income"].tolist() == [45000.5, 45001.5, 45002.5]
    assert valid["channel"].tolist() == ["web", "app", "web"]


def test_a_trailing_delimiter_on_the_header_too_is_dropped() -> None:
    text = "a,b,\n1,2,\n3,4,\n"
    [(_, headers, frame)] = read_csv_parts(text, "x.csv", ",", '"')
    assert headers == ["a", "b"] and frame.to_numpy().tolist() == [["1", "2"], ["3", "4"]]
    assert sniff_delimiter(text) == ","


def test_some_rows_with_a_trailing_delimiter_and_some_without_read_alike() -> None:
    [(_, headers, frame)] = read_csv_parts("a,b\n1,2,\n3,4\n5,6, \n", "x.csv", ",", '"')
    assert frame.to_numpy().tolist() == [["1", "2"], ["3", "4"], ["5", "6"]]


@pytest.mark.parametrize("spec", [_spec(), _spec(csv={"delimiter": ","})])
def test_a_value_after_the_last_header_is_refused_naming_the_file_and_line(spec) -> None:
    text = _trailing(_frame()).splitlines()
    text[2] += "surprise"
    with pytest.raises(LandingFileError, match=r"x\.csv: line 3 has 6 fields.*'surprise'"):
        read_delivery("\n".join(text).encode(), "x.csv", spec)


def test_a_repeated_csv_header_is_refused_naming_it_and_the_file() -> None:
    text = "app_id,bureau_score,bureau_score\nA0,,700\nA1,650,640\n"
    with pytest.raises(
        LandingFileError,
        match=r"^x\.csv: more than one header reads as 'bureau_score' \('bureau_score', "
        r"'bureau_score'\)",
    ):
        read_delivery(text.encode(), "x.csv", _spec())


def test_headers_repeated_once_stripped_are_refused() -> None:
    text = "app_id, channel,channel \nA0,web,app\n"
    with pytest.raises(LandingFileError, match=r"more than one header reads as 'channel'"):
        read_delivery(text.encode(), "x.csv")


@pytest.mark.parametrize("reorder", [False, True])
def test_a_header_line_repeated_inside_the_file_starts_a_part_read_by_it(reorder) -> None:
    first, second = _frame(3), _frame(3)
    second["app_id"] = ["B0", "B1", "B2"]
    if reorder:
        second = second[list(reversed(second.columns))]
    text = first.to_csv(index=False) + second.to_csv(index=False)
    valid = _valid(text.encode(), _spec())
    assert valid["app_id"].tolist() == ["A0", "A1", "A2", "B0", "B1", "B2"]
    assert valid["annual_income"].tolist() == [45000.5, 45001.5, 45002.5] * 2
    assert valid["channel"].tolist() == ["web", "app", "web"] * 2


def test_a_repeated_header_line_with_spaces_and_quotes_is_still_a_header() -> None:
    first, second = read_csv_parts('a,b\n1,2\n"b", a \n3,4\n', "x.csv", ",", '"')
    assert first[:2] == (1, ["a", "b"]) and first[2].to_dict("list") == {"0": ["1"], "1": ["2"]}
    assert second[:2] == (3, ["b", " a "])
    assert second[2].to_dict("list") == {"0": ["3"], "1": ["4"]}


@pytest.mark.parametrize("header", ["\ufeffb,a", "B,A"])
def test_a_repeated_header_with_a_byte_order_mark_or_in_capitals_is_a_header(header) -> None:
    first, second = read_csv_parts(f"a,b\n1,2\n{header}\n3,4\n", "x.csv", ",", '"')
    assert [h.lower() for h in second[1]] == ["b", "a"] and len(second[2]) == 1


def test_a_header_line_with_columns_renamed_and_added_starts_a_part() -> None:
    """Concatenated exports of two releases of the lender's system: the second renames
    annual_income (both names map to it), adds a column and reorders the rest, with a trailing
    delimiter of its own. Every value lands in its own column; the added one is kept."""
    spec = _spec(columns={"credit_score": "annual_income"})
    first = _frame(2)
    second = _frame(2).rename(columns={"annual_income": "credit_score"})
    second["app_id"] = ["B0", "B1"]
    second["promo"] = ["x", "y"]
    second = second[["promo", "app_id", "channel", "debt_to_income", "credit_score", "applied_at"]]
    text = first.to_csv(index=False) + second.to_csv(index=False, lineterminator=",\n")
    table = read_delivery(text.encode(), "x.csv", spec)
    assert table["app_id"].to_pylist() == ["A0", "A1", "B0", "B1"]
    assert table["annual_income"].to_pylist() == ["45000.5", "45001.5"] * 2
    assert table["debt_to_income"].to_pylist() == ["0.35", "1.25"] * 2
    assert table["promo"].to_pylist() == [None, None, "x", "y"]
    valid = _valid(text.encode(), spec)
    assert valid["channel"].tolist() == ["web", "app"] * 2


@pytest.mark.parametrize(
    ("second_header", "missing"),
    [
        ("app_id,applied_at,annual_income,debt_to_income", "channel"),  # dropped
        ("app_id,applied_at,annual_income,debt_to_income,Channel", "channel"),  # case, unmapped
        ("app_id,applied_at,income_v2,debt_to_income,channel", "annual_income"),  # renamed
    ],
)
def test_a_part_without_a_column_the_first_header_has_is_refused(second_header, missing) -> None:
    """Rows under a header line lacking a column would silently miss its values."""
    first = _frame(2).to_csv(index=False)
    values = "B0,2026-01-05 10:00:00,1.0,0.1" + (",web" if second_header.count(",") == 4 else "")
    text = f"{first}{second_header}\n{values}\n"
    with pytest.raises(
        LandingFileError,
        match=rf"^x\.csv: the header line repeated at line 4 has no column {missing} that the "
        r"first header has \(headers there: 'app_id'",
    ):
        read_delivery(text.encode(), "x.csv", _spec())


def test_a_data_row_holding_one_header_name_is_data() -> None:
    [(_, _, frame)] = read_csv_parts("kind,note\nkind,7\nweb,note\n", "x.csv", ",", '"')
    assert frame.to_numpy().tolist() == [["kind", "7"], ["web", "note"]]


def test_an_empty_file_is_refused_saying_so() -> None:
    for text in (b"", b"\n\n"):
        with pytest.raises(LandingFileError, match=r"^x\.csv: the file is empty: not even a"):
            read_delivery(text, "x.csv", _spec())


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
def test_excel_unicode_text_is_read_by_its_byte_order_mark(bom) -> None:
    encoding = "utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be"
    frame = _frame()
    frame["app_id"] = ["Ä0", "Ö1", "Ü2"]
    data = bom + frame.to_csv(index=False, sep="\t").encode(encoding)
    valid = _valid(data, _spec())
    assert valid["app_id"].tolist() == ["Ä0", "Ö1", "Ü2"]
    # The mark decides even when another encoding is declared for the files without one.
    assert _valid(data, _spec(csv={"encoding": "cp1252"}))["app_id"].tolist()[0] == "Ä0"
    assert "delimiter tab" in dialect_used(read_delivery(data, "x.csv", _spec()))


def test_a_declared_encoding_wins_without_a_byte_order_mark() -> None:
    text = "a\tb\nÄ\t1\n"
    assert decode(text.encode("utf-16-le"), "x.csv", "utf-16-le") == (text, "utf-16-le")
    assert decode(text.encode("cp1252"), "x.csv", "cp1252") == (text, "cp1252")
    with pytest.raises(LandingFileError, match=r"x\.csv: not utf-8 text"):
        decode(text.encode("utf-16-le"), "x.csv", "utf-8")


def test_an_empty_file_is_refused_with_a_sentence() -> None:
    with pytest.raises(LandingFileError, match=r"x\.csv: the file is empty: not even a header"):
        read_delivery(b"", "x.csv", _spec(csv={"delimiter": ","}))


def test_a_repeated_parquet_header_is_refused_as_in_csv(tmp_path) -> None:
    table = pa.table({"app_id": ["A0"], "b": [1.0], "c": [2.0]})
    table = table.rename_columns(["app_id", "bureau_score", "bureau_score"])
    pq.write_table(table, tmp_path / "x.parquet")
    with pytest.raises(LandingFileError, match=r"more than one header reads as 'bureau_score'"):
        read_delivery((tmp_path / "x.parquet").read_bytes(), "x.parquet", _spec())


def test_clean_rows_give_the_same_table_as_before() -> None:
    """The checks add nothing to a file without these shapes: every value as written."""
    text = _frame().to_csv(index=False)
    table = read_delivery(text.encode(), "x.csv", _spec())
    assert table.to_pandas().astype(str).to_numpy().tolist() == (
        pd.read_csv(pd.io.common.StringIO(text), dtype=str).to_numpy().tolist()
    )
    checked = validate_applications(table, _spec(), DAY, "x.csv")
    assert checked.quarantined.num_rows == 0


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_headers_differing_only_by_case_are_refused(kind, tmp_path) -> None:
    table = pa.table({"app_id": ["A0"], "bureau_score": ["700"], "Bureau_Score": ["640"]})
    if kind == "csv":
        data = table.to_pandas().to_csv(index=False).encode()
    else:
        pq.write_table(table, tmp_path / "x.parquet")
        data = (tmp_path / "x.parquet").read_bytes()
    with pytest.raises(
        LandingFileError,
        match=r"^x\.\w+: headers 'bureau_score' and 'Bureau_Score' differ only by case",
    ):
        read_delivery(data, f"x.{kind}", _spec())
    # Mapped apart, both are read.
    spec = _spec(columns={"Bureau_Score": "debt_to_income"})
    assert "debt_to_income" in read_delivery(data, f"x.{kind}", spec).column_names


def test_files_read_side_by_side_on_threads_each_get_their_own_reading() -> None:
    """Ingestion parses days on several threads: a clean file and one with trailing
    delimiters read at once must not disturb each other."""
    from concurrent.futures import ThreadPoolExecutor

    clean = _frame().to_csv(index=False).encode()
    trailing = _trailing(_frame()).encode()
    with ThreadPoolExecutor(8) as pool:
        tables = list(
            pool.map(lambda d: read_delivery(d, "x.csv", _spec()), [clean, trailing] * 40)
        )
    assert all(t["app_id"].to_pylist() == ["A0", "A1", "A2"] for t in tables)
