"""Fair-lending outcome tests: approval rates per protected group and the adverse impact ratio.

Protected attributes are never model inputs; they are kept beside the features only to test
outcomes. At the spec's ``decision.cutoff`` an application is approved when its predicted
probability of bad is at most the cutoff. The adverse impact ratio (AIR) of a group is its
approval rate over the approval rate of the most-approved group (the reference); below 0.8 (the
"four-fifths" rule) is the usual screen for a closer look.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.validation import Rows, column_names
from ml_platform_assets.core.values import label_apart

MISSING = "missing"


def _labels(values: pa.ChunkedArray | pd.Series) -> pd.Series:
    """Group labels as text, as the features store them (a delivered 1 is the level "1"),
    with missing values as None."""
    if isinstance(values, pa.ChunkedArray):
        values = pc.cast(values, pa.string()).to_pandas()
    text = values.astype(object).where(values.notna(), None)
    return text.map(lambda v: v if v is None or isinstance(v, str) else str(v))


def adverse_impact(groups: pd.Series, approved: np.ndarray, levels: list[str]) -> dict:
    """Approval rates and adverse impact ratios of one attribute.

    Args:
        groups: each row's group (text, None when missing).
        approved: each row's decision, True when approved.
        levels: the spec's declared groups, listed first and in this order even with no rows.

    Returns:
        ``{"reference_group", "min_ratio", "groups": [{"group", "n", "approved",
        "approval_rate", "adverse_impact_ratio", "missing_value"}]}``. Groups seen but not
        declared follow the declared ones, then the rows without a value: the group ``MISSING``
        (``(missing)`` when a group of the lender's is called "missing"), marked
        ``missing_value``. A group with no rows has no rate and no ratio. The reference is the
        group with the highest approval rate (the first in that order on a tie), never the
        missing-value group; ``min_ratio`` is the lowest ratio of the other groups, also
        without it. Without a reference (no rows, or no approvals), both are None and so are
        the ratios.
    """
    groups = pd.Series(groups, dtype=object)  # a category dtype takes no new label
    absent = label_apart(MISSING, [*levels, *groups.dropna().unique()])
    frame = pd.DataFrame({"group": groups.fillna(absent).to_numpy(), "approved": approved})
    counts = frame.groupby("group", sort=False)["approved"].agg(["size", "sum"])
    seen = [g for g in counts.index if g not in levels and g != absent]
    order = [*levels, *sorted(seen, key=str), *([absent] if absent in counts.index else [])]
    rows = []
    for group in order:
        n, yes = (int(v) for v in counts.loc[group]) if group in counts.index else (0, 0)
        rows.append(
            {
                "group": group,
                "n": n,
                "approved": yes,
                "approval_rate": yes / n if n else None,
                "missing_value": group == absent,
            }
        )
    rated = [r for r in rows if r["approval_rate"] is not None and not r["missing_value"]]
    best = max(rated, key=lambda r: r["approval_rate"], default=None)
    if best is None or best["approval_rate"] == 0:
        best = None
    for row in rows:
        rate = row["approval_rate"]
        row["adverse_impact_ratio"] = (
            rate / best["approval_rate"] if best is not None and rate is not None else None
        )
    ratios = [r["adverse_impact_ratio"] for r in rated if best is not None]
    return {
        "reference_group": best["group"] if best else None,
        "min_ratio": min(ratios) if ratios else None,
        "groups": rows,
    }


def fairness(spec: ModelSpec, rows: Rows, score: np.ndarray) -> dict:
    """The fairness block of an evaluation record (``core.evaluation_record.Fairness``): each
    protected attribute of the spec measured on ``rows`` (out-of-time feature rows, DataFrame or
    Arrow table) scored ``score`` (probability of bad), at the spec's cutoff.

    Raises:
        ValueError: ``rows`` lack a protected attribute's column.
    """
    cutoff = spec.decision.cutoff
    present = column_names(rows)
    missing = [name for name in spec.protected_attributes if name not in present]
    if missing:
        raise ValueError(
            f"{spec.name}: the out-of-time rows lack the protected attribute column(s) "
            f"{', '.join(missing)}, so adverse impact cannot be measured"
        )
    approved = np.asarray(score, dtype=float) <= cutoff
    return {
        "cutoff": cutoff,
        "attributes": {
            name: adverse_impact(_labels(rows[name]), approved, attribute.values)
            for name, attribute in spec.protected_attributes.items()
        },
    }


def lowest_ratio(record: dict) -> tuple[float, str] | None:
    """The lowest adverse impact ratio of a fairness block and which group has it, as
    ``(ratio, "attribute group vs reference")``; None when no ratio could be measured."""
    found = [
        (row["adverse_impact_ratio"], f"{name} {row['group']} vs {block['reference_group']}")
        for name, block in record["attributes"].items()
        for row in block["groups"]
        if row["adverse_impact_ratio"] is not None and not row["missing_value"]
    ]
    return min(found, key=lambda item: item[0], default=None)


def unmeasured(record: dict) -> dict[str, str]:
    """The protected attributes of a fairness block whose adverse impact could not be
    measured, each with why: no applicant had a value, or none with a value was approved."""
    out = {}
    for name, block in record["attributes"].items():
        people = [r for r in block["groups"] if r["n"] and not r["missing_value"]]
        if not people:
            out[name] = "no applicant had a value"
        elif block["reference_group"] is None:
            out[name] = "no applicant with a value was approved"
    return out
