"""When drift retrains (core/retrain.py): the window arithmetic of a retrain that learns the new
regime.

Plain functions, no Dagster. The small spec's windows (6 training days of which 2 validate, 3
out-of-time days, labels mature in 3) put a training set cut on day E at: training split
E-11..E-8, validation E-7..E-6, out-of-time E-5..E-3. So for a drift that began on S, the
out-of-time window is wholly in the new regime from a cut on S+5, and the training split holds
post-drift applications from a cut on S+8.
"""

import datetime as dt

import pyarrow as pa
import pytest

from ml_platform_assets.core.retrain import decide_retrain, first_cutoff_judged_on_new_regime
from ml_platform_assets.core.spec_policies import Drift
from ml_platform_assets.core.training_set import labelled_applications
from ml_platform_assets.core.windows import training_windows
from tests.platforms import small_spec

SPEC = small_spec().model_copy(
    update={
        "drift": Drift(
            share_threshold=0.3, consecutive_days=3, min_matured_labels=1000, cooldown_days=7
        )
    }
)
S = dt.date(2026, 3, 1)  # the first drifted day
PER_DAY = 600  # labelled applications a day in the fake counter


def _day(offset: int) -> dt.date:
    return S + dt.timedelta(days=offset)


def _shares(first: int, last: int, share: float = 0.5, calm_before: int = 3) -> dict:
    """Calm days before ``first``, then ``share`` every day ``first``..``last`` (offsets)."""
    shares = {_day(i): 0.0 for i in range(first - calm_before, first)}
    return shares | {_day(i): share for i in range(first, last + 1)}


class Counter:
    """labelled(first, last, as_of): PER_DAY for each day matured by as_of; records calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[dt.date, dt.date, dt.date]] = []

    def __call__(self, first: dt.date, last: dt.date, as_of: dt.date) -> int:
        self.calls.append((first, last, as_of))
        matured = as_of - dt.timedelta(days=SPEC.windows.label_maturity_days)
        days = (min(last, matured) - first).days + 1
        return max(days, 0) * PER_DAY


def test_the_window_arithmetic_with_label_maturity() -> None:
    w = training_windows(SPEC, _day(8))
    assert (w.train_start, w.valid_start, w.train_end) == (_day(-3), _day(1), _day(2))
    assert (w.oot_start, w.oot_end) == (_day(3), _day(5))
    assert first_cutoff_judged_on_new_regime(SPEC, S) == _day(5)
    assert training_windows(SPEC, _day(5)).oot_start == S
    assert training_windows(SPEC, _day(4)).oot_start == _day(-1)


def test_no_retrain_while_the_out_of_time_window_predates_the_drift() -> None:
    counter = Counter()
    decision = decide_retrain(_shares(0, 4), SPEC, counter, None, _day(4))
    assert not decision.trigger
    assert decision.drift_start == S
    assert "before the drift began" in decision.reason
    assert f"cutoff on {_day(5)}" in decision.reason
    assert not counter.calls  # nothing to count yet


def test_no_retrain_before_post_drift_outcomes_reach_the_training_split() -> None:
    counter = Counter()
    # Cut on S+5: out-of-time S..S+2 is post-drift, but the training split ends on S-3.
    decision = decide_retrain(_shares(0, 5), SPEC, counter, None, _day(5))
    assert not decision.trigger
    assert "only 0 applications made since the drift began on 2026-03-01" in decision.reason
    assert not counter.calls
    # Cut on S+8: the training split ends on S, one post-drift day of 600 labels; 1,000 needed.
    decision = decide_retrain(_shares(0, 8), SPEC, counter, None, _day(8))
    assert not decision.trigger
    assert "only 600 applications" in decision.reason and "1,000 are needed" in decision.reason
    assert counter.calls == [(S, S, _day(8))]


def test_a_retrain_learns_post_drift_rows_and_is_judged_on_them() -> None:
    counter = Counter()
    decision = decide_retrain(_shares(0, 9), SPEC, counter, None, _day(9))
    assert decision.trigger, decision.reason
    w = decision.training_windows
    assert w == training_windows(SPEC, _day(9))
    assert w.oot_start >= S  # judged where it will serve
    assert w.valid_start - dt.timedelta(days=1) >= S  # learns from post-drift applications
    assert counter.calls == [(S, _day(1), _day(9))]
    assert "1,200 applications made since the drift began on 2026-03-01" in decision.reason
    assert "retraining as of 2026-03-10" in decision.reason
    assert decision.window == (_day(7), _day(9))


def test_the_drift_starts_after_the_last_calm_day() -> None:
    # Drifted, one calm day, then drifted again from S: the drift is counted from S.
    shares = _shares(-4, -2) | {_day(-1): 0.1} | _shares(0, 9, calm_before=0)
    decision = decide_retrain(shares, SPEC, Counter(), None, _day(9))
    assert decision.drift_start == S and decision.trigger


def test_more_labels_needed_move_the_trigger_later() -> None:
    # 3,000 labels are five post-drift days in the training split: from a cut on S+12.
    spec = SPEC.model_copy(
        update={"drift": SPEC.drift.model_copy(update={"min_matured_labels": 3000})}
    )
    assert not decide_retrain(_shares(0, 11), spec, Counter(), None, _day(11)).trigger
    assert decide_retrain(_shares(0, 12), spec, Counter(), None, _day(12)).trigger


@pytest.mark.parametrize(
    ("shares", "last", "trigger", "reason"),
    [
        ({}, None, False, "No drift has been measured"),
        ({_day(8): 0.5, _day(9): 0.1}, None, False, "on 2026-03-10 was 10.0%, below"),
        ({_day(8): 0.5, _day(9): 0.5}, None, False, "for 2 days in a row through 2026-03-10"),
        (_shares(0, 9), _day(3), False, "the 7-day cooldown lasts until 2026-03-11"),
        (_shares(0, 9), _day(2), True, "retraining as of 2026-03-10"),
        (_shares(0, 9), _day(9), True, "retraining"),  # the same window again
    ],
)
def test_streak_and_cooldown(shares, last, trigger, reason) -> None:
    decision = decide_retrain(shares, SPEC, Counter(), last, _day(9))
    assert decision.trigger is trigger
    assert reason in decision.reason


def test_days_after_today_are_ignored() -> None:
    shares = _shares(0, 9) | {_day(10): 0.0}
    assert decide_retrain(shares, SPEC, Counter(), None, _day(9)).trigger


def _features(days: dict[int, list[str]]) -> pa.Table:
    ids, times = [], []
    for offset, names in days.items():
        ids += names
        times += [dt.datetime.combine(_day(offset), dt.time(12))] * len(names)
    return pa.table({SPEC.entity_id_column: ids, SPEC.event_timestamp_column: times})


def _outcomes(rows: list[tuple[str, int, int | None]]) -> pa.Table:
    return pa.table(
        {
            SPEC.entity_id_column: [r[0] for r in rows],
            "outcome_date": pa.array([dt.datetime.combine(_day(r[1]), dt.time()) for r in rows]),
            "is_bad": pa.array([r[2] for r in rows], pa.int8()),
            "label": [None if r[2] is None else str(r[2]) for r in rows],
        }
    )


def test_labelled_applications_counts_what_a_training_set_could_learn() -> None:
    features = _features({0: ["a", "b", "c", "d"], 1: ["e", "f"]})
    outcomes = _outcomes(
        [
            ("a", 3, 0),  # known by day 3
            ("b", 2, 1),  # known
            ("c", 5, 0),  # known only after the cutoff
            ("d", 3, None),  # indeterminate
            ("e", 0, 1),  # dated before its application: corrupt
            ("f", 2, 0),
            ("f", 3, None),  # its last known outcome is indeterminate
            ("zz", 1, 1),  # no such application
        ]
    )
    assert labelled_applications(features, outcomes, SPEC, _day(3)) == 2  # a, b
    assert labelled_applications(features, outcomes, SPEC, _day(5)) == 3  # and c
    assert labelled_applications(features, outcomes, SPEC, _day(1)) == 0
