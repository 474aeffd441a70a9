"""When drift warrants retraining the champion: the guardrails of a drift-triggered retrain.

A pure decision over what has been recorded (daily drift shares, matured outcomes, the previous
trigger), so the sensor that acts on it stays a thin, cheap tick and the rules are tested alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from ml_platform_assets.core.spec import Drift


@dataclass(frozen=True)
class RetrainDecision:
    """Whether to retrain now, the sentence saying why, and the days the decision rests on."""

    trigger: bool
    reason: str
    window: tuple[dt.date, dt.date] | None


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
    drift: Drift,
    matured_labels: int,
    last_trigger_day: dt.date | None,
    today: dt.date,
) -> RetrainDecision:
    """Whether drift warrants retraining the champion now.

    Args:
        results_by_day: Dataset drift share per measured day, against the current champion.
        drift: The spec's guardrails.
        matured_labels: Outcomes that became known after the champion's training cutoff.
        last_trigger_day: Last day of the drift window of the previous drift-triggered retrain.
        today: The day deciding; measured days after it are ignored.

    Days are data days (partitions), not clock days: replaying history gives the same
    decisions. A previous trigger for this very window does not block itself; the sensor's
    run key keeps a repeated request from starting a second run.
    """
    measured = [d for d in results_by_day if d <= today]
    if not measured:
        return RetrainDecision(False, "No drift has been measured against the champion yet.", None)
    end, k, threshold = max(measured), drift.consecutive_days, drift.share_threshold
    streak = _streak(results_by_day, end, threshold)
    if streak < k:
        return _too_short(results_by_day[end], streak, end, drift)
    window = (end - dt.timedelta(days=k - 1), end)
    drifting = (
        f"The drift share has been at or above {threshold:.0%} for {k} days ({window[0]}..{end})"
    )
    if last_trigger_day is not None and last_trigger_day < end:
        ready = last_trigger_day + dt.timedelta(days=drift.cooldown_days)
        if end < ready:
            return RetrainDecision(
                False,
                f"{drifting}, but the last drift-triggered retraining covered data through "
                f"{last_trigger_day}; the {drift.cooldown_days}-day cooldown lasts until {ready}.",
                window,
            )
    if matured_labels < drift.min_matured_labels:
        return RetrainDecision(
            False,
            f"{drifting}, but only {matured_labels:,} outcomes have matured since the "
            f"champion's training cutoff; {drift.min_matured_labels:,} are needed to retrain.",
            window,
        )
    return RetrainDecision(
        True,
        f"{drifting}, {matured_labels:,} new outcomes have matured and no cooldown applies: "
        "retraining.",
        window,
    )
