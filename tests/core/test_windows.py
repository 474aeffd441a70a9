"""Windows too thin to learn from, and a set without a single bad label: each refused with a
sentence a credit-risk user can act on, before anything is trained."""

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from ml_platform_assets.core.spec import load_specs
from ml_platform_assets.core.spec_features import Target
from ml_platform_assets.core.spec_policies import Windows
from ml_platform_assets.core.training_set import (
    SPLITS,
    ThinWindowError,
    check_windows,
    has_bad_outcome,
    no_bad_label_message,
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


# --- a set without a single bad label ------------------------------------------------------

WORDS = SPEC.model_copy(
    update={"target": Target(column="is_bad", bad_value="bad", good_value="Good")}
)


def _validated(labels: dict[str | None, tuple[int | None, int]], day: str = "2026-01-20"):
    """Validated outcomes: label as delivered -> (flag, rows)."""
    rows = [(label, flag) for label, (flag, n) in labels.items() for _ in range(n)]
    return pa.table(
        {
            "application_id": [f"a{i}" for i in range(len(rows))],
            "outcome_date": pa.array(pd.to_datetime([day] * len(rows)), pa.timestamp("ns")),
            "is_bad": pa.array([flag for _, flag in rows], pa.int8()),
            "label": pa.array([label for label, _ in rows], pa.string()),
        }
    )


def _quarantine(labels: dict[str, int], reason: str = "is_bad: label is neither") -> pa.Table:
    """An outcome day's quarantine: the delivered columns as text, with a reason each."""
    values = [label for label, n in labels.items() for _ in range(n)]
    return pa.table(
        {
            "application_id": [f"q{i}" for i in range(len(values))],
            "outcome_date": ["2026-01-21"] * len(values),
            "is_bad": values,
            "quarantine_reason": [reason] * len(values),
        }
    )


def test_labels_declared_otherwise_than_delivered_are_named_with_their_counts() -> None:
    outcomes = _validated({"Good": (0, 2_310)})
    quarantined = [_quarantine({"Bad": 120}), _quarantine({"Bad": 70})]
    assert not has_bad_outcome(outcomes, AS_OF)
    assert no_bad_label_message(outcomes, quarantined, WORDS, AS_OF) == (
        "no outcome known by 2026-02-03 is labelled bad: column is_bad, bad_value 'bad' "
        "declared; labels seen: 'Good' 2,310, 'Bad' 190 (quarantined as neither bad nor good) "
        "— declare the labels exactly as the files write them"
    )


def test_the_message_lists_blanks_indeterminates_and_rows_quarantined_for_other_reasons() -> None:
    target = Target(
        column="is_bad", bad_value=["B", "W"], good_value="G", indeterminate_values=["I"]
    )
    spec = SPEC.model_copy(update={"target": target})
    outcomes = pa.concat_tables(
        [
            _validated({"G": (0, 900), "I": (None, 80), None: (None, 20)}),
            _validated({"B": (1, 50)}, day="2026-02-04"),  # known only after the cutoff
        ]
    )
    quarantined = [
        _quarantine({" b ": 40, "": 3}),
        _quarantine({"G": 5}, reason="outcome_date: missing or not a timestamp"),
    ]
    assert not has_bad_outcome(outcomes, AS_OF) and has_bad_outcome(outcomes, D("2026-02-04"))
    assert no_bad_label_message(outcomes, quarantined, spec, AS_OF) == (
        "no outcome known by 2026-02-03 is labelled bad: column is_bad, bad_value 'B', 'W' "
        "declared; labels seen: 'G' 900, 'I' 80, 'b' 40 (quarantined as neither bad nor good), "
        "blank 20, 'G' 5 (quarantined for another reason), blank 3 (quarantined for another "
        "reason) — declare the labels exactly as the files write them"
    )


def test_numeric_labels_are_declared_as_numbers_and_a_long_list_is_cut() -> None:
    spec = SPEC  # credit_default: bad_value 1
    outcomes = _validated({"0": (0, 500)})
    quarantined = [_quarantine({f"{n / 10:.1f}": 20 - n for n in range(2, 15)})]
    message = no_bad_label_message(outcomes, quarantined, spec, AS_OF)
    assert message.startswith(
        "no outcome known by 2026-02-03 is labelled bad: column is_bad, bad_value 1 declared; "
        "labels seen: '0' 500, '0.2' 18 (quarantined as neither bad nor good), '0.3' 17 "
    )
    assert message.endswith(
        "'0.9' 11 (quarantined as neither bad nor good), '1.0' 10 (quarantined for another "
        "reason) and 4 more — declare the labels exactly as the files write them"
    )


def test_no_outcome_at_all_says_so() -> None:
    message = no_bad_label_message(_validated({}), [], WORDS, AS_OF)
    assert message.endswith("labels seen: none — deliver the outcomes of the windows' "
                            "applications first")  # fmt: skip


def test_one_bad_outcome_known_by_the_cutoff_is_enough() -> None:
    outcomes = _validated({"Good": (0, 99), "bad": (1, 1)})
    assert has_bad_outcome(outcomes, AS_OF)
    assert not has_bad_outcome(outcomes, D("2026-01-19"))
