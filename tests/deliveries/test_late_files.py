"""A file that arrives after its day was ingested without one (services/file_delivery.py,
services/landing_zone.py): its rows are ingested, and the outcomes it brings follow, whether
derived from the applications' target column or delivered in outcome files of their own."""

import datetime as dt
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from ml_platform_assets.cli import main
from tests.deliveries import lender_files as L

LATE = dt.date(2026, 1, 20)


def _ids(lender, model: str, zone: str) -> set[str]:
    files = sorted((lender.store / model / zone).glob("dt=*/data.parquet"))
    return set(pd.concat([pd.read_parquet(f) for f in files])["app_id"])


def _events(model: str) -> list[dict]:
    return json.loads(CliRunner().invoke(main, ["audit", model, "--json"]).output)


@pytest.mark.parametrize(
    ("first_delivered", "first_said"),
    [
        ("no file", "No file for 1 day (2026-01-20): ingested as days without applications"),
        # the export ran before the day's data was in
        ("header only", "1 file with a header and no rows (2026-01-20)"),
    ],
)
def test_a_late_application_file_brings_its_derived_outcomes(
    lender, tmp_path, first_delivered, first_said
) -> None:
    frames = {day: L.make_day(day) for day in L.days()}
    folder = tmp_path / "data"
    late = frames.pop(LATE)
    if first_delivered == "header only":
        frames[LATE] = late.iloc[0:0]
    spec = L.write_spec(tmp_path / "specs", L.base_spec("late", L.write_days(folder, frames)))
    first = lender.run(spec, "late", end="2026-01-31")
    assert first.exit_code == 0, first.output
    assert first_said in first.output

    late.to_csv(folder / f"apps_{LATE}.csv", index=False)
    second = lender.run(spec, "late")
    assert second.exit_code == 0, second.output
    assert (
        "2026-01-20: arrived late, after it was ingested without applications; the outcomes "
        "derived from it (known 2026-01-23) follow" in second.output
    )
    assert "Warning" not in second.output
    assert set(late["app_id"]) <= _ids(lender, "late", "raw")
    assert set(late["app_id"]) <= _ids(lender, "late", "outcomes")
    valid = lender.manifest("late", "training_set")["summary"]["valid"]["rows"]
    assert valid == 500  # 2026-01-20..24, the late day included
    # The derived outcome file it replaced is kept and the replacement is on record.
    replaced = lender.store / "late" / "landing" / "outcomes" / "replaced"
    assert any(replaced.rglob("*"))
    [outcome_day] = [
        e["payload"]
        for e in _events("late")
        if e["event_type"] == "redelivered" and e["payload"]["kind"] == "outcomes"
    ]
    assert outcome_day["day"] == "2026-01-23"
    assert "arrived late" in outcome_day["replaces"][-1]["reason"]
    assert CliRunner().invoke(main, ["audit", "verify", "late"]).exit_code == 0


def test_a_late_outcome_file_replaces_the_empty_day_it_was_delivered_as(lender, tmp_path) -> None:
    frames = {day: L.make_day(day) for day in L.days()}
    apps = {day: f.drop(columns=["is_bad"]) for day, f in frames.items()}
    outcomes = {
        day + dt.timedelta(days=3): f[["app_id", "is_bad"]].assign(
            outcome_date=(day + dt.timedelta(days=3)).isoformat()
        )
        for day, f in frames.items()
    }
    folder = tmp_path / "outcomes"
    missing = outcomes.pop(dt.date(2026, 1, 10))
    spec = L.base_spec("late_outcomes", L.write_days(tmp_path / "apps", apps))
    spec["data_source"]["outcomes"] = L.write_days(folder, outcomes)
    specs = L.write_spec(tmp_path / "specs", spec)
    first = lender.run(specs, "late_outcomes", end="2026-01-31")
    assert first.exit_code == 0, first.output
    assert (
        "No outcome file for 4 days (2026-01-01, 2026-01-02, 2026-01-03, 2026-01-10): no outcomes "
        "known on them yet; a file that arrives later takes their place" in first.output
    )

    missing.to_csv(folder / "apps_2026-01-10.csv", index=False)
    second = lender.run(specs, "late_outcomes")
    assert second.exit_code == 0, second.output
    assert "2026-01-10: an outcome file arrived for a day first delivered without one" in (
        second.output
    )
    assert "Warning" not in second.output
    assert set(missing["app_id"]) <= _ids(lender, "late_outcomes", "outcomes")
