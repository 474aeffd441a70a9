"""Typed values from delivered text: category codes written as floats."""

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ml_platform_assets.core.parsing import read_delivery
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.validation import validate_applications
from ml_platform_assets.core.values import category_text
from tests.core.test_parsing import _frame, _spec

DAY = dt.date(2026, 1, 5)


def test_a_whole_float_reads_as_the_declared_level_it_equals() -> None:
    values = pa.chunked_array([["1.0", "2", " 3.00 ", "1.5", "7.0", None, "web", "1e0"]])
    assert category_text(values, ["1", "2", "3"]).to_pylist() == [
        "1",
        "2",
        "3",
        "1.5",  # a real non-integer stays what it is: an unknown value
        "7.0",  # a whole number that is no level stays as delivered
        None,
        "web",
        "1",
    ]


def test_a_float_column_reads_as_its_declared_levels() -> None:
    values = pa.chunked_array([pa.array([1.0, 2.0, 1.5, np.nan], from_pandas=True)])
    assert category_text(values, ["1", "2"]).to_pylist() == ["1", "2", "1.5", None]


def test_text_levels_are_untouched() -> None:
    values = pa.chunked_array([["web", "app"]])
    assert category_text(values, ["web", "app"]).to_pylist() == ["web", "app"]


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_category_codes_written_as_floats_are_the_declared_levels(kind, tmp_path) -> None:
    spec = ModelSpec.model_validate(
        _spec().model_dump()
        | {
            "features": {
                "numeric": {"annual_income": {}, "debt_to_income": {}},
                "categorical": {"channel": {"values": ["1", "2", "3"]}},
            }
        }
    )
    frame = _frame(3)
    frame["channel"] = [1.0, 2.0, 1.5]
    if kind == "csv":
        data = frame.to_csv(index=False).encode()
        assert b",1.0\n" in data
    else:
        frame.to_parquet(tmp_path / "x.parquet", index=False)
        data = (tmp_path / "x.parquet").read_bytes()
        assert pd.read_parquet(tmp_path / "x.parquet")["channel"].dtype == np.float64
    name = f"x.{kind}"
    checked = validate_applications(read_delivery(data, name, spec), spec, DAY, name)
    assert checked.valid["channel"].to_pylist() == ["1", "2"]
    assert checked.quarantined["quarantine_reason"].to_pylist() == ["channel: unknown value"]
