"""The date windows of a training set, and the check that each is full enough to use.

As of a cutoff day, the last days whose outcomes have matured form the out-of-time (OOT)
window; the days before them the training window, whose last days validate early stopping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.schemas import LABEL
from ml_platform_assets.core.spec import ModelSpec

# What each split is to a reader, what it needs both classes for, and the spec field widening it.
_WINDOW_ROLES = {
    "train": ("training", "to learn from", "windows.training_days"),
    "valid": ("validation", "to stop early", "windows.validation_days"),
    "oot": ("out-of-time", "to be evaluated", "windows.oot_days"),
}


class ThinWindowError(ValueError):
    """A training, validation or out-of-time window with too few rows, bads or goods."""


@dataclass(frozen=True)
class TrainingWindows:
    """The date windows of one training set; all bounds inclusive."""

    as_of: dt.date
    train_start: dt.date
    valid_start: dt.date
    train_end: dt.date
    oot_start: dt.date
    oot_end: dt.date

    @property
    def feature_days(self) -> list[dt.date]:
        """Application days whose features the set needs."""
        return _days(self.train_start, self.oot_end)

    @property
    def outcome_days(self) -> list[dt.date]:
        """Days whose known outcomes the set needs: up to the cutoff."""
        return _days(self.train_start, self.as_of)

    @property
    def split_bounds(self) -> dict[str, tuple[dt.date, dt.date]]:
        """First and last application day of each split, in ``SPLITS`` order. The validation
        days are the training window's last ones, so the train split ends the day before."""
        return {
            "train": (self.train_start, self.valid_start - dt.timedelta(days=1)),
            "valid": (self.valid_start, self.train_end),
            "oot": (self.oot_start, self.oot_end),
        }

    def as_dict(self) -> dict[str, str]:
        """Each bound as an ISO date, by field name."""
        return {k: v.isoformat() for k, v in self.__dict__.items()}


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def training_windows(spec: ModelSpec, as_of: dt.date) -> TrainingWindows:
    """Windows for a training set cut at the end of ``as_of``.

    Raises:
        ValueError: the windows would start before the model's first day of data.
    """
    w = spec.windows
    oot_end = as_of - dt.timedelta(days=w.label_maturity_days)
    oot_start = oot_end - dt.timedelta(days=w.oot_days - 1)
    train_end = oot_start - dt.timedelta(days=1)
    train_start = train_end - dt.timedelta(days=w.training_days - 1)
    valid_start = train_end - dt.timedelta(days=w.validation_days - 1)
    if train_start < spec.start_date:
        needed = w.training_days + w.oot_days + w.label_maturity_days
        earliest = spec.start_date + dt.timedelta(days=needed - 1)
        raise ValueError(
            f"{spec.name}: a training set as of {as_of} would start on {train_start}, before the "
            f"first day of data {spec.start_date}; it needs {needed} days of data, so the "
            f"earliest cutoff is {earliest}"
        )
    return TrainingWindows(as_of, train_start, valid_start, train_end, oot_start, oot_end)


def check_windows(
    splits: Mapping[str, pa.Table],
    windows: TrainingWindows,
    spec: ModelSpec,
    cause: str | None = None,
    decisive: bool = False,
) -> None:
    """Refuse windows too thin to learn from, stop early on or evaluate.

    Each split needs at least ``windows.min_rows`` labelled rows and ``windows.min_bads`` rows
    of each class: without both classes, early stopping has no AUC to follow and the
    out-of-time metrics mean nothing. ``cause``, what the days lost upstream (quarantined rows,
    unmatched outcomes), is named too; when ``decisive``, instead of advice to widen them.

    Raises:
        ThinWindowError: one sentence per window that falls short, with its dates and counts.
    """
    need = spec.windows
    problems = []
    for split, (first, last) in windows.split_bounds.items():
        rows, bads = window_counts(splits[split])
        goods = rows - bads
        missing = []
        if rows < need.min_rows:
            missing.append(f"at least {need.min_rows:,} labelled rows (windows.min_rows)")
        if min(bads, goods) < need.min_bads:
            missing.append(
                f"at least {need.min_bads:,} bad and {need.min_bads:,} good (windows.min_bads)"
            )
        if not missing:
            continue
        name, purpose, width = _WINDOW_ROLES[split]
        advice = "" if decisive else f": widen {width} or deliver more days"
        problems.append(
            f"the {name} window {_span(first, last)} has {rows:,} labelled rows: {bads:,} bad, "
            f"{goods:,} good; it needs {' and '.join(missing)} {purpose}{advice}"
        )
    if problems and cause is not None:
        said = "the cause is upstream, not the windows' width" if decisive else "upstream"
        problems.append(f"{said}: {cause}")
    if problems:
        raise ThinWindowError("; ".join(problems))


def window_counts(split: pa.Table) -> tuple[int, int]:
    """(labelled rows, bad rows) of one split."""
    bads = pc.sum(split[LABEL]).as_py() or 0
    return split.num_rows, int(bads)


def _span(first: dt.date, last: dt.date) -> str:
    return first.isoformat() if first == last else f"{first}..{last}"
