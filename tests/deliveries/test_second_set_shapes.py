"""The second set of delivery shapes through ``ml-platform run``: rows ending with the delimiter,
a header repeated in a joined export, and Excel's comma-grouped amounts.

Each case writes its own small invented data (``lender_files``: 10 days of 60 applications, the
windows shrunk to fit) and judges the outcome a careful user expects: every application stored
under its own id with the values the file shows, or a refusal naming the repeated header.
"""

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from ml_platform_assets.cli import main
from tests.deliveries import lender_files as L
from tests.deliveries.test_cases import Lender, _one_sentence

END = "2026-01-10"
DAYS = L.days(10)


@pytest.fixture
def lender(tmp_path, monkeypatch) -> Lender:
    return Lender(tmp_path, monkeypatch)


def _frames() -> dict[dt.date, pd.DataFrame]:
    return {day: L.make_day(day, n=60) for day in DAYS}


def _spec(name: str, applications: str, **csv) -> dict:
    spec = L.base_spec(name, applications)
    spec["windows"] = {
        "training_days": 5,
        "validation_days": 2,
        "oot_days": 3,
        "label_maturity_days": 1,
        "min_rows": 20,
    }
    spec["lightgbm"] |= {"min_data_in_leaf": 10, "num_boost_round": 20}
    if csv:
        spec["data_source"]["csv"] = csv
    return spec


def _run(lender: Lender, tmp_path: Path, spec: dict):
    specs = L.write_spec(tmp_path / f"specs_{spec['name']}", spec)
    lender.monkeypatch.setenv("ML_PLATFORM_SPECS_DIR", str(specs))
    args = ["run", spec["name"], "--start", "2026-01-01", "--end", END]
    return CliRunner().invoke(main, args, catch_exceptions=False)


def _stored(lender: Lender, model: str) -> pd.DataFrame:
    files = sorted((lender.store / model / "raw").glob("dt=*/data.parquet"))
    return pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)


def _all_stored_as_delivered(lender: Lender, result, model: str, column: str) -> None:
    """Exit 0 and every application stored under its own id with the file's value."""
    assert result.exit_code == 0, result.output
    truth = pd.concat(_frames().values(), ignore_index=True).set_index("app_id")
    raw = _stored(lender, model).set_index("app_id")
    assert len(raw) == len(truth) and raw.index.isin(truth.index).all()
    assert np.allclose(raw[column], truth.loc[raw.index, column], rtol=0, atol=1e-6)
    assert lender.quarantined(model).empty


# 01: every data row ends with ',', the header does not; sniffed, then declared.
@pytest.mark.parametrize("csv", [{}, {"delimiter": ","}], ids=["sniffed", "declared"])
def test_rows_ending_with_the_delimiter_are_read_by_their_header(lender, tmp_path, csv) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for day, frame in _frames().items():
        lines = frame.to_csv(index=False).splitlines()
        text = "\n".join([lines[0]] + [line + "," for line in lines[1:]]) + "\n"
        (folder / f"apps_{day}.csv").write_text(text)
    spec = _spec("trailing", str(folder / "apps_{date}.csv"), **csv)
    result = _run(lender, tmp_path, spec)
    _all_stored_as_delivered(lender, result, "trailing", "annual_income")


# 02: a joined export carries bureau_score twice (soft pull, mostly blank, then hard pull).
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_repeated_header_is_refused_naming_it(lender, tmp_path, kind) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for day, frame in _frames().items():
        rng = np.random.default_rng(day.toordinal())
        soft = np.clip(frame["bureau_score"] + rng.integers(-60, 61, len(frame)), 300, 850)
        soft = soft.astype(float).where(rng.random(len(frame)) >= 0.6)
        out = frame.copy()
        out.insert(5, "bureau_score_soft", soft)
        headers = [c.replace("bureau_score_soft", "bureau_score") for c in out.columns]
        if kind == "csv":
            text = out.to_csv(index=False).split("\n", 1)[1]
            (folder / f"apps_{day}.csv").write_text(",".join(headers) + "\n" + text)
        else:
            table = pa.Table.from_pandas(out, preserve_index=False).rename_columns(headers)
            pq.write_table(table, folder / f"apps_{day}.parquet")
    spec = _spec("dupcol", str(folder / f"apps_{{date}}.{kind}"))
    error = _one_sentence(_run(lender, tmp_path, spec))
    assert "more than one header reads as 'bureau_score'" in error
    assert f"apps_2026-01-01.{kind}" in error
    assert not (lender.store / "dupcol" / "raw").exists() or _stored(lender, "dupcol").empty


# 04: loan_amount as Excel shows it, "12,500.00" (under 1,000: "987.65"), quoted.
@pytest.mark.parametrize("csv", [{}, {"thousands": ","}], ids=["sniffed", "declared"])
def test_comma_grouped_amounts_read_as_the_numbers_shown(lender, tmp_path, csv) -> None:
    frames = _frames()
    for frame in frames.values():
        frame["loan_amount"] = frame["loan_amount"].map(lambda v: f"{v:,.2f}")
    folder = tmp_path / "data"
    L.write_days(folder, frames)
    assert re.search(r'\n[^\n]*"\d{1,2},\d{3}\.\d\d"', (folder / "apps_2026-01-01.csv").read_text())
    spec = _spec("grouped", str(folder / "apps_{date}.csv"), **csv)
    result = _run(lender, tmp_path, spec)
    _all_stored_as_delivered(lender, result, "grouped", "loan_amount")
