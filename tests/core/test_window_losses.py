"""What a training set's days lost (core/window_losses.py): the stop over heavy quarantines,
with days, reason, share, an example and a timezone that would keep stray timestamps; outcome
ids that match no application, with the pair that shows why; and the thin window's cause."""

import datetime as dt

import pyarrow as pa
import pytest

from ml_platform_assets.core.quarantine import REASON_COLUMN
from ml_platform_assets.core.spec import load_specs
from ml_platform_assets.core.training_set import point_in_time_join
from ml_platform_assets.core.window_losses import (
    DayLoss,
    day_counts,
    loss_causes,
    quarantine_stop,
    unmatched_outcomes,
)
from ml_platform_assets.core.windows import ThinWindowError, check_windows, training_windows

SPEC = load_specs()["credit_default"]
AS_OF = dt.date(2026, 3, 1)
DAY = dt.date(2026, 1, 7)


def _quarantined(column: str, values: list[str], reason: str) -> pa.Table:
    return pa.table({column: values, REASON_COLUMN: [reason] * len(values)})


def _spec(**quality):
    return SPEC.model_copy(update={"data_quality": SPEC.data_quality.model_copy(update=quality)})


def test_days_within_the_share_do_not_stop() -> None:
    bad = _quarantined("loan_amount", ["12,500.00"] * 5, "loan_amount: not a number")
    assert quarantine_stop(SPEC, AS_OF, [DayLoss(DAY, "applications", 95, bad)]) is None
    assert quarantine_stop(SPEC, AS_OF, [DayLoss(DAY, "applications", 0)]) is None


def test_a_day_over_the_share_stops_naming_days_reason_share_and_an_example() -> None:
    reason = "loan_amount: not a number"
    days = [
        DayLoss(DAY + dt.timedelta(days=i), "applications", 4, _quarantined(
            "loan_amount", ["12,500.00", "1,250.50"] * 48, reason))
        for i in range(7)
    ] + [DayLoss(dt.date(2026, 1, 20), "applications", 100)]  # fmt: skip
    stop = quarantine_stop(SPEC, AS_OF, days)
    assert stop == (
        "credit_default: the training set as of 2026-03-01 would learn from days that lost "
        "more than 5% of their rows at ingestion (data_quality.max_quarantine_share): 7 day(s) "
        "(2026-01-07, 2026-01-08, 2026-01-09, 2026-01-10, 2026-01-11 and 2 more) lost 672 of "
        "700 applications (96%), mostly 'loan_amount: not a number' (e.g. '12,500.00', "
        "'1,250.50'); fix "
        "the spec or the files (then ml-platform run credit_default --redeliver DAY --reason "
        "TEXT), or accept those days in data_quality.accepted_days"
    )
    accepted = _spec(accepted_days=[d.day for d in days])
    assert quarantine_stop(accepted, AS_OF, days) is None
    assert quarantine_stop(_spec(max_quarantine_share=0.99), AS_OF, days) is None


def test_reasons_are_grouped_largest_first_across_kinds() -> None:
    apps = DayLoss(
        DAY,
        "applications",
        50,
        _quarantined("bureau_score", ["NULL"] * 50, "bureau_score: not a number"),
    )
    outcomes = DayLoss(DAY, "outcomes", 10, _quarantined(
        "is_bad", ["?"] * 90, "is_bad: label '?' is neither bad ('1') nor good ('0')"))  # fmt: skip
    stop = quarantine_stop(SPEC, AS_OF, [apps, outcomes])
    assert stop.index("lost 90 of 100 outcomes (90%)") < stop.index("lost 50 of 100 applications")
    assert " | " in stop and "(e.g. 'NULL')" in stop


@pytest.mark.parametrize(
    ("stamps", "carry", "zones"),
    [
        (["2026-01-07T21:14:03-05:00", "2026-01-07T23:59:00-05:00"], "UTC offset -05:00",
         "America/New_York or America/Toronto"),
        # parquet, as Arrow writes a zoned column as text
        (["2026-01-07 21:14:03.000000-0500"], "UTC offset -0500", "America/New_York"),
        (["2026-01-07T02:00:00+05:30"], "UTC offset +05:30", "Asia/Kolkata"),
        # either side of a daylight-saving change: one zone keeps both
        (["2026-03-06T21:00:00-05:00", "2026-03-09T21:00:00-04:00"],
         "UTC offsets -04:00, -05:00", "America/New_York or America/Toronto"),
        (["2026-01-07T20:00:00-11:00"], "UTC offset -11:00", "Pacific/"),
    ],
)  # fmt: skip
def test_stray_timestamps_propose_the_timezone_that_keeps_them(stamps, carry, zones) -> None:
    reason = "applied_at: not on the file's day in UTC (the spec's timezone decides ...)"
    day = DayLoss(DAY, "applications", 1, _quarantined("applied_at", stamps, reason))
    stop = quarantine_stop(SPEC, AS_OF, [day])
    assert f"they carry {carry}: the files are cut at midnight in another timezone" in stop
    assert f"set timezone to {zones}" in stop


def test_an_offset_no_named_zone_has_gets_its_fixed_zone() -> None:
    reason = "applied_at: not on the file's day in UTC"
    stamps = ["2026-01-07T20:00:00-12:00"]
    day = DayLoss(DAY, "applications", 1, _quarantined("applied_at", stamps, reason))
    assert "set timezone to Etc/GMT+12 to keep them" in quarantine_stop(SPEC, AS_OF, [day])


def test_offsets_no_one_zone_explains_propose_nothing() -> None:
    """-05:00 and -04:00 in the same January week: two lenders' zones mixed, not one zone."""
    reason = "applied_at: not on the file's day in UTC"
    stamps = ["2026-01-07T21:14:03-05:00", "2026-01-07T21:14:03-04:00"]
    day = DayLoss(DAY, "applications", 0, _quarantined("applied_at", stamps, reason))
    stop = quarantine_stop(SPEC, AS_OF, [day])
    assert "mostly 'applied_at: not on the file's day in UTC'" in stop
    assert "set timezone" not in stop


@pytest.mark.parametrize(
    ("applications", "outcomes", "example"),
    [
        (["0004250100", "0004250101"], ["4250100", "4250101"], ("4250100", "0004250100")),
        (["A-17", "A-18"], [" a-17", "a-18"], (" a-17", "A-17")),
        (["4250480", "4250481"], ["4250480.0", "4250481.0"], ("4250480.0", "4250480")),
    ],
)
def test_outcome_ids_written_otherwise_are_counted_with_an_example(
    applications, outcomes, example
) -> None:
    found = unmatched_outcomes(pa.array(applications), pa.array(outcomes))
    assert (found.count, found.outcomes, found.respelled, found.example) == (2, 2, 2, example)
    assert found.is_a_cause() and found.spelled_otherwise(0.05)
    assert found.sentence().startswith(
        "2 of 2 outcomes match a delivered application id only when written otherwise"
    )
    assert f"outcome id {example[0]!r} vs application id {example[1]!r}" in found.sentence()


def test_outcomes_of_applications_before_the_window_are_no_fault() -> None:
    found = unmatched_outcomes(pa.array(["100", "101", "102"]), pa.array(["098", "99", "100"]))
    # '098' is '98' with a leading zero, no application: these predate the window.
    assert (found.count, found.respelled, found.example) == (2, 0, None)
    assert not found.is_a_cause() and not found.spelled_otherwise(0.0)
    none_match = unmatched_outcomes(pa.array(["100"]), pa.array(["L-1", "L-2"]))
    assert none_match.is_a_cause() and not none_match.spelled_otherwise(0.0)
    assert unmatched_outcomes(pa.array(["1"]), pa.array([None], pa.string())).count == 0


def test_a_thin_window_names_its_upstream_cause_instead_of_its_width() -> None:
    windows = training_windows(SPEC, dt.date(2026, 6, 1))
    ts, id_col = SPEC.event_timestamp_column, SPEC.entity_id_column
    stamps = [dt.datetime.combine(windows.train_start, dt.time(12))] * 3
    features = pa.table({id_col: ["1", "2", "3"], ts: pa.array(stamps, pa.timestamp("ns"))})
    outcomes = pa.table({
        id_col: ["01", "02", "03"],
        "outcome_date": pa.array([dt.datetime.combine(windows.as_of, dt.time())] * 3,
                                 pa.timestamp("ns")),
        "is_bad": pa.array([1, 0, 0], pa.int8()),
    })  # fmt: skip
    splits, _ = point_in_time_join(features, outcomes, SPEC, windows)
    unmatched = unmatched_outcomes(features[id_col], outcomes[id_col])
    cause, decisive = loss_causes([], unmatched, 0.05)
    assert decisive
    with pytest.raises(ThinWindowError) as stop:
        check_windows(splits, windows, SPEC, cause, decisive)
    assert "widen" not in str(stop.value)
    assert str(stop.value).endswith(
        "the cause is upstream, not the windows' width: 3 of 3 outcomes match a delivered "
        "application id only when written otherwise (e.g. outcome id '01' vs application id "
        "'1': the ids are written "
        "differently: leading zeros, a float's '.0', case or spaces)"
    )
    # A small quarantine is mentioned, but the width stays the advice.
    small = DayLoss(DAY, "applications", 99, _quarantined("channel", ["x"], "channel: unknown"))
    cause, decisive = loss_causes([small], None, 0.05)
    assert cause == "1 of 100 rows of its days were quarantined: 'channel: unknown' (1)"
    with pytest.raises(ThinWindowError) as thin:
        check_windows(splits, windows, SPEC, cause, decisive)
    assert "widen windows.training_days or deliver more days" in str(thin.value)
    assert str(thin.value).endswith(f"upstream: {cause}")


def test_day_counts_count_rows_per_day() -> None:
    stamps = pa.array(
        [dt.datetime(2026, 1, 7, 1), dt.datetime(2026, 1, 7, 23), dt.datetime(2026, 1, 9), None],
        pa.timestamp("ns"),
    )
    table = pa.table({"applied_at": stamps})
    assert day_counts(table, "applied_at") == {dt.date(2026, 1, 7): 2, dt.date(2026, 1, 9): 1}
    assert day_counts(table.slice(0, 0), "applied_at") == {}


def test_a_reason_over_the_share_on_some_days_counts_all_its_days() -> None:
    """An offset that moves a few rows a day goes over the share on some days only: the stop
    counts the reason on every day, and the timezone keeps them all."""
    reason = "applied_at: not on the file's day in UTC"

    def day(i: int, lost: int) -> DayLoss:
        stamps = ["2026-01-07T00:30:00+01:00"] * lost
        return DayLoss(DAY + dt.timedelta(days=i), "applications", 100 - lost,
                       _quarantined("applied_at", stamps, reason))  # fmt: skip

    stop = quarantine_stop(SPEC, AS_OF, [day(0, 8), day(1, 3), day(2, 2), day(3, 0)])
    assert "2026-01-07 lost 8 of 100 applications (8%)" in stop
    assert "the same reason took 13 rows on 3 of the window's days" in stop
    assert "set timezone to Europe/Berlin" in stop
