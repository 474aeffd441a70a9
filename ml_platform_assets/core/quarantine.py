"""The quarantine: one reason per rejected row, kept apart from the valid rows and counted.

A file's validation separates bad rows into a quarantine table, each with the first reason that
rejected it, so one bad row never blocks a day's good ones; rows kept or dropped on purpose are
counted in notes instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.values import flags

REASON_COLUMN = "quarantine_reason"


@dataclass
class Validation:
    """One file's validated rows, its quarantined rows (each with a reason), and notes: rows
    kept or dropped on purpose (duplicates, unknown levels kept as missing, excluded labels),
    counted per sentence."""

    valid: pa.Table
    quarantined: pa.Table
    notes: dict[str, int] = field(default_factory=dict)


class RowReasons:
    """The first reason per row, kept as codes: assigning strings row by row is slow."""

    def __init__(self, rows: int) -> None:
        self.codes = np.zeros(rows, dtype=np.int32)
        self.labels = [""]

    def add(self, mask: pa.ChunkedArray | pa.Array | np.ndarray, reason: str) -> None:
        """Flag rows with ``reason`` unless an earlier, first-to-fix reason already holds."""
        if not isinstance(mask, np.ndarray):
            mask = flags(mask)
        if mask.any():
            self.labels.append(reason)
            self.codes[mask & (self.codes == 0)] = len(self.labels) - 1

    @property
    def bad(self) -> np.ndarray:
        """Mask of the rows with a reason."""
        return self.codes > 0

    def quarantine(self, table: pa.Table) -> pa.Table:
        """The rejected rows as delivered (as text), each with its reason."""
        bad = self.bad
        names = [*table.column_names, REASON_COLUMN]
        if not bad.any():
            return pa.schema([(name, pa.string()) for name in names]).empty_table()
        rows = table.filter(pa.array(bad))
        reasons = np.asarray(self.labels, dtype=object)[self.codes[bad]]
        text = [_as_delivered_text(rows[c]) for c in rows.column_names]
        return pa.table([*text, pa.array(reasons, type=pa.string())], names=names)


def _as_delivered_text(values: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    try:
        return pc.cast(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # nested or odd types
        return pa.array([None if v is None else str(v) for v in values.to_pylist()], pa.string())


def count_note(notes: dict[str, int], sentence: str, count) -> None:
    """Add ``count`` rows to the note ``sentence``; a note of no rows is left out."""
    if count:
        notes[sentence] = notes.get(sentence, 0) + int(count)


def validation_result(
    valid: pa.Table, delivered: pa.Table, reasons: RowReasons, copies: np.ndarray, notes: dict
) -> Validation:
    """Valid rows without the quarantined ones and the dropped copies."""
    reasons.codes[copies] = 0  # a dropped copy is neither kept nor quarantined
    bad = reasons.bad
    drop = bad | copies
    kept = valid.filter(pa.array(~drop)) if drop.any() else valid
    return Validation(kept, reasons.quarantine(delivered), notes)


def reason_counts(quarantined: pa.Table) -> dict[str, int]:
    """Quarantined rows per reason, largest first."""
    if quarantined.num_rows == 0:
        return {}
    counts = pc.value_counts(quarantined[REASON_COLUMN]).to_pylist()
    ordered = sorted(counts, key=lambda c: (-c["counts"], c["values"]))
    return {str(c["values"]): int(c["counts"]) for c in ordered}
