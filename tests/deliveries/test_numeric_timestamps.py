"""Timestamps delivered as numbers, through ``ml-platform run`` on the embedded platform.

A: a daily CSV saved from a spreadsheet whose date column had no date format, so ``applied_at``
holds Excel serial date-times (days since 1899-12-30, the time as a fraction). B: parquet from a
change-data-capture pipeline with ``applied_at`` as an unannotated int64 of epoch milliseconds.
Undeclared, each is refused with a sentence that recognises the numbers; declared, every
application is stored on its day.
"""

import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from ml_platform_assets.cli import main
from tests.deliveries import lender_files as L

DAYS = L.days(4)
ROWS = 50


def _truth() -> pd.DataFrame:
    return pd.concat([L.make_day(day, ROWS) for day in DAYS], ignore_index=True)


def _deliver(folder: Path, shape: str) -> str:
    """The days as the lender's export writes them; returns the spec's ``{date}`` pattern."""
    folder.mkdir(parents=True)
    for day in DAYS:
        frame = L.make_day(day, ROWS)
        stamps = pd.to_datetime(frame["applied_at"])
        if shape == "excel":
            serials = (stamps - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)
            frame["applied_at"] = serials.round(8)
            frame.to_csv(folder / f"apps_{day}.csv", index=False)
        else:
            frame["applied_at"] = stamps.astype("datetime64[ms]").astype("int64")
            frame.to_parquet(folder / f"apps_{day}.parquet", index=False)
    return str(folder / ("apps_{date}.csv" if shape == "excel" else "apps_{date}.parquet"))


def _run(root: Path, monkeypatch, shape: str, declared: str | None):
    monkeypatch.chdir(root)
    for name in ("ML_PLATFORM_HOME", "ML_PLATFORM_OBJECT_STORE", "ML_PLATFORM_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    spec = L.base_spec(shape, _deliver(root / "data", shape))
    if declared:
        spec["data_source"]["timestamp_formats"] = {"applied_at": declared}
    monkeypatch.setenv("ML_PLATFORM_SPECS_DIR", str(L.write_spec(root / "specs", spec)))
    args = ["run", shape, "--start", str(DAYS[0]), "--end", str(DAYS[-1])]
    return CliRunner().invoke(main, args, catch_exceptions=False)


def _stored(root: Path, model: str) -> pd.DataFrame:
    files = sorted((root / ".ml_platform" / model / "raw").glob("dt=*/data.parquet"))
    frames = [pq.read_table(f).to_pandas().assign(dt=f.parent.name[3:]) for f in files]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


@pytest.mark.parametrize(
    ("shape", "example", "reads_as"),
    [
        ("excel", r"46023\.\d+", "Excel serial date-times"),
        ("epoch_ms", r"17672\d{8}", "epoch milliseconds"),
    ],
)
def test_undeclared_numeric_timestamps_are_refused_naming_their_kind(
    tmp_path, monkeypatch, shape, example, reads_as
) -> None:
    result = _run(tmp_path, monkeypatch, shape, None)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    [error] = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert re.search(f"applied_at: values like '{example}' are numbers, not dates: they", error)
    assert f"{reads_as} on 2026-01-01; declare data_source.timestamp_formats.applied_at: " in error
    assert f"applied_at: {shape} (or " in error and "%" not in error
    assert _stored(tmp_path, shape).empty


@pytest.mark.parametrize("shape", ["excel", "epoch_ms"])
def test_declared_numeric_timestamps_store_every_application_on_its_day(
    tmp_path, monkeypatch, shape
) -> None:
    result = _run(tmp_path, monkeypatch, shape, shape)
    assert f"raw_applications: {ROWS * len(DAYS)} kept over {len(DAYS)} days" in result.output
    # Four days are too few to train on: the run stops there, after storing every day.
    assert "Error: training of" in result.output, result.output
    stored = _stored(tmp_path, shape).set_index("app_id")
    truth = _truth().set_index("app_id")
    assert sorted(stored.index) == sorted(truth.index)
    expected = pd.to_datetime(truth.loc[stored.index, "applied_at"])
    assert ((stored["applied_at"] - expected).abs() <= pd.Timedelta(seconds=1)).all()
    assert (stored["applied_at"].dt.date.astype(str) == stored["dt"]).all()
