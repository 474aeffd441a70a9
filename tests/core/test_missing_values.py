"""Missing-value tokens of SQL and spreadsheet exports, in CSV and parquet alike."""

import datetime as dt

import pandas as pd
import pytest

from ml_platform_assets.core.missing_values import MISSING_TOKENS, missing_tokens
from ml_platform_assets.core.parsing import read_delivery
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.validation import validate_applications, validate_outcomes
from tests.core.test_parsing import _frame, _spec

DAY = dt.date(2026, 1, 5)


def _read(frame: pd.DataFrame, spec: ModelSpec, kind: str, tmp_path) -> tuple:
    if kind == "csv":
        data = frame.to_csv(index=False).encode()
    else:
        frame.to_parquet(tmp_path / "x.parquet", index=False)
        data = (tmp_path / "x.parquet").read_bytes()
    name = f"x.{kind}"
    return validate_applications(read_delivery(data, name, spec), spec, DAY, name)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
@pytest.mark.parametrize("token", MISSING_TOKENS)
def test_export_tokens_read_as_missing_in_any_column(kind, token, tmp_path) -> None:
    frame = _frame().astype(str)
    frame.loc[0, "annual_income"] = token
    frame.loc[1, "debt_to_income"] = f" {token} "
    frame.loc[2, "channel"] = token
    checked = _read(frame, _spec(), kind, tmp_path)
    assert checked.quarantined.num_rows == 0
    valid = checked.valid.to_pandas()
    assert valid["annual_income"].isna().tolist() == [True, False, False]
    assert valid["debt_to_income"].isna().tolist() == [False, True, False]
    assert checked.valid["channel"].to_pylist() == ["web", "app", None]


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_the_spec_adds_its_own_tokens(kind, tmp_path) -> None:
    spec = _spec(missing_values=["?", "n.v."])
    assert missing_tokens(spec) == (*MISSING_TOKENS, "?", "n.v.")
    frame = _frame().astype(str)
    frame.loc[0, "annual_income"] = "n.v."
    frame.loc[1, "channel"] = "?"
    checked = _read(frame, spec, kind, tmp_path)
    assert checked.quarantined.num_rows == 0
    assert checked.valid["annual_income"].is_null().to_pylist() == [True, False, False]
    assert checked.valid["channel"].to_pylist() == ["web", None, "web"]
    # Without the spec's tokens they are what they always were.
    assert _read(frame, _spec(), kind, tmp_path).quarantined.num_rows == 2


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_declared_level_spelled_like_a_token_stays_that_level(kind, tmp_path) -> None:
    spec = ModelSpec.model_validate(
        _spec().model_dump()
        | {
            "features": {
                "numeric": {"annual_income": {}, "debt_to_income": {}},
                "categorical": {"channel": {"values": ["web", "NA"]}},
            }
        }
    )
    frame = _frame().astype(str)
    frame["channel"] = ["NA", "web", "NULL"]
    frame.loc[0, "annual_income"] = "NA"
    checked = _read(frame, spec, kind, tmp_path)
    assert checked.quarantined.num_rows == 0
    assert checked.valid["channel"].to_pylist() == ["NA", "web", None]
    assert checked.valid["annual_income"].is_null().to_pylist() == [True, False, False]


def test_a_declared_label_spelled_like_a_token_stays_that_label() -> None:
    spec = ModelSpec.model_validate(
        _spec().model_dump()
        | {
            "target": {
                "column": "is_bad",
                "bad_value": "B",
                "good_value": "G",
                "indeterminate_values": ["N/A"],
            }
        }
    )
    text = "app_id,outcome_date,is_bad\nA0,2026-01-05,B\nA1,2026-01-05,N/A\nA2,2026-01-05,NULL\n"
    table = read_delivery(text.encode(), "o.csv", spec)
    checked = validate_outcomes(table, spec, DAY, "o.csv", "outcome_date")
    assert checked.valid["label"].to_pylist() == ["B", "N/A", None]
    assert checked.quarantined.num_rows == 0


def test_a_missing_timestamp_written_null_is_quarantined_as_missing() -> None:
    frame = _frame()
    frame.loc[1, "applied_at"] = "NULL"
    table = read_delivery(frame.to_csv(index=False).encode(), "x.csv", _spec())
    checked = validate_applications(table, _spec(), DAY, "x.csv")
    assert checked.valid.num_rows == 2
    [reason] = checked.quarantined["quarantine_reason"].to_pylist()
    assert reason.startswith("applied_at: missing or not a timestamp")
