"""What the days of a training set lost before it was built: rows quarantined at ingestion and
outcomes whose id matches no delivered application, each said as the cause it is.

A training set must not learn from what a file lost: a day that quarantined more than
``data_quality.max_quarantine_share`` of its rows stops the build (unless the spec accepts the
day), and a window too thin to learn from names these causes instead of only its width.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.quarantine import REASON_COLUMN, reason_counts
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.timestamps import UTC_OFFSET, zones_keeping

_DAYS_SHOWN = 5


@dataclass
class DayLoss:
    """One delivered day of one kind (``applications`` or ``outcomes``): rows kept, and the
    rows quarantined at ingestion (as delivered, each with its reason), if any."""

    day: dt.date
    kind: str
    kept: int
    quarantined: pa.Table | None = None
    reasons: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        empty = self.quarantined is None or self.quarantined.num_rows == 0
        self.reasons = {} if empty else reason_counts(self.quarantined)

    @property
    def lost(self) -> int:
        """Rows quarantined."""
        return sum(self.reasons.values())

    @property
    def share(self) -> float:
        """Quarantined rows over delivered rows, 0 for a day without rows."""
        delivered = self.kept + self.lost
        return self.lost / delivered if delivered else 0.0


def quarantine_stop(spec: ModelSpec, as_of: dt.date, days: list[DayLoss]) -> str | None:
    """The sentence that stops a training set whose days lost too many rows, None when every
    day kept within ``data_quality.max_quarantine_share`` or is accepted in
    ``data_quality.accepted_days``.

    Days are grouped by their commonest reason, with the share lost, an example value and,
    for timestamps that fell on another day, the ``timezone`` that would keep them."""
    quality = spec.data_quality
    accepted = set(quality.accepted_days or ())
    over = [d for d in days if d.share > quality.max_quarantine_share and d.day not in accepted]
    if not over:
        return None
    by_reason: dict[str, list[DayLoss]] = {}
    for day in over:
        by_reason.setdefault(next(iter(day.reasons)), []).append(day)
    parts = []
    for reason, group in sorted(by_reason.items(), key=lambda kv: -sum(d.lost for d in kv[1])):
        lost, kept = sum(d.lost for d in group), sum(d.kept for d in group)
        kinds = sorted({d.kind for d in group})
        part = (
            f"{_day_list([d.day for d in group])} lost {lost:,} of {lost + kept:,} "
            f"{' and '.join(kinds)} ({lost / (lost + kept):.0%}), mostly '{reason}'"
        )
        examples = _examples(group, reason)
        if examples:
            part += f" (e.g. {', '.join(map(repr, examples))})"
        everywhere = [d for d in days if reason in d.reasons]
        if len(everywhere) > len(group):
            # The same cause under the share on other days: the whole of it, not the worst days.
            part += (
                f"; the same reason took {sum(d.reasons[reason] for d in everywhere):,} rows "
                f"on {len(everywhere)} of the window's days"
            )
        hint = timezone_hint(spec, everywhere, reason)
        if hint:
            part += f"; {hint}"
        parts.append(part)
    return (
        f"{spec.name}: the training set as of {as_of} would learn from days that lost more than "
        f"{quality.max_quarantine_share:.0%} of their rows at ingestion "
        f"(data_quality.max_quarantine_share): {' | '.join(parts)}; fix the spec or the files "
        f"(then ml-platform run {spec.name} --redeliver DAY --reason TEXT), or accept those "
        "days in data_quality.accepted_days"
    )


def losses_on_record(spec: ModelSpec, days: list[DayLoss]) -> dict:
    """What a training set's days lost, as recorded with it: rows quarantined per reason, the
    days over ``max_quarantine_share`` that ``data_quality.accepted_days`` let in, and the
    reasons among them that ``data_quality.accepted_reasons`` accepts."""
    reasons: Counter[str] = Counter()
    for day in days:
        reasons.update(day.reasons)
    limit, accepted = spec.data_quality.max_quarantine_share, spec.data_quality.accepted_days
    over = sorted({d.day for d in days if d.share > limit and d.day in set(accepted or ())})
    accepted_reasons = [r for r in spec.data_quality.accepted_reasons or () if r in reasons]
    return {
        "quarantined": dict(reasons.most_common()),
        "accepted_days": [d.isoformat() for d in over],
        "accepted_reasons": accepted_reasons,
    }


def loss_causes(
    days: list[DayLoss], unmatched: UnmatchedOutcomes | None, limit: float
) -> tuple[str | None, bool]:
    """What the window's days lost upstream, in a few words (None when nothing), and whether
    that is the cause of a thin window rather than its width: outcomes whose ids are the
    applications' written otherwise (or match none), or more than ``limit`` of the rows
    quarantined."""
    causes, decisive = [], False
    reasons: Counter[str] = Counter()
    for day in days:
        reasons.update(day.reasons)
    if reasons:
        lost = sum(reasons.values())
        delivered = lost + sum(d.kept for d in days)
        top = "; ".join(f"'{r}' ({n:,})" for r, n in reasons.most_common(2))
        causes.append(f"{lost:,} of {delivered:,} rows of its days were quarantined: {top}")
        decisive = lost > limit * delivered
    if unmatched is not None and unmatched.is_a_cause():
        causes.append(unmatched.sentence())
        decisive = True
    return "; ".join(causes) or None, decisive


@dataclass(frozen=True)
class UnmatchedOutcomes:
    """Outcomes whose id matches no delivered application, of how many, and one such id beside
    the application id it most likely was (written with other leading zeros, case or space)."""

    count: int
    outcomes: int
    respelled: int  # of ``count``, those matching an application id written otherwise
    example: tuple[str, str] | None
    days: list[dt.date] = field(default_factory=list)  # outcome days of the ``respelled``

    def sentence(self) -> str:
        """'3,100 of 3,100 outcomes match no delivered application id (e.g. ...)'; with ids
        written otherwise, how many of those match one only so."""
        text = f"{self.count:,} of {self.outcomes:,} outcomes match no delivered application id"
        if self.respelled:
            text = (
                f"{self.respelled:,} of {self.outcomes:,} outcomes match a delivered application "
                "id only when written otherwise"
            )
        if self.example:
            outcome_id, application_id = self.example
            text += (
                f" (e.g. outcome id {outcome_id!r} vs application id {application_id!r}: "
                "the ids are written differently: leading zeros, a float's '.0', case or "
                "spaces)"
            )
        return text

    def is_a_cause(self) -> bool:
        """Whether the unmatched outcomes are a fault rather than outcomes of applications
        before the window: some are application ids written otherwise, or none matches."""
        return self.respelled > 0 or (self.count > 0 and self.count == self.outcomes)

    def spelled_otherwise(self, limit: float) -> bool:
        """Whether more than ``limit`` (a share) of the outcomes are the applications' own ids
        written otherwise."""
        return self.respelled > 0 and self.respelled > limit * self.outcomes


def unmatched_outcomes(
    application_ids: pa.ChunkedArray | pa.Array,
    outcome_ids: pa.ChunkedArray | pa.Array,
    outcome_dates: pa.ChunkedArray | pa.Array | None = None,
) -> UnmatchedOutcomes:
    """Outcome ids found among no ``application_ids``, with an example pair when some match an
    application once leading zeros, a float's '.0', surrounding space and case are ignored;
    ``outcome_dates`` (timestamps beside the ids) name the days of those."""
    present = pc.is_valid(outcome_ids)
    applications = pc.unique(pc.drop_null(application_ids))
    unknown = pc.and_(present, pc.invert(pc.is_in(outcome_ids, value_set=applications)))
    missing = outcome_ids.filter(unknown)
    example, respelled, days = None, 0, []
    if len(missing):
        found = pc.index_in(_loose(missing), value_set=_loose(applications))
        respelled = len(found) - found.null_count
        if respelled:
            first = pc.index(pc.is_valid(found), True).as_py()
            matched = applications[found[first].as_py()].as_py()
            example = (missing[first].as_py(), matched)
            if outcome_dates is not None:
                dated = outcome_dates.filter(unknown).filter(pc.is_valid(found))
                days = sorted(set(dated.to_numpy().astype("datetime64[D]").astype(dt.date)))
    outcomes = len(outcome_ids) - outcome_ids.null_count
    return UnmatchedOutcomes(len(missing), outcomes, respelled, example, days)


def _loose(ids: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Ids with surrounding space, case, leading zeros and a float's '.0' ignored."""
    text = pc.utf8_lower(pc.utf8_trim_whitespace(pc.cast(ids, pa.string())))
    text = pc.replace_substring_regex(text, r"^(\d+)\.0+$", r"\1")
    return pc.utf8_ltrim(text, characters="0")


def _day_list(days: list[dt.date]) -> str:
    days = sorted(days)
    shown = ", ".join(d.isoformat() for d in days[:_DAYS_SHOWN])
    more = f" and {len(days) - _DAYS_SHOWN} more" if len(days) > _DAYS_SHOWN else ""
    return f"{len(days)} day(s) ({shown}{more})" if len(days) > 1 else shown


def _column_of(reason: str) -> str | None:
    return reason.split(":", 1)[0] if ":" in reason else None


def _values_for(group: list[DayLoss], reason: str) -> list[str]:
    column = _column_of(reason)
    values: list[str] = []
    for day in group:
        table = day.quarantined
        if table is None or column not in table.column_names:
            continue
        rows = table.filter(pc.equal(table[REASON_COLUMN], reason))
        values += [v for v in rows[column][:200].to_pylist() if v is not None]
    return values


def _examples(group: list[DayLoss], reason: str, most: int = 3) -> list[str]:
    """Up to ``most`` distinct values quarantined for ``reason``, commonest first."""
    return [v for v, _ in Counter(_values_for(group, reason)).most_common(most)]


def timezone_hint(spec: ModelSpec, group: list[DayLoss], reason: str) -> str | None:
    """For timestamps quarantined as on another day than their file's, written with UTC
    offsets: the ``timezone`` that would keep them, an IANA zone whose offsets match every one
    (daylight saving included), else the fixed offset's zone."""
    if not reason.startswith(f"{spec.event_timestamp_column}: not on the file's day"):
        return None
    values = [v for v in _values_for(group, reason) if re.search(UTC_OFFSET, v)]
    offsets = sorted({re.search(UTC_OFFSET, v).group(0) for v in values})
    if not offsets:
        return None
    zones = zones_keeping(values)
    carry = f"UTC offset {offsets[0]}" if len(offsets) == 1 else f"UTC offsets {', '.join(offsets)}"
    if zones:
        named = " or ".join(zones)
    elif len(offsets) == 1 and _fixed_zone(offsets[0]):
        named = _fixed_zone(offsets[0])
    else:
        return None
    return (
        f"they carry {carry}: the files are cut at midnight in another timezone than the "
        f"spec's {spec.timezone}; set timezone to {named} to keep them"
    )


def _fixed_zone(offset: str) -> str | None:
    """'Etc/GMT+5' for '-05:00' (POSIX signs are inverted); None for partial hours."""
    if offset == "Z":
        return "UTC"
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if minutes:
        return None
    if hours == 0:
        return "UTC"
    return f"Etc/GMT{'-' if offset[0] == '+' else '+'}{hours}"


def day_counts(table: pa.Table, column: str) -> dict[dt.date, int]:
    """Rows of ``table`` per day of its timestamp ``column``."""
    if table.num_rows == 0:
        return {}
    days = table[column].to_numpy().astype("datetime64[D]")
    found, counts = np.unique(days[~np.isnat(days)], return_counts=True)
    return {d.astype(dt.date): int(n) for d, n in zip(found, counts, strict=True)}
