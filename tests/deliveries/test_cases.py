"""Files shaped as lenders really send them, through ``ml-platform run`` on the embedded platform:
each delivery case with the outcome a careful credit-risk user expects.

Every case writes its own invented data (``lender_files``) and a spec, runs the command line
in a fresh folder with a fresh Dagster instance, and checks what a user would notice: the exit
status, the sentence printed, the rows kept and quarantined, what was trained and registered.
"""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from ml_platform_assets.cli import main
from tests.deliveries import lender_files as L
from tests.deliveries.lender import Lender

REPO = Path(__file__).resolve().parents[2]
END = "2026-02-03"


def _frames(**kwargs) -> dict[dt.date, pd.DataFrame]:
    return {day: L.make_day(day, **kwargs) for day in L.days()}


def _one_sentence(result) -> str:
    """The command failed with exactly one error sentence and no stack frames."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "Stack Trace" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


def _trained_and_promoted(lender: Lender, result, model: str) -> None:
    assert result.exit_code == 0, result.output
    assert "promoted: champion is v1" in result.output
    [version] = lender.versions(model)
    assert version["status"] == "champion"


# 00 and 01: clean files, and files with a UTF-8 byte-order mark (Excel's "CSV UTF-8").
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_clean_files_train_and_promote_with_or_without_a_byte_order_mark(
    lender, tmp_path, encoding
) -> None:
    pattern = L.write_days(tmp_path / "data", _frames(), encoding=encoding)
    specs = L.write_spec(tmp_path / "specs", L.base_spec("baseline", pattern))
    result = lender.run(specs, "baseline")
    _trained_and_promoted(lender, result, "baseline")
    assert "raw_applications: 3,400 kept over 34 days" in result.output
    assert lender.quarantined("baseline").empty
    assert lender.table("baseline", "raw", "2026-01-05")["app_id"].str.startswith("A").all()


# 02: European exports: ';' with decimal commas, and ',' with quoted decimal commas.
@pytest.mark.parametrize(
    "to_csv",
    [{"sep": ";", "decimal": ","}, {"decimal": ",", "quoting": 2}],
    ids=["semicolon", "quoted-decimal-comma"],
)
def test_european_csv_dialects_are_read_exactly(lender, tmp_path, to_csv) -> None:
    frames = _frames()
    pattern = L.write_days(tmp_path / "data", frames, **to_csv)
    specs = L.write_spec(tmp_path / "specs", L.base_spec("european", pattern))
    result = lender.run(specs, "european")
    _trained_and_promoted(lender, result, "european")
    assert lender.quarantined("european").empty
    raw = lender.table("european", "raw", "2026-01-05")
    expected = frames[dt.date(2026, 1, 5)]
    assert raw["debt_to_income"].tolist() == expected["debt_to_income"].tolist()
    assert raw["annual_income"].tolist() == expected["annual_income"].tolist()


def test_a_dialect_that_quarantines_everything_stops_before_training(lender, tmp_path) -> None:
    """Declared wrongly (decimal point on decimal-comma files), every row is quarantined: the
    run stops before training with the count and the reasons, never trains on zero rows."""
    pattern = L.write_days(tmp_path / "data", _frames(), decimal=",", quoting=2)
    spec = L.base_spec("wrong_dialect", pattern)
    spec["data_source"]["csv"] = {"decimal": "."}
    result = lender.run(L.write_spec(tmp_path / "specs", spec), "wrong_dialect")
    error = _one_sentence(result)
    assert (
        "every one of the 3,400 delivered applications was quarantined "
        "(annual_income: not a number (3,400)), so there is nothing to train on" in error
    )
    assert lender.versions("wrong_dialect") == []


# 03: a bureau outage: one day's bureau_score delivered empty for every row.
def test_an_empty_column_on_a_day_is_drift_and_the_report_renders(lender, tmp_path) -> None:
    from ml_platform_assets.code_location import build_definitions
    from ml_platform_assets.core.spec import load_specs
    from ml_platform_assets.registry.drift import DriftStore
    from resources.environment import read_environment
    from resources.wiring import dagster_instance, platform_resources

    frames = _frames()
    frames[dt.date(2026, 2, 3)]["bureau_score"] = ""
    pattern = L.write_days(tmp_path / "data", frames)
    specs = L.write_spec(tmp_path / "specs", L.base_spec("bureau_outage", pattern))
    assert lender.run(specs, "bureau_outage").exit_code == 0

    environment = read_environment()
    resources = platform_resources(environment)
    defs = build_definitions(load_specs(environment.specs_dir), resources)
    job = defs.resolve_job_def("bureau_outage__drift")
    for day in ("2026-02-02", "2026-02-03"):
        result = job.execute_in_process(
            instance=dagster_instance(environment), partition_key=day, raise_on_error=False
        )
        assert result.success, day
    engine = resources["database"].get_engine()
    by_day = {r.day: r for r in DriftStore(engine).results("bureau_outage")}
    assert "bureau_score" in by_day[dt.date(2026, 2, 3)].drifted_columns
    assert "bureau_score" not in by_day[dt.date(2026, 2, 2)].drifted_columns
    assert (lender.store / "bureau_outage/drift/dt=2026-02-03/drift.html").exists()


# 04: a new sales channel goes live: 'partner' (not in the spec) and a stray 'Web'.
def _new_channel(tmp_path: Path, unknown: str | None, accepted: list[str] | None = None) -> Path:
    frames = _frames()
    for day, frame in frames.items():
        if day >= dt.date(2026, 1, 20):
            pick = np.random.default_rng(day.toordinal()).random(len(frame))
            frame.loc[pick < 0.25, "channel"] = "partner"
            frame.loc[(pick >= 0.25) & (pick < 0.30), "channel"] = "Web"
    spec = L.base_spec("new_channel", L.write_days(tmp_path / "data", frames))
    if unknown:
        spec["features"]["categorical"]["channel"]["unknown"] = unknown
    if accepted:
        spec["data_quality"] = {"accepted_days": accepted}
    return L.write_spec(tmp_path / f"specs_{unknown}_{bool(accepted)}", spec)


def test_unknown_levels_are_quarantined_and_stop_training_unless_accepted(lender, tmp_path) -> None:
    """A quarter of each day's rows quarantined for a new channel: a model trained on the
    rest would never see a partner applicant, so training stops naming the days, the reason,
    the share and an example, until the spec accepts those days."""
    result = lender.run(_new_channel(tmp_path, None), "new_channel")
    assert result.exit_code == 1, result.output
    assert (
        "raw_applications: 3,400 delivered, 2,942 kept, 458 quarantined "
        "(channel: unknown value (458))" in result.output
    )
    assert "Warning: raw_applications: 15 of 34 days quarantined more than 5%" in result.output
    assert len(lender.quarantined("new_channel")) == 458
    assert (
        "the training set as of 2026-02-03 would learn from days that lost more than 5% of "
        "their rows at ingestion (data_quality.max_quarantine_share): 12 day(s) (2026-01-20, "
        in result.output
    )
    assert "(31%), mostly 'channel: unknown value' (e.g. 'partner', 'Web')" in result.output
    assert "or accept those days in data_quality.accepted_days" in result.output
    assert "widen" not in result.output
    assert "v1" not in result.output  # nothing trained, nothing registered

    days = [f"2026-01-{d}" for d in range(20, 32)]
    accepted = lender.run(_new_channel(tmp_path, None, days), "new_channel")
    assert accepted.exit_code == 0, accepted.output
    assert "new_channel v1: AUC" in accepted.output
    assert "  without 373 rows its days quarantined at ingestion: channel: unknown value (373)" in (
        accepted.output
    )
    assert "trained on 12 day(s) over data_quality.max_quarantine_share, as" in accepted.output
    # The accepted loss is on record with the version: its model card, registered in the ledger.
    card = json.loads((lender.store / "new_channel/models/v1/card.json").read_text())
    assert card["data_losses"]["accepted_days"] == days
    assert card["data_losses"]["quarantined"] == {"channel: unknown value": 373}


def test_unknown_levels_can_be_kept_as_missing_and_still_counted(lender, tmp_path) -> None:
    result = lender.run(_new_channel(tmp_path, "missing"), "new_channel")
    assert result.exit_code == 0, result.output
    assert "raw_applications: 3,400 kept" in result.output
    assert "channel: unknown level 'partner' kept (the model sees it as missing): " in result.output
    assert "Warning" not in result.output
    features = lender.table("new_channel", "features", "2026-01-25")
    assert "partner" in set(features["channel"])  # drift still sees the new level
    oot = lender.manifest("new_channel", "training_set")["summary"]["oot"]["rows"]
    assert oot == 700  # the out-of-time window keeps the new channel's applications


# 05: one file per local business day, timestamps with a UTC offset (CSV) or zoned (parquet).
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_the_business_timezone_decides_the_day_of_an_application(lender, tmp_path, kind) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for day, frame in _frames().items():
        local = pd.to_datetime(frame["applied_at"]).dt.tz_localize("America/New_York")
        if kind == "csv":
            frame["applied_at"] = local.map(lambda t: t.isoformat())
            frame.to_csv(folder / f"apps_{day}.csv", index=False)
        else:
            frame["applied_at"] = local
            frame.to_parquet(folder / f"apps_{day}.parquet", index=False)
    spec = L.base_spec("us_lender", str(folder / f"apps_{{date}}.{kind}"))
    default = lender.run(L.write_spec(tmp_path / "utc", spec), "us_lender")
    # Every evening application falls on the next UTC day: a model trained on the rest would
    # never see one, so training stops and proposes the timezone that keeps them.
    assert default.exit_code == 1
    assert "the spec's timezone decides an application's day" in default.output  # loudly
    assert "Warning: raw_applications" in default.output
    assert "would learn from days that lost more than 5% of their rows" in default.output
    offset = "-05:00" if kind == "csv" else "-0500"  # as Arrow writes a zoned column
    assert f"they carry UTC offset {offset}: the files are cut at midnight" in default.output
    assert "set timezone to America/New_York or America/Toronto" in default.output

    local_spec = spec | {"name": "us_local", "timezone": "America/New_York"}
    result = lender.run(L.write_spec(tmp_path / "local", local_spec), "us_local")
    _trained_and_promoted(lender, result, "us_local")
    assert lender.quarantined("us_local").empty
    raw = lender.table("us_local", "raw", "2026-01-05")
    expected = pd.to_datetime(L.make_day(dt.date(2026, 1, 5))["applied_at"])
    assert raw["applied_at"].tolist() == expected.tolist()  # wall-clock time where it happened


# 06: parquet written from pandas nullable dtypes (Int64, Float64, boolean, category).
def test_nullable_parquet_dtypes_are_read_as_numbers_and_missing(lender, tmp_path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for day in L.days():
        f = L.make_day(day)
        rng = np.random.default_rng(day.toordinal())
        out = pd.DataFrame(
            {
                "app_id": f["app_id"].astype("string"),
                "applied_at": pd.to_datetime(f["applied_at"]),
                "annual_income": f["annual_income"].astype("Float64"),
                "debt_to_income": f["debt_to_income"],
                "loan_amount": f["loan_amount"],
                "bureau_score": f["bureau_score"].astype("Int64"),
                "has_mortgage": pd.array(rng.random(100) < 0.4, dtype="boolean"),
                "channel": f["channel"].astype("category"),
                "is_bad": f["is_bad"].astype(bool).astype("boolean"),
            }
        )
        out.loc[rng.random(100) < 0.1, "bureau_score"] = pd.NA
        out.loc[rng.random(100) < 0.05, "has_mortgage"] = pd.NA
        out.to_parquet(folder / f"apps_{day}.parquet", index=False)
    spec = L.base_spec("nullable", str(folder / "apps_{date}.parquet"))
    spec["features"]["numeric"]["has_mortgage"] = {"min": 0, "max": 1}
    result = lender.run(L.write_spec(tmp_path / "specs", spec), "nullable")
    _trained_and_promoted(lender, result, "nullable")
    assert lender.quarantined("nullable").empty
    raw = lender.table("nullable", "raw", "2026-01-05")
    assert raw["bureau_score"].isna().any() and set(raw["has_mortgage"].dropna()) <= {0.0, 1.0}


# 07: text targets as loan systems write them.
def _text_target(tmp_path: Path, name: str, mapping: dict, target_yaml: str) -> Path:
    frames = _frames()
    for frame in frames.values():
        frame["is_bad"] = frame["is_bad"].map(mapping)
    spec = L.base_spec(name, L.write_days(tmp_path / f"data_{name}", frames))
    text = L.yaml.safe_dump(spec, sort_keys=False).replace(
        "target:\n  column: is_bad\n  bad_value: 1\n", f"target:\n  column: is_bad\n{target_yaml}"
    )
    return L.write_spec(tmp_path / f"specs_{name}", spec, text)


def test_text_labels_declared_bad_and_good_train(lender, tmp_path) -> None:
    specs = _text_target(
        tmp_path, "target_yn", {1: "Y", 0: "N"}, '  bad_value: "Y"\n  good_value: "N"\n'
    )
    result = lender.run(specs, "target_yn")
    _trained_and_promoted(lender, result, "target_yn")
    bad_rate = lender.manifest("target_yn", "training_set")["summary"]["train"]["bad_rate"]
    assert 0.2 < bad_rate < 0.4


@pytest.mark.parametrize(
    ("target_yaml", "message"),
    [
        ("  bad_value: yes\n  good_value: no\n", "YAML read an unquoted yes/no"),
        ('  bad_value: "Y"\n', "good_value: declare the good label(s) too"),
    ],
)
def test_a_spec_whose_labels_cannot_be_trusted_is_refused(
    lender, tmp_path, target_yaml, message
) -> None:
    specs = _text_target(tmp_path, "target_spec", {1: "yes", 0: "no"}, target_yaml)
    error = _one_sentence(lender.run(specs, "target_spec"))
    assert "target_spec.yaml: field 'target'" in error and message in error


def test_labels_matching_nothing_declared_stop_before_training(lender, tmp_path) -> None:
    specs = _text_target(
        tmp_path, "target_case", {1: "Bad", 0: "Good"}, "  bad_value: bad\n  good_value: good\n"
    )
    result = lender.run(specs, "target_case")
    error = _one_sentence(result)
    assert "is_bad" in error and "'bad'" in error and "'Bad'" in error and "'Good'" in error
    assert "loan_outcomes:" in result.output and "is neither bad" in result.output
    assert lender.versions("target_case") == []


# 09: overlapping exports (an id repeated on the next day) and a byte-identical double export.
def test_duplicates_are_dropped_or_explained_and_a_corrected_day_is_redelivered(
    lender, tmp_path
) -> None:
    frames = _frames()
    day14, day15, day20 = dt.date(2026, 1, 14), dt.date(2026, 1, 15), dt.date(2026, 1, 20)
    clean15 = frames[day15].copy()
    repeated = frames[day14].tail(5).copy()
    repeated["applied_at"] = [f"2026-01-15 00:0{i}:00" for i in range(5)]
    frames[day15] = pd.concat([repeated, frames[day15]], ignore_index=True)
    frames[day20] = pd.concat([frames[day20], frames[day20].iloc[10:13]], ignore_index=True)
    data = tmp_path / "data"
    specs = L.write_spec(tmp_path / "specs", L.base_spec("dup_ids", L.write_days(data, frames)))

    first = lender.run(specs, "dup_ids")
    error = _one_sentence(first)
    assert "A2026011400095" in error and "--redeliver 2026-01-15" in error
    assert "duplicate row dropped (a byte-identical copy of another row): 3" in first.output
    assert len(lender.table("dup_ids", "raw", "2026-01-20")) == 100

    # The lender fixes the export; a plain rerun keeps what was delivered and says how to
    # replace it.
    clean15.to_csv(data / f"apps_{day15}.csv", index=False)
    again = lender.run(specs, "dup_ids")
    assert again.exit_code == 1
    assert "changed since 2026-01-15 was delivered" in again.output
    assert "--redeliver 2026-01-15" in again.output

    fixed = lender.run(specs, "dup_ids", "--redeliver", "2026-01-15", "--reason", "export overlap")
    _trained_and_promoted(lender, fixed, "dup_ids")
    assert "2026-01-15: redelivered" in fixed.output
    record = json.loads(
        (lender.store / "dup_ids/landing/applications/2026-01-15.delivery.json").read_text()
    )
    [replaced] = record["replaces"]
    assert replaced["reason"] == "export overlap" and replaced["sha256"] != record["sha256"]
    assert (lender.store / replaced["kept_at"]).exists()  # the old delivery is never lost
    assert len(lender.table("dup_ids", "raw", "2026-01-15")) == 100
    # The replacement is on the audit ledger with the sha256 of both files and the record.
    audit = CliRunner().invoke(main, ["audit", "dup_ids", "--json"])
    records = [r for r in json.loads(audit.output) if r["event_type"] == "redelivered"]
    # The applications and the outcomes derived from them, each replaced on record.
    assert {r["payload"]["kind"] for r in records} == {"applications", "outcomes"}
    [redelivered] = [r for r in records if r["payload"]["kind"] == "applications"]
    assert redelivered["payload"]["day"] == "2026-01-15"
    assert redelivered["payload"]["replaces"][-1]["reason"] == "export overlap"
    assert [a["sha256"] for a in redelivered["artifacts"][:2]] == [
        record["sha256"],
        replaced["sha256"],
    ]
    assert CliRunner().invoke(main, ["audit", "verify", "dup_ids"]).exit_code == 0


# 10: a ~1 % bad product: a window without a bad outcome.
@pytest.mark.parametrize(
    ("name", "first", "last", "window"),
    [
        ("no_bad_valid", dt.date(2026, 1, 20), dt.date(2026, 1, 24), "validation"),
        ("no_bad_oot", dt.date(2026, 1, 25), dt.date(2026, 1, 31), "out-of-time"),
    ],
)
def test_a_window_without_both_classes_stops_training(
    lender, tmp_path, name, first, last, window
) -> None:
    frames = _frames(bad_boost=-3.0)
    for day, frame in frames.items():
        if first <= day <= last:
            frame["is_bad"] = 0
    spec = L.base_spec(name, L.write_days(tmp_path / "data", frames))
    spec["lightgbm"]["min_data_in_leaf"] = 10
    error = _one_sentence(lender.run(L.write_spec(tmp_path / "specs", spec), name))
    assert f"{window} window {first}..{last}" in error and "0 bad" in error
    assert lender.versions(name) == []


# 11: 'inf', 'Infinity', '1e309' and 1e300 in a numeric feature without a maximum.
def _odd_values(tmp_path: Path, non_finite: str | None) -> Path:
    frames = _frames()
    for day, frame in frames.items():
        frame["annual_income"] = frame["annual_income"].astype(object)
        rows = np.random.default_rng(day.toordinal()).choice(100, 4, replace=False)
        for row, value in zip(rows, ["inf", "Infinity", "1e309", "1e300"], strict=True):
            frame.loc[row, "annual_income"] = value
    spec = L.base_spec("inf_values", L.write_days(tmp_path / "data", frames))
    if non_finite:
        spec["features"]["numeric"]["annual_income"]["non_finite"] = non_finite
    return L.write_spec(tmp_path / f"specs_{non_finite}", spec)


def test_infinite_numbers_are_never_valid_values(lender, tmp_path) -> None:
    result = lender.run(_odd_values(tmp_path, None), "inf_values")
    assert result.exit_code == 0, result.output
    reasons = lender.quarantined("inf_values")["quarantine_reason"].value_counts().to_dict()
    assert reasons == {"annual_income: not a finite number": 102}
    features = lender.table("inf_values", "features", "2026-01-05")
    assert np.isfinite(features["annual_income"]).all()
    assert (features["loan_to_income"] > 0).all()  # never the most favourable 0.0
    report = (lender.store / "inf_values/reports/v1/evaluation.json").read_text()
    assert "NaN" not in report and "Infinity" not in report


def test_infinite_numbers_may_be_kept_as_missing_and_are_counted(lender, tmp_path) -> None:
    result = lender.run(_odd_values(tmp_path, "missing"), "inf_values")
    assert result.exit_code == 0, result.output
    assert "annual_income: infinite value kept as missing: 102" in result.output
    features = lender.table("inf_values", "features", "2026-01-05")
    odd = features["annual_income"].isna()
    assert odd.sum() == 3 and features.loc[odd, "loan_to_income"].isna().all()


# 12: headers as business systems write them.
CAMEL = {
    "app_id": "AppID",
    "applied_at": "AppliedAt",
    "annual_income": "AnnualIncome",
    "debt_to_income": "DebtToIncome",
    "loan_amount": "LoanAmount",
    "bureau_score": "BureauScore",
    "channel": "Channel",
    "is_bad": "IsBad",
}


def test_camel_case_headers_are_mapped_by_the_spec(lender, tmp_path) -> None:
    frames = {day: f.rename(columns=CAMEL) for day, f in _frames().items()}
    spec = L.base_spec("camel", L.write_days(tmp_path / "data", frames))
    spec["data_source"]["columns"] = {header: name for name, header in CAMEL.items()}
    result = lender.run(L.write_spec(tmp_path / "specs", spec), "camel")
    _trained_and_promoted(lender, result, "camel")


def test_a_spec_naming_columns_as_headers_is_told_to_map_them(lender, tmp_path) -> None:
    spec = L.base_spec("camel_ids", tmp_path / "apps_{date}.csv", entity_id_column="AppID")
    error = _one_sentence(lender.run(L.write_spec(tmp_path / "specs", spec), "camel_ids"))
    assert "'AppID' is not a column name" in error and "data_source.columns" in error


def test_headers_with_stray_spaces_are_stripped(lender, tmp_path) -> None:
    spaced = {"annual_income": "annual_income ", "channel": " channel"}
    frames = {day: f.rename(columns=spaced) for day, f in _frames().items()}
    spec = L.base_spec("spaced", L.write_days(tmp_path / "data", frames))
    _trained_and_promoted(
        lender, lender.run(L.write_spec(tmp_path / "specs", spec), "spaced"), "spaced"
    )


def test_a_missing_column_names_the_users_file_and_the_headers_found(lender, tmp_path) -> None:
    """Through the installed command, as a user runs it: a failure inside a Dagster step reaches
    the terminal as one sentence, without stack frames."""
    frames = {day: f.drop(columns=["bureau_score"]) for day, f in _frames().items()}
    spec = L.base_spec("missing_col", L.write_days(tmp_path / "data", frames))
    specs = L.write_spec(tmp_path / "specs", spec)
    command = Path(sys.executable).parent / "ml-platform"
    env = {**os.environ, "ML_PLATFORM_SPECS_DIR": str(specs)}
    env.pop("ML_PLATFORM_DEBUG", None)
    done = subprocess.run(
        [str(command), "run", "missing_col", "--end", END],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Stack Trace" not in done.stderr, done.stderr
    [error] = [line for line in done.stderr.splitlines() if line.strip()]
    assert str(tmp_path / "data" / "apps_2026-01-01.csv") in error
    assert "missing required column(s) bureau_score; headers found: 'app_id'" in error
    assert ".ml_platform" not in error  # never the internal landing copy


# 15: a target with an indeterminate class and blanks for loans not yet matured.
def test_indeterminate_and_blank_labels_are_excluded_and_counted(lender, tmp_path) -> None:
    frames = _frames()
    indeterminate = set()
    for day, frame in frames.items():
        u = np.random.default_rng(day.toordinal() + 7).random(len(frame))
        label = frame["is_bad"].map({1: "B", 0: "G"}).astype(object)
        label[u < 0.10] = "I"
        label[(u >= 0.10) & (u < 0.12)] = ""
        indeterminate |= set(frame["app_id"][label == "I"])
        frame["is_bad"] = label
    spec = L.base_spec("indeterminate", L.write_days(tmp_path / "data", frames))
    spec["target"] = {
        "column": "is_bad",
        "bad_value": "B",
        "good_value": "G",
        "indeterminate_values": ["I"],
    }
    result = lender.run(L.write_spec(tmp_path / "specs", spec), "indeterminate")
    _trained_and_promoted(lender, result, "indeterminate")
    assert "is_bad: indeterminate label 'I' excluded: " in result.output
    assert "is_bad: blank label excluded: " in result.output
    manifest = lender.manifest("indeterminate", "training_set")
    assert manifest["dropped"]["indeterminate"] > 0
    for split in manifest["splits"].values():
        rows = pq.read_table(lender.store / split).to_pandas()
        assert not set(rows["app_id"]) & indeterminate


# The README's example: a bank's core system export read through the spec it documents.
def _readme_spec(applications: str) -> dict:
    text = (REPO / "README.md").read_text().split("<!-- bank-export-spec -->", 1)[1]
    spec = L.yaml.safe_load(text.split("```yaml\n", 1)[1].split("```", 1)[0])
    spec["data_source"]["applications"] = applications
    return spec


def test_the_readme_bank_export_spec_reads_a_core_banking_export(lender, tmp_path) -> None:
    folder = tmp_path / "core_banking"
    folder.mkdir()
    start = dt.date(2026, 3, 1)
    headers = {
        "app_id": "AntragsID",
        "applied_at": "Antragszeitpunkt",
        "annual_income": "Jahreseinkommen",
        "debt_to_income": "SchuldenQuote",
        "loan_amount": "Kreditbetrag",
        "bureau_score": "SchufaScore",
        "channel": "Vertriebsweg",
        "is_bad": "Zielvariable",
    }
    for day in L.days(start=start):
        frame = L.make_day(day)
        # Clocks move forward on 2026-03-29: an invented 02:xx application moves with them.
        local = pd.to_datetime(frame["applied_at"]).dt.tz_localize(
            "Europe/Berlin", nonexistent="shift_forward"
        )
        frame["applied_at"] = local.dt.strftime("%d.%m.%Y %H:%M:%S %z")
        frame["annual_income"] = frame["annual_income"].map(
            lambda v: f"{v:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
        )
        frame["channel"] = frame["channel"].map(
            {"web": "online", "app": "online", "branch": "filiale"}
        )
        u = np.random.default_rng(day.toordinal()).random(len(frame))
        label = frame["is_bad"].map({1: "AUSFALL", 0: "OK"}).astype(object)
        label[u < 0.08] = "UNKLAR"
        frame["is_bad"] = label
        frame.rename(columns=headers).to_csv(
            folder / f"ANTRAEGE_{day}.csv", index=False, sep=";", decimal=","
        )
    spec = _readme_spec(str(folder / "ANTRAEGE_{date}.csv"))
    specs = L.write_spec(tmp_path / "specs", spec)
    lender.monkeypatch.setenv("ML_PLATFORM_SPECS_DIR", str(specs))
    result = CliRunner().invoke(
        main, ["run", "consumer_loans", "--start", str(start)], catch_exceptions=False
    )
    _trained_and_promoted(lender, result, "consumer_loans")
    assert "raw_applications: 3,400 kept" in result.output
    assert "default_flag: indeterminate label 'UNKLAR' excluded: " in result.output
    raw = lender.table("consumer_loans", "raw", "2026-03-05")
    expected = L.make_day(dt.date(2026, 3, 5))
    assert raw["annual_income"].tolist() == expected["annual_income"].tolist()
    assert raw["applied_at"].tolist() == pd.to_datetime(expected["applied_at"]).tolist()


# A feed that skips weekends: a day without a file is a day without applications.
def test_days_without_a_file_are_empty_days_and_training_goes_on(lender, tmp_path) -> None:
    frames = {day: frame for day, frame in _frames().items() if day.weekday() < 5}
    spec = L.base_spec("weekdays", L.write_days(tmp_path / "data", frames))
    result = lender.run(L.write_spec(tmp_path / "specs", spec), "weekdays")
    _trained_and_promoted(lender, result, "weekdays")
    assert "No file for 10 days (2026-01-03, 2026-01-04, 2026-01-10" in result.output
    assert lender.table("weekdays", "raw", "2026-01-03").empty
    assert "no file delivered: 10" in result.output  # counted per stage too


def test_a_feed_declared_strict_fails_on_a_day_without_a_file(lender, tmp_path) -> None:
    frames = {day: frame for day, frame in _frames().items() if day != dt.date(2026, 1, 7)}
    spec = L.base_spec("strict", L.write_days(tmp_path / "data", frames))
    spec["data_source"]["missing_days"] = "fail"
    error = _one_sentence(lender.run(L.write_spec(tmp_path / "specs", spec), "strict"))
    assert "no applications file delivered for 2026-01-07" in error
