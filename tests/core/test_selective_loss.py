"""Quarantined applications that are a segment, not a random loss (core/selective_loss.py):
their bad rate, from the target they were delivered with or the outcomes of their ids, beside
the kept rows'; chance over few rows never counts, and an accepted reason is left out."""

import pyarrow as pa
import pytest

from ml_platform_assets.core.quarantine import REASON_COLUMN
from ml_platform_assets.core.selective_loss import selective_losses
from ml_platform_assets.core.spec import load_specs

SPEC = load_specs()["credit_default"]
NO_HIT = "bureau_score: not a number"


def _quarantined(n: int, bads: int, reason: str = NO_HIT, with_target: bool = True) -> pa.Table:
    columns = {
        "application_id": [f"Q{i}" for i in range(n)],
        "bureau_score": ["NO HIT"] * n,
        REASON_COLUMN: [reason] * n,
    }
    if with_target:
        columns["is_bad"] = ["1"] * bads + ["0"] * (n - bads)
    return pa.table(columns)


def _selective(tables, outcomes=None, kept=(1000, 280), spec=SPEC):
    empty = pa.table(
        {"application_id": pa.array([], pa.string()), "is_bad": pa.array([], pa.int8())}
    )
    return selective_losses(spec, tables, outcomes if outcomes is not None else empty, kept)


def test_a_segment_with_its_own_bad_rate_is_selective() -> None:
    [loss] = _selective([_quarantined(40, 20), _quarantined(59, 30)])
    assert (loss.reason, loss.rows, loss.example) == (NO_HIT, 99, "NO HIT")
    assert loss.sentence() == (
        "'bureau_score: not a number' removed 99 labelled applications (e.g. 'NO HIT') with a "
        "bad rate of 51% against 28% of those kept"
    )


@pytest.mark.parametrize(
    ("n", "bads"),
    [
        (100, 28),  # the kept rows' own rate: a random loss
        (10, 10),  # too few rows to judge
        (100, 33),  # a gap under ten points
    ],
)
def test_a_random_or_small_loss_is_not_selective(n, bads) -> None:
    assert _selective([_quarantined(n, bads)]) == []


def test_labels_come_from_the_outcomes_when_the_files_carry_no_target() -> None:
    table = _quarantined(50, 0, with_target=False)
    ids = [f"Q{i}" for i in range(50)]
    # Each id's last outcome counts: first good, then bad.
    outcomes = pa.table({
        "application_id": ids + ids,
        "is_bad": pa.array([0] * 50 + [1] * 50, pa.int8()),
    })  # fmt: skip
    [loss] = _selective([table], outcomes)
    assert loss.bad_rate == 1.0 and loss.rows == 50
    assert _selective([table]) == []  # no outcome known: nothing to judge


def test_an_accepted_reason_is_left_out() -> None:
    quality = SPEC.data_quality.model_copy(update={"accepted_reasons": [NO_HIT]})
    spec = SPEC.model_copy(update={"data_quality": quality})
    assert _selective([_quarantined(99, 50)], spec=spec) == []
    assert _selective([_quarantined(99, 50, reason="channel: unknown value")], spec=spec)
