"""Why a training set without a single bad outcome cannot be trained, in the user's labels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.schemas import DELIVERED_LABEL, LABEL
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.values import classify_labels

# Labels listed in the no-bad message; a misdeclared column can hold thousands of values.
_LABELS_SHOWN = 10


def has_bad_outcome(outcomes: pa.Table, as_of: dt.date) -> bool:
    """Whether any outcome known by the end of ``as_of`` is labelled bad."""
    known = outcomes["outcome_date"].to_numpy() <= np.datetime64(as_of)
    return bool((outcomes[LABEL].cast(pa.float64()).to_numpy()[known] == 1).any())


def no_bad_label_message(
    outcomes: pa.Table, quarantined: Iterable[pa.Table], spec: ModelSpec, as_of: dt.date
) -> str:
    """Why a set without a single bad outcome cannot be trained, with the labels seen.

    The usual cause is a bad label declared otherwise than the files write it ('bad' for
    'Bad'): those rows were quarantined at ingestion as neither bad nor good, so their labels
    are counted from the outcomes' quarantine (``quarantined``: tables holding the target
    column as delivered) as well as from the validated ``outcomes`` (the ``label`` column).
    """
    target = spec.target
    known = outcomes.filter(pa.array(outcomes["outcome_date"].to_numpy() <= np.datetime64(as_of)))
    seen = [(label, n, "") for label, n in _label_counts(known[DELIVERED_LABEL])]
    for table in quarantined:
        if target.column not in table.column_names or table.num_rows == 0:
            continue
        labels = _stripped(table[target.column])
        _, undeclared = classify_labels(labels, target)
        for mask, note in (
            (undeclared, " (quarantined as neither bad nor good)"),
            (~undeclared, " (quarantined for another reason)"),
        ):
            if mask.any():
                counts = _label_counts(labels.filter(pa.array(mask)))
                seen += [(label, n, note) for label, n in counts]
    seen = _merged(seen)
    declared = target.bad_value if isinstance(target.bad_value, list) else [target.bad_value]
    head = (
        f"no outcome known by {as_of} is labelled bad: column {target.column}, bad_value "
        f"{', '.join(map(repr, declared))} declared; labels seen: "
    )
    if not seen:
        return head + "none — deliver the outcomes of the windows' applications first"
    shown = ", ".join(
        f"{'blank' if label is None else repr(label)} {n:,}{note}"
        for label, n, note in seen[:_LABELS_SHOWN]
    )
    if len(seen) > _LABELS_SHOWN:
        shown += f" and {len(seen) - _LABELS_SHOWN:,} more"
    return head + shown + " — declare the labels exactly as the files write them"


def _stripped(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text stripped of surrounding spaces, empty as missing: labels as validation reads them."""
    text = pc.utf8_trim_whitespace(values.cast(pa.string()))
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _label_counts(labels: pa.ChunkedArray | pa.Array) -> list[tuple[str | None, int]]:
    counts = pc.value_counts(labels).to_pylist()
    return [(c["values"], c["counts"]) for c in counts]


def _merged(seen: list[tuple[str | None, int, str]]) -> list[tuple[str | None, int, str]]:
    """Counts of the same label with the same note added up, most frequent first."""
    totals: dict[tuple[str | None, str], int] = {}
    for label, n, note in seen:
        totals[label, note] = totals.get((label, note), 0) + n
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return [(label, n, note) for (label, note), n in ranked]
