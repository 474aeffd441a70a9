"""Quarantined applications that are not a random loss: rows of one reason whose outcomes differ
from the kept rows' (a no-bureau-score segment written as ``NULL``), so a model trained without
them would never learn their risk, however small a share of each day they are.

The quarantined rows' labels come from the target column they were delivered with, or from the
outcomes delivered for their ids; a reason is selective when its rows' bad rate differs from
the kept rows' by at least ``MIN_GAP`` and a two-proportion z-test puts the gap beyond
``MIN_Z`` standard errors (so chance over a few rows never stops a training set).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.quarantine import REASON_COLUMN
from ml_platform_assets.core.schemas import LABEL
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.values import classify_labels, label_text

MIN_ROWS = 20  # labelled quarantined rows of one reason before it is judged
MIN_GAP = 0.10  # bad-rate difference, absolute
MIN_Z = 4.0


@dataclass(frozen=True)
class SelectiveLoss:
    """One reason's labelled quarantined rows and their bad rate beside the kept rows'."""

    reason: str
    rows: int
    bad_rate: float
    kept_bad_rate: float
    example: str | None = None  # a value of the reason's column, as delivered

    def sentence(self) -> str:
        """'... removed 99 labelled applications (e.g. 'NO HIT') with a bad rate of 100%
        against 28% of those kept'."""
        example = f" (e.g. {self.example!r})" if self.example is not None else ""
        return (
            f"'{self.reason}' removed {self.rows:,} labelled applications{example} with a bad "
            f"rate of {self.bad_rate:.0%} against {self.kept_bad_rate:.0%} of those kept"
        )


def _labels(spec: ModelSpec, rows: pa.Table, outcomes: pa.Table) -> np.ndarray:
    """1.0 bad / 0.0 good / NaN unknown per quarantined row: its delivered target, else the
    last outcome delivered for its id."""
    if spec.target.column in rows.column_names:
        flag, _ = classify_labels(label_text(rows[spec.target.column]), spec.target)
        return flag
    id_col = spec.entity_id_column
    if id_col not in rows.column_names or outcomes.num_rows == 0:
        return np.full(rows.num_rows, np.nan)
    ids = pc.utf8_trim_whitespace(pc.cast(rows[id_col], pa.string()))
    # Searching the outcomes last first finds each id's last one.
    last_first = pa.array(np.arange(outcomes.num_rows - 1, -1, -1))
    found = pc.index_in(ids, value_set=outcomes[id_col].take(last_first))
    labels = outcomes[LABEL].cast(pa.float64()).to_numpy(zero_copy_only=False)[::-1]
    flag = np.full(rows.num_rows, np.nan)
    hit = found.is_valid().to_numpy(zero_copy_only=False)
    flag[hit] = labels[found.drop_null().to_numpy()]
    return flag


def selective_losses(
    spec: ModelSpec,
    quarantined: list[pa.Table],
    outcomes: pa.Table,
    kept: tuple[int, int],
) -> list[SelectiveLoss]:
    """The reasons whose quarantined applications (``quarantined``: the window's quarantine
    tables) have a bad rate unlike the kept rows' (``kept``: labelled rows, bads), largest gap
    first; reasons in ``data_quality.accepted_reasons`` are left out."""
    rows, bads = kept
    if rows == 0 or not quarantined:
        return []
    accepted = set(spec.data_quality.accepted_reasons or ())
    counts: dict[str, list[int]] = {}
    examples: dict[str, str] = {}
    for table in quarantined:
        flag = _labels(spec, table, outcomes)
        reasons = table[REASON_COLUMN].to_numpy(zero_copy_only=False)
        labelled = ~np.isnan(flag)
        for reason in set(reasons[labelled]) - accepted:
            mine = labelled & (reasons == reason)
            total = counts.setdefault(reason, [0, 0])
            total[0] += int(mine.sum())
            total[1] += int((flag[mine] == 1).sum())
            column = reason.split(":", 1)[0]
            if reason not in examples and column in table.column_names:
                examples[reason] = table[column][int(np.flatnonzero(mine)[0])].as_py()
    kept_rate = bads / rows
    found = []
    for reason, (n, bad) in counts.items():
        if n < MIN_ROWS:
            continue
        rate = bad / n
        pooled = (bad + bads) / (n + rows)
        error = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / rows)) or 1.0
        if abs(rate - kept_rate) >= MIN_GAP and abs(rate - kept_rate) / error >= MIN_Z:
            found.append(SelectiveLoss(reason, n, rate, kept_rate, examples.get(reason)))
    return sorted(found, key=lambda s: -abs(s.bad_rate - s.kept_bad_rate))
