"""When drift warrants retraining the champion: the guardrails of a drift-triggered retrain.

A pure decision over what has been recorded (daily drift shares, the matured outcomes of
applications made since the drift began, the previous trigger), so the sensor that acts on it
stays a thin tick and the rules are tested alone. A retrain is asked for only when it can learn
the new regime and be judged on it (see ``decide_retrain``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.spec_policies import Drift
from ml_platform_assets.core.windows import TrainingWindows, training_windows

# labelled(first, last, as_of): applications dated first..last with a bad or good outcome
# known by the end of as_of.
LabelCounter = Callable[[dt.date, dt.date, dt.date], int]


@dataclass(frozen=True)
class RetrainDecision:
    """Whether to retrain now, the sentence saying why, and the days the decision rests on:
    the drift window (the last ``consecutive_days`` measured days), the first day of the
    current drift, and the windows of the training set a retrain now would use."""

    trigger: bool
    reason: str
    window: tuple[dt.date, dt.date] | None
    drift_start: dt.date | None = None
    training_windows: TrainingWindows | None = None


def _streak(shares: Mapping[dt.date, float], end: dt.date, threshold: float) -> int:
    """Consecutive measured days ending at ``end`` with a share at or above ``threshold``."""
    days = 0
    while shares.get(end - dt.timedelta(days=days), -1.0) >= threshold:
        days += 1
    return days


def _too_short(share: float, streak: int, end: dt.date, drift: Drift) -> RetrainDecision:
    """The decision while the streak of drifted days is shorter than required."""
    threshold, needed = drift.share_threshold, drift.consecutive_days
    if streak == 0:
        reason = (
            f"The drift share on {end} was {share:.1%}, below the threshold of {threshold:.0%}."
        )
        return RetrainDecision(False, reason, (end, end))
    in_a_row = f"{streak} day{'s' if streak > 1 else ''} in a row"
    reason = (
        f"The drift share has been at or above {threshold:.0%} for {in_a_row} through {end}; "
        f"{needed} are needed before retraining."
    )
    return RetrainDecision(False, reason, (end - dt.timedelta(days=streak - 1), end))


def decide_retrain(
    results_by_day: Mapping[dt.date, float],
    spec: ModelSpec,
    labelled: LabelCounter,
    last_trigger_day: dt.date | None,
    today: dt.date,
) -> RetrainDecision:
    """Whether drift warrants retraining the champion now, so that the retrained model learns
    the new regime and is judged on it.

    The drift began on the first day of the current streak of drifted days (``drift_start``).
    A retraining set cut on the last measured day is wanted only once

    - its out-of-time window lies wholly on or after ``drift_start``: the gates then judge the
      challenger on applications of the regime it will serve. With label maturity ``m`` and
      ``o`` out-of-time days, the first such cutoff is ``drift_start + m + o - 1``;
    - its training split (the training window without its validation days) holds at least
      ``spec.drift.min_matured_labels`` applications dated on or after ``drift_start`` whose
      outcome has matured into a bad or good label by the cutoff: the model learns from them.

    Until then the decision waits and says for what. Windows are those of
    ``core.windows.training_windows``.

    Args:
        results_by_day: Dataset drift share per measured day, against the current champion.
        spec: The model's spec: its drift guardrails and training windows.
        labelled: ``labelled(first, last, as_of)``, the applications dated ``first``..``last``
            with a bad or good outcome known by the end of ``as_of``; called only when needed.
        last_trigger_day: Last day of the drift window of the previous drift-triggered retrain.
        today: The day deciding; measured days after it are ignored.

    Days are data days (partitions), not clock days: replaying history gives the same
    decisions. A previous trigger for this very window does not block itself; the sensor's
    run key keeps a repeated request from starting a second run.
    """
    drift = spec.drift
    measured = [d for d in results_by_day if d <= today]
    if not measured:
        return RetrainDecision(False, "No drift has been measured against the champion yet.", None)
    end, k, threshold = max(measured), drift.consecutive_days, drift.share_threshold
    streak = _streak(results_by_day, end, threshold)
    if streak < k:
        return _too_short(results_by_day[end], streak, end, drift)
    window = (end - dt.timedelta(days=k - 1), end)
    drift_start = end - dt.timedelta(days=streak - 1)
    drifting = (
        f"The drift share has been at or above {threshold:.0%} for {k} days ({window[0]}..{end})"
    )
    if streak > k:
        drifting += f", every day since the drift began on {drift_start}"
    if last_trigger_day is not None and last_trigger_day < end:
        ready = last_trigger_day + dt.timedelta(days=drift.cooldown_days)
        if end < ready:
            return RetrainDecision(
                False,
                f"{drifting}, but the last drift-triggered retraining covered data through "
                f"{last_trigger_day}; the {drift.cooldown_days}-day cooldown lasts until {ready}.",
                window,
                drift_start,
            )
    return _when_the_new_regime_is_learnable(spec, labelled, drifting, window, drift_start)


def first_cutoff_judged_on_new_regime(spec: ModelSpec, drift_start: dt.date) -> dt.date:
    """The earliest training cutoff whose out-of-time window starts on or after ``drift_start``
    (label maturity plus the out-of-time days after it, less one)."""
    w = spec.windows
    return drift_start + dt.timedelta(days=w.label_maturity_days + w.oot_days - 1)


def _when_the_new_regime_is_learnable(
    spec: ModelSpec,
    labelled: LabelCounter,
    drifting: str,
    window: tuple[dt.date, dt.date],
    drift_start: dt.date,
) -> RetrainDecision:
    end, needed = window[1], spec.drift.min_matured_labels
    try:
        windows = training_windows(spec, end)
    except ValueError as exc:
        return RetrainDecision(False, f"{drifting}, but {exc}.", window, drift_start)
    oot = f"{windows.oot_start}..{windows.oot_end}"
    if windows.oot_start < drift_start:
        ready = first_cutoff_judged_on_new_regime(spec, drift_start)
        return RetrainDecision(
            False,
            f"{drifting}, but a training set cut on {end} would judge the challenger on "
            f"applications of {oot}, before the drift began: waiting for outcomes of the new "
            f"regime to mature (its first out-of-time window comes with a cutoff on {ready}).",
            window,
            drift_start,
            windows,
        )
    train_end = windows.valid_start - dt.timedelta(days=1)
    learnable = labelled(drift_start, train_end, end) if drift_start <= train_end else 0
    if learnable < needed:
        return RetrainDecision(
            False,
            f"{drifting}, but only {learnable:,} applications made since the drift began on "
            f"{drift_start} have matured outcomes in the training split of a set cut on {end} "
            f"(applications up to {train_end}); {needed:,} are needed to retrain.",
            window,
            drift_start,
            windows,
        )
    return RetrainDecision(
        True,
        f"{drifting}; {learnable:,} applications made since the drift began on {drift_start} "
        f"have matured outcomes in the training split, and the out-of-time window {oot} lies "
        f"wholly after it: retraining as of {end}.",
        window,
        drift_start,
        windows,
    )
