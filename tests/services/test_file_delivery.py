"""Delivery into the landing zone (services/file_delivery.py, services/landing_zone.py): records
of who delivered what from where, redelivery on purpose only, days without a file, and one file
split into business days."""

import datetime as dt
import json

import pandas as pd
import pytest

from ml_platform_assets.core import layout
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.services.file_delivery import land_files
from ml_platform_assets.services.landing_zone import delivery_record, landing_days
from resources.object_store import LocalObjectStore
from tests.deliveries import lender_files as L

DAY = dt.date(2026, 1, 5)


@pytest.fixture
def store(tmp_path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "store")


def _spec(applications, **extra) -> ModelSpec:
    return ModelSpec.model_validate(L.base_spec("lender", applications, **extra))


def _deliver(folder, days: list[dt.date]) -> str:
    return L.write_days(folder, {day: L.make_day(day, 20) for day in days})


def test_each_delivered_file_is_recorded_with_its_source_and_checksum(tmp_path, store) -> None:
    spec = _spec(_deliver(tmp_path / "data", L.days(3)))
    delivery = land_files(store, spec, L.START, L.days(3)[-1])
    assert landing_days(delivery.written) == L.days(3)
    record = delivery_record(store, "lender", "applications", L.START)
    source = tmp_path / "data" / f"apps_{L.START}.csv"
    assert record["source"] == str(source)
    assert record["size"] == source.stat().st_size and record["replaces"] == []
    key = layout.landing_keys("lender", "applications", L.START)[1]  # the .csv key
    assert store.get_bytes(key) == source.read_bytes()  # as delivered, byte for byte


def test_days_without_a_file_are_reported_and_the_range_ends_on_the_last_file(
    tmp_path, store
) -> None:
    weekdays = [day for day in L.days(10) if day.weekday() < 5]
    spec = _spec(_deliver(tmp_path / "data", weekdays))
    delivery = land_files(store, spec, L.START, L.START + dt.timedelta(days=30))
    assert delivery.last_day == weekdays[-1]
    assert delivery.missing_days == [d for d in L.days(9) if d.weekday() >= 5]


def test_a_changed_source_is_kept_until_redelivered_on_purpose(tmp_path, store) -> None:
    pattern = _deliver(tmp_path / "data", L.days(5))
    spec = _spec(pattern)
    land_files(store, spec, L.START, L.days(5)[-1])
    first = delivery_record(store, "lender", "applications", L.START)

    store.put_bytes(layout.raw_key("lender", L.START), b"ingested")  # the day was built on
    corrected = L.make_day(L.START, 20).iloc[:-1]
    corrected.to_csv(tmp_path / "data" / f"apps_{L.START}.csv", index=False)
    plain = land_files(store, spec, L.START, L.days(5)[-1])
    assert plain.changed == {L.START: str(tmp_path / "data" / f"apps_{L.START}.csv")}
    assert delivery_record(store, "lender", "applications", L.START) == first

    again = land_files(
        store, spec, L.START, L.days(5)[-1], [L.START], actor="ops", reason="export fix"
    )
    assert landing_days(again.replaced) == [L.START]
    record = delivery_record(store, "lender", "applications", L.START)
    [old] = record["replaces"]
    assert (old["sha256"], old["replaced_by"], old["reason"]) == (
        first["sha256"],
        "ops",
        "export fix",
    )
    assert record["delivered_by"] == "ops" and record["sha256"] != first["sha256"]
    assert store.exists(old["kept_at"])  # the replaced delivery is never lost
    # The outcomes derived from that day's target column follow at its label maturity.
    matured = L.START + dt.timedelta(days=spec.windows.label_maturity_days)
    outcomes = store.get_table(layout.landing_keys("lender", "outcomes", matured)[0])
    assert outcomes.num_rows == 19


def test_redelivering_an_unchanged_day_changes_nothing(tmp_path, store) -> None:
    spec = _spec(_deliver(tmp_path / "data", L.days(2)))
    land_files(store, spec, L.START, L.days(2)[-1])
    again = land_files(store, spec, L.START, L.days(2)[-1], [L.START], actor="ops")
    assert again.replaced == [] and not again.changed
    assert delivery_record(store, "lender", "applications", L.START)["replaces"] == []


def test_one_file_is_split_into_days_of_the_business_timezone(tmp_path, store) -> None:
    frames = [L.make_day(day, 20) for day in L.days(3)]
    frame = pd.concat(frames, ignore_index=True)
    local = pd.to_datetime(frame["applied_at"]).dt.tz_localize("America/New_York")
    frame["applied_at"] = local.map(lambda t: t.isoformat())
    frame.loc[0, "applied_at"] = "not a time"
    path = tmp_path / "all.csv"
    frame.to_csv(path, index=False)
    spec = _spec(str(path), timezone="America/New_York")
    delivery = land_files(store, spec, L.START, L.days(3)[-1])
    assert delivery.unassigned_rows == 1
    for day, expected in zip(L.days(3), frames, strict=True):
        landed = store.get_table(layout.landing_keys("lender", "applications", day)[0])
        assert landed.num_rows == len(expected) - (day == L.START)
        record = delivery_record(store, "lender", "applications", day)
        assert record["source"] == f"{path} (rows of {day})"
    assert json.loads(json.dumps(delivery.missing_days, default=str)) == []


def test_one_european_file_keeps_its_number_format_when_split_into_days(tmp_path, store) -> None:
    from ml_platform_assets.core.parsing import read_delivery
    from ml_platform_assets.core.validation import validate_applications

    frames = [L.make_day(day, 20) for day in L.days(2)]
    path = tmp_path / "all.csv"
    pd.concat(frames, ignore_index=True).to_csv(path, index=False, sep=";", decimal=",")
    spec = _spec(str(path))
    land_files(store, spec, L.START, L.days(2)[-1])
    key = layout.landing_keys("lender", "applications", L.START)[0]
    table = read_delivery(store.get_bytes(key), "landed", spec, "parquet")
    checked = validate_applications(table, spec, L.START, "landed")
    assert checked.quarantined.num_rows == 0
    assert checked.valid["debt_to_income"].to_pylist() == frames[0]["debt_to_income"].tolist()


def test_one_excel_file_with_decimal_commas_and_serial_dates_is_split_into_days(
    tmp_path, store
) -> None:
    """Excel serial date-times written with a decimal comma (a European export of one file):
    every row lands on its day, none is left without one."""
    frames = [L.make_day(day, 20) for day in L.days(2)]
    frame = pd.concat(frames, ignore_index=True)
    stamps = pd.to_datetime(frame["applied_at"])
    frame["applied_at"] = (stamps - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)
    path = tmp_path / "all.csv"
    frame.to_csv(path, index=False, sep=";", decimal=",")
    spec = _spec(str(path))
    spec.data_source.timestamp_formats["applied_at"] = "excel"
    delivery = land_files(store, spec, L.START, L.days(2)[-1])
    assert delivery.unassigned_rows == 0
    assert landing_days(delivery.written) == L.days(2)
    assert delivery.rows == 40


def test_a_day_never_ingested_is_replaced_by_its_corrected_file(tmp_path, store) -> None:
    """A delivery the platform refused built nothing: fixing the file is enough."""
    spec = _spec(_deliver(tmp_path / "data", L.days(2)))
    land_files(store, spec, L.START, L.days(2)[-1])
    first = delivery_record(store, "lender", "applications", L.START)
    L.make_day(L.START, 20).iloc[:-1].to_csv(tmp_path / "data" / f"apps_{L.START}.csv", index=False)
    again = land_files(store, spec, L.START, L.days(2)[-1])
    assert landing_days(again.replaced) == [L.START] and not again.changed
    [old] = delivery_record(store, "lender", "applications", L.START)["replaces"]
    assert old["sha256"] == first["sha256"] and "never ingested" in old["reason"]


def test_an_unsupported_file_type_is_refused_before_it_lands(tmp_path, store) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    L.make_day(L.START, 5).to_csv(folder / f"apps_{L.START}.txt", index=False)
    spec = _spec(str(folder / "apps_{date}.txt"))
    with pytest.raises(Exception, match=r"apps_2026-01-01\.txt: unsupported file type"):
        land_files(store, spec, L.START, L.START)
    assert store.list("lender/landing/") == []
