"""Point-in-time training sets: windows, maturity, out-of-time split by date, fingerprint."""

import datetime as dt
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ml_platform_assets.core.fingerprint import fingerprint
from ml_platform_assets.core.spec import load_specs
from ml_platform_assets.core.spec_policies import Windows
from ml_platform_assets.core.training_set import point_in_time_join, split_summary
from ml_platform_assets.core.windows import training_windows

BASE = load_specs()["credit_default"]
SPEC = BASE.model_copy(
    update={
        "windows": Windows(training_days=4, validation_days=1, oot_days=2, label_maturity_days=3),
        "start_date": dt.date(2026, 1, 1),
    }
)
AS_OF = dt.date(2026, 1, 12)
WINDOWS = training_windows(SPEC, AS_OF)


def test_windows_end_maturity_days_before_the_cutoff() -> None:
    w = training_windows(SPEC, AS_OF)
    assert (w.oot_end, w.oot_start) == (dt.date(2026, 1, 9), dt.date(2026, 1, 8))
    assert (w.train_start, w.valid_start, w.train_end) == (
        dt.date(2026, 1, 4), dt.date(2026, 1, 7), dt.date(2026, 1, 7),
    )  # fmt: skip
    assert w.outcome_days[-1] == AS_OF and len(w.feature_days) == 6


def test_windows_before_the_first_day_are_refused_with_the_earliest_cutoff() -> None:
    with pytest.raises(ValueError, match="earliest cutoff is 2026-01-09"):
        training_windows(SPEC, dt.date(2026, 1, 8))


def _features(days: list[int], ids: list[str] | None = None) -> pa.Table:
    return pa.table(
        {
            "application_id": ids or [f"app{i}" for i in range(len(days))],
            "applied_at": pa.array([dt.datetime(2026, 1, d, 12) for d in days], pa.timestamp("ns")),
            "annual_income": [float(i) for i in range(len(days))],
        }
    )


def _outcomes(rows: list[tuple[str, str, int | None]]) -> pa.Table:
    """Validated outcomes; a None label is an indeterminate or blank one."""
    ids, dates, bad = zip(*rows, strict=True)
    return pa.table(
        {
            "application_id": list(ids),
            "outcome_date": pa.array(pd.to_datetime(list(dates)), pa.timestamp("ns")),
            "is_bad": pa.array(bad, pa.int8()),
        }
    )


def test_join_uses_only_outcomes_known_by_the_cutoff() -> None:
    outcomes = _outcomes(
        [("app0", "2026-01-07", 1), ("app1", "2026-01-13", 1), ("app2", "2026-01-10", 0),
         ("app3", "2026-01-11", 0), ("app4", "2026-01-03", 1)]
    )  # fmt: skip
    splits, dropped = point_in_time_join(_features([4, 5, 7, 8, 9]), outcomes, SPEC, WINDOWS)
    # app1's outcome is known only after the cutoff; app4's predates its application.
    assert splits["train"]["application_id"].to_pylist() == ["app0"]
    assert splits["valid"]["application_id"].to_pylist() == ["app2"]
    assert splits["oot"]["application_id"].to_pylist() == ["app3"]
    assert dropped == {"unlabelled": 1, "indeterminate": 0, "outcome_before_application": 1}
    assert split_summary(splits)["train"] == {"rows": 1, "bad_rate": 1.0}


def test_the_last_outcome_known_by_the_cutoff_is_the_label() -> None:
    outcomes = _outcomes(
        [("app0", "2026-01-08", 0), ("app1", "2026-01-09", 0), ("app0", "2026-01-10", 1),
         ("app1", "2026-01-12", 1), ("app0", "2026-01-13", 0)]
    )  # fmt: skip
    splits, _ = point_in_time_join(_features([4, 5]), outcomes, SPEC, WINDOWS)
    assert splits["train"]["is_bad"].to_pylist() == [1, 1]


def test_an_indeterminate_last_outcome_is_excluded_and_counted_apart_from_unlabelled() -> None:
    outcomes = _outcomes(
        [("app0", "2026-01-08", None), ("app1", "2026-01-09", 1), ("app2", "2026-01-10", None),
         ("app3", "2026-01-11", 0)]
    )  # fmt: skip
    # app0 (training) and app2 (validation) are indeterminate; app4 has no outcome yet.
    splits, dropped = point_in_time_join(_features([4, 5, 7, 8, 9]), outcomes, SPEC, WINDOWS)
    assert splits["train"]["application_id"].to_pylist() == ["app1"]
    assert splits["valid"].num_rows == 0
    assert splits["oot"]["application_id"].to_pylist() == ["app3"]
    assert dropped == {"unlabelled": 1, "indeterminate": 2, "outcome_before_application": 0}
    assert all(t["is_bad"].null_count == 0 for t in splits.values())


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        # Delivered out of date order on purpose: the later outcome_date wins, not the row.
        ([("2026-01-10", 1), ("2026-01-08", None)], 1),  # indeterminate, then bad: bad
        ([("2026-01-10", None), ("2026-01-08", 1)], None),  # bad, then indeterminate: excluded
        ([("2026-01-08", None), ("2026-01-10", 0)], 0),
        ([("2026-01-08", 1), ("2026-01-13", None)], 1),  # indeterminate after the cutoff
        ([("2026-01-09", 1), ("2026-01-09", None)], None),  # one day: the last delivered
    ],
    ids=["indeterminate-then-bad", "bad-then-indeterminate", "indeterminate-then-good",
         "indeterminate-after-cutoff", "same-day-last-delivered"],
)  # fmt: skip
def test_the_last_outcome_known_decides_between_a_label_and_indeterminate(
    history, expected
) -> None:
    outcomes = _outcomes([("app0", day, bad) for day, bad in history])
    splits, dropped = point_in_time_join(_features([4]), outcomes, SPEC, WINDOWS)
    assert splits["train"]["is_bad"].to_pylist() == ([] if expected is None else [expected])
    assert dropped["indeterminate"] == (1 if expected is None else 0)
    assert dropped["unlabelled"] == 0


def test_an_indeterminate_outcome_dated_before_its_application_counts_as_corrupt() -> None:
    outcomes = _outcomes([("app0", "2026-01-03", None)])
    _, dropped = point_in_time_join(_features([4]), outcomes, SPEC, WINDOWS)
    assert dropped == {"unlabelled": 0, "indeterminate": 0, "outcome_before_application": 1}


def test_splits_keep_feature_order_and_read_into_pandas_like_the_daily_files() -> None:
    daily = pd.DataFrame(
        {
            "application_id": pd.array(["a", "b", "c", "d", "e"], dtype="string"),
            "applied_at": pd.to_datetime(
                ["2026-01-04", "2026-01-04", "2026-01-05", "2026-01-05", "2026-01-06"]
            ),
            "annual_income": [1.0, np.nan, 3.0, 4.0, 5.0],
        }
    )
    outcomes = _outcomes([(i, "2026-01-09", n % 2) for n, i in enumerate("abde")])
    features = pa.Table.from_pandas(daily)  # its metadata describes the day's index of 5 rows
    splits, dropped = point_in_time_join(features, outcomes, SPEC, WINDOWS)
    train = splits["train"].to_pandas()
    # c has no outcome yet: the rest keep the order they were delivered in.
    assert train["application_id"].tolist() == ["a", "b", "d", "e"]
    assert train["is_bad"].tolist() == [0, 1, 0, 1] and train["is_bad"].dtype == "int8"
    assert dict(train.dtypes) == {**dict(daily.dtypes), "is_bad": np.dtype("int8")}
    assert train.index.equals(pd.RangeIndex(4)) and np.isnan(train["annual_income"][1])
    assert dropped == {"unlabelled": 1, "indeterminate": 0, "outcome_before_application": 0}


def test_an_application_id_on_two_feature_rows_is_refused_naming_the_day_to_redeliver() -> None:
    outcomes = _outcomes([("app0", "2026-01-08", 0)])
    features = _features([6, 4, 5, 5, 6], ["app1", "app0", "app0", "app2", "app1"])
    with pytest.raises(ValueError) as refused:
        point_in_time_join(features, outcomes, SPEC, WINDOWS)
    assert str(refused.value) == (
        "application_id must identify one application, but 2 id(s) appear in more than one "
        "feature row (e.g. app1, app0), delivered again on 2026-01-05, 2026-01-06: fix the "
        "source files and redeliver with 'ml-platform run credit_default --redeliver "
        "2026-01-05 --redeliver 2026-01-06'"
    )


def _splits() -> dict[str, pa.Table]:
    frame = _features([4, 5]).append_column("is_bad", pa.array([0, 1], pa.int8()))
    frame = frame.append_column("state", pa.array(["CA", None]))
    return {"train": frame, "valid": frame.slice(1), "oot": frame}


def test_fingerprint_is_content_based_and_survives_parquet() -> None:
    splits = _splits()
    roundtrip = {}
    for name, table in splits.items():
        buffer = io.BytesIO()
        pq.write_table(table, buffer, use_dictionary=False, coerce_timestamps="us")
        roundtrip[name] = pq.read_table(io.BytesIO(buffer.getvalue()), read_dictionary=["state"])
    assert fingerprint(splits) == fingerprint(roundtrip)
    changed = dict(splits, oot=splits["oot"].set_column(3, "is_bad", pa.array([1, 1], pa.int8())))
    assert fingerprint(changed) != fingerprint(splits)


def test_fingerprint_ignores_how_values_are_held_but_not_what_they_are() -> None:
    splits = _splits()
    train = splits["train"]
    large = [f.with_type(pa.large_string()) if f.type == pa.string() else f for f in train.schema]
    held_otherwise = {
        "large strings": train.cast(pa.schema(large)),
        "chunks": pa.concat_tables([train.slice(0, 1), train.slice(1)]),
    }
    for how, table in held_otherwise.items():
        assert fingerprint(dict(splits, train=table)) == fingerprint(splits), how
    as_null = train.set_column(2, "annual_income", pa.array([None, 1.0], pa.float64()))
    as_nan = train.set_column(2, "annual_income", pa.array([np.nan, 1.0], pa.float64()))
    assert fingerprint(dict(splits, train=as_null)) == fingerprint(dict(splits, train=as_nan))
    different = {
        "a value": dict(splits, train=train.set_column(2, "annual_income", pa.array([0.0, 2.0]))),
        "a name": dict(splits, train=train.rename_columns([*train.column_names[:4], "region"])),
        "a type": dict(splits, train=train.set_column(3, "is_bad", pa.array([0, 1], pa.int16()))),
        "missing text as empty": dict(
            splits, train=train.set_column(4, "state", pa.array(["CA", ""]))
        ),
        "a row in another split": dict(
            splits,
            train=train.slice(0, 1),
            valid=pa.concat_tables([train.slice(1), splits["valid"]]),
        ),
    }
    for what, changed in different.items():
        assert fingerprint(changed) != fingerprint(splits), what
