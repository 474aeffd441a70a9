"""A set without a single bad label (core.bad_labels): refused with the labels seen and their
counts, so a credit-risk user can fix the spec before anything is trained."""

import datetime as dt

import pandas as pd
import pyarrow as pa

from ml_platform_assets.core.bad_labels import has_bad_outcome, no_bad_label_message
from ml_platform_assets.core.spec import load_specs
from ml_platform_assets.core.spec_features import Target

SPEC = load_specs()["credit_default"]
AS_OF = dt.date(2026, 2, 3)
D = dt.date.fromisoformat

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
