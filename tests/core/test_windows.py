"""Training windows (core.windows): their dates, and windows too thin to learn from, refused
with a sentence a credit-risk user can act on before anything is trained."""

import datetime as dt

import pyarrow as pa
import pytest

from ml_platform_assets.core.spec import load_specs
from ml_platform_assets.core.spec_policies import Windows
from ml_platform_assets.core.training_set import SPLITS
from ml_platform_assets.core.windows import (
    ThinWindowError,
    check_windows,
    training_windows,
    window_counts,
)

BASE = load_specs()["credit_default"]
# The delivery case's windows: 20 training days (the last 5 validate), 7 out-of-time, 3 to mature.
SPEC = BASE.model_copy(
    update={
        "windows": Windows(
            training_days=20, validation_days=5, oot_days=7, label_maturity_days=3,
            min_rows=10, min_bads=2,
        ),
    }
)  # fmt: skip
AS_OF = dt.date(2026, 2, 3)
WINDOWS = training_windows(SPEC, AS_OF)
D = dt.date.fromisoformat


def test_each_split_has_its_own_dates_and_they_tile_the_feature_days() -> None:
    assert WINDOWS.split_bounds == {
        "train": (D("2026-01-05"), D("2026-01-19")),
        "valid": (D("2026-01-20"), D("2026-01-24")),
        "oot": (D("2026-01-25"), D("2026-01-31")),
    }
    days = [
        first + dt.timedelta(days=i)
        for first, last in WINDOWS.split_bounds.values()
        for i in range((last - first).days + 1)
    ]
    assert days == WINDOWS.feature_days
    assert WINDOWS.outcome_days[0] == D("2026-01-05") and WINDOWS.outcome_days[-1] == AS_OF


def _split(bads: int, goods: int) -> pa.Table:
    return pa.table({"is_bad": pa.array([1] * bads + [0] * goods, pa.int8())})


def _splits(**counts: tuple[int, int]) -> dict[str, pa.Table]:
    """Every split comfortably above the minimums, except those given as (bads, goods)."""
    return {s: _split(*counts.get(s, (5, 45))) for s in ("train", "valid", "oot")}


TRAIN = "the training window 2026-01-05..2026-01-19"
VALID = "the validation window 2026-01-20..2026-01-24"
OOT = "the out-of-time window 2026-01-25..2026-01-31"
ROWS = "at least 10 labelled rows (windows.min_rows)"
CLASSES = "at least 2 bad and 2 good (windows.min_bads)"


@pytest.mark.parametrize(
    ("split", "counts", "sentence"),
    [
        ("train", (0, 0), f"{TRAIN} has 0 labelled rows: 0 bad, 0 good; it needs {ROWS} and "
         f"{CLASSES} to learn from: widen windows.training_days or deliver more days"),
        ("valid", (0, 0), f"{VALID} has 0 labelled rows: 0 bad, 0 good; it needs {ROWS} and "
         f"{CLASSES} to stop early: widen windows.validation_days or deliver more days"),
        ("oot", (0, 0), f"{OOT} has 0 labelled rows: 0 bad, 0 good; it needs {ROWS} and "
         f"{CLASSES} to be evaluated: widen windows.oot_days or deliver more days"),
        ("train", (0, 500), f"{TRAIN} has 500 labelled rows: 0 bad, 500 good; it needs "
         f"{CLASSES} to learn from"),
        ("valid", (0, 500), f"{VALID} has 500 labelled rows: 0 bad, 500 good; it needs "
         f"{CLASSES} to stop early: widen windows.validation_days or deliver more days"),
        ("oot", (0, 500), f"{OOT} has 500 labelled rows: 0 bad, 500 good; it needs "
         f"{CLASSES} to be evaluated"),
        ("train", (40, 0), f"{TRAIN} has 40 labelled rows: 40 bad, 0 good"),
        ("valid", (40, 0), f"{VALID} has 40 labelled rows: 40 bad, 0 good"),
        ("oot", (40, 0), f"{OOT} has 40 labelled rows: 40 bad, 0 good"),
        ("valid", (1, 1_999), f"{VALID} has 2,000 labelled rows: 1 bad, 1,999 good; it needs "
         f"{CLASSES} to stop early"),
        ("train", (3, 6), f"{TRAIN} has 9 labelled rows: 3 bad, 6 good; it needs {ROWS} to "
         "learn from: widen windows.training_days or deliver more days"),
        ("valid", (3, 6), f"{VALID} has 9 labelled rows: 3 bad, 6 good; it needs {ROWS} to "
         "stop early"),
        ("oot", (3, 6), f"{OOT} has 9 labelled rows: 3 bad, 6 good; it needs {ROWS} to be "
         "evaluated"),
    ],
    ids=[f"{split}-{case}" for case in ("empty", "no-bad", "no-good") for split in SPLITS]
    + ["valid-too-few-bads", *(f"{split}-below-min-rows" for split in SPLITS)],
)  # fmt: skip
def test_a_thin_window_is_refused_with_its_dates_counts_and_minimum(
    split, counts, sentence
) -> None:
    with pytest.raises(ThinWindowError) as refused:
        check_windows(_splits(**{split: counts}), WINDOWS, SPEC)
    message = str(refused.value)
    assert message.startswith(sentence)
    assert message.count(" window ") == 1  # the other windows pass and are not mentioned


@pytest.mark.parametrize(
    "counts",
    [(2, 8), (8, 2), (2, 2_000), (2_000, 2)],
    ids=["rows-and-bads-at-minimum", "rows-and-goods-at-minimum", "bads-at-minimum",
         "goods-at-minimum"],
)  # fmt: skip
def test_windows_exactly_at_the_minimums_pass(counts) -> None:
    splits = {s: _split(*counts) for s in ("train", "valid", "oot")}
    assert check_windows(splits, WINDOWS, SPEC) is None


def test_every_thin_window_gets_its_own_sentence_in_split_order() -> None:
    splits = _splits(valid=(0, 500), oot=(0, 700))
    with pytest.raises(ThinWindowError) as refused:
        check_windows(splits, WINDOWS, SPEC)
    assert str(refused.value) == (
        f"{VALID} has 500 labelled rows: 0 bad, 500 good; it needs {CLASSES} to stop early: "
        "widen windows.validation_days or deliver more days; "
        f"{OOT} has 700 labelled rows: 0 bad, 700 good; it needs {CLASSES} to be evaluated: "
        "widen windows.oot_days or deliver more days"
    )


def test_the_default_minimums_refuse_a_validation_window_without_a_bad() -> None:
    spec = BASE.model_copy(
        update={
            "windows": Windows(
                training_days=20, validation_days=5, oot_days=7, label_maturity_days=3
            )
        }
    )
    assert (spec.windows.min_rows, spec.windows.min_bads) == (100, 1)
    splits = _splits(train=(30, 1_470), valid=(0, 500), oot=(10, 690))
    with pytest.raises(ThinWindowError) as refused:
        check_windows(splits, training_windows(spec, AS_OF), spec)
    assert str(refused.value) == (
        "the validation window 2026-01-20..2026-01-24 has 500 labelled rows: 0 bad, 500 good; "
        "it needs at least 1 bad and 1 good (windows.min_bads) to stop early: widen "
        "windows.validation_days or deliver more days"
    )


def test_a_one_day_window_is_named_by_its_day() -> None:
    spec = SPEC.model_copy(
        update={"windows": SPEC.windows.model_copy(update={"validation_days": 1})}
    )
    with pytest.raises(ThinWindowError, match=r"^the validation window 2026-01-24 has 0 "):
        check_windows(_splits(valid=(0, 0)), training_windows(spec, AS_OF), spec)


def test_window_counts_are_rows_and_bads() -> None:
    assert window_counts(_split(3, 7)) == (10, 3)
    assert window_counts(_split(0, 0)) == (0, 0)
