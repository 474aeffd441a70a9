"""The training chain refuses data it cannot learn from: a window without both classes fails the
training_set step with the window's sentence, a model that stops at its first tree fails the
challenger_model step with its validation AUC, and neither registers a model version.

The data is the small simulated platform's; after ingestion, the stored outcomes of one window's
applications are rewritten, as a low-default product can deliver them.
"""

import datetime as dt

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ml_platform_assets.core import layout
from ml_platform_assets.core.windows import training_windows
from ml_platform_assets.orchestration.runs import LifecycleError
from tests.platforms import SmallPlatform

DAYS = 14  # as in tests/assets/test_chain.py: the cutoff is the last day, 2026-01-14
WINDOW_NAMES = {"valid": "validation", "oot": "out-of-time"}


def _relabel(p: SmallPlatform, first: dt.date, last: dt.date, bad: bool = False) -> None:
    """Rewrites every stored outcome of the applications of ``first``..``last`` as good (or
    bad)."""
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    id_col = p.spec.entity_id_column
    ids = pa.concat_arrays(
        [
            p.store.get_table(layout.features_key(p.spec.name, day), [id_col])[id_col]
            .combine_chunks()
            .cast(pa.string())
            for day in days
        ]
    )
    for day in training_windows(p.spec, p.day(DAYS - 1)).outcome_days:
        key = layout.outcomes_key(p.spec.name, day)
        outcomes = p.store.get_table(key)
        inside = pc.is_in(outcomes[id_col], value_set=ids)
        flag = pc.if_else(inside, pa.scalar(int(bad), pa.int8()), outcomes["is_bad"])
        label = pc.if_else(inside, pa.scalar(str(int(bad))), outcomes["label"])
        outcomes = outcomes.set_column(outcomes.schema.get_field_index("is_bad"), "is_bad", flag)
        outcomes = outcomes.set_column(outcomes.schema.get_field_index("label"), "label", label)
        p.store.put_table(key, outcomes)


@pytest.mark.parametrize("split", ["valid", "oot"])
def test_a_window_without_a_bad_outcome_stops_training_and_registers_nothing(
    small_platform, split
) -> None:
    p = small_platform
    p.land(DAYS)
    p.ingest(0, DAYS - 1)
    windows = training_windows(p.spec, p.day(DAYS - 1))
    first, last = windows.split_bounds[split]
    _relabel(p, first, last)

    with pytest.raises(LifecycleError) as failed:
        p.train()

    # 1,500 applications a day, every one matured by the cutoff.
    rows = 1500 * ((last - first).days + 1)
    purpose, width = {
        "valid": ("to stop early", "windows.validation_days"),
        "oot": ("to be evaluated", "windows.oot_days"),
    }[split]
    assert str(failed.value) == (
        f"training of {p.spec.name} failed at {p.spec.name}__training_set: the "
        f"{WINDOW_NAMES[split]} window {first}..{last} has {rows:,} labelled rows: 0 bad, "
        f"{rows:,} good; it needs at least 1 bad and 1 good (windows.min_bads) {purpose}: widen "
        f"{width} or deliver more days"
    )
    assert p.registry.list_versions(p.spec.name) == []
    for name in ("training_set", "challenger_model"):
        key = dg.AssetKey([p.spec.name, name])
        assert p.instance.get_latest_materialization_event(key) is None


def _twin_validation(p: SmallPlatform) -> None:
    """Gives every validation application a twin with the same features and the opposite
    outcome: each score then has one bad and one good, so every tree's validation AUC is 0.5."""
    windows = training_windows(p.spec, p.day(DAYS - 1))
    first, last = windows.split_bounds["valid"]
    id_col = p.spec.entity_id_column
    twins = []
    for i in range((last - first).days + 1):
        key = layout.features_key(p.spec.name, first + dt.timedelta(days=i))
        features = p.store.get_table(key)
        twin = features.set_column(
            features.schema.get_field_index(id_col),
            id_col,
            pc.binary_join_element_wise(features[id_col], pa.scalar("-twin"), ""),
        )
        p.store.put_table(key, pa.concat_tables([features, twin]))
        twins.append(twin[id_col].combine_chunks())
    _relabel(p, first, last, bad=True)
    key = layout.outcomes_key(p.spec.name, windows.as_of)
    known = p.store.get_table(key)
    ids = pa.concat_arrays(twins)
    rows = pa.table(
        {
            id_col: ids,
            "outcome_date": pa.array(
                [dt.datetime.combine(windows.as_of, dt.time())] * len(ids), pa.timestamp("ns")
            ),
            "is_bad": pa.array([0] * len(ids), pa.int8()),
            "label": pa.array(["0"] * len(ids)),
        }
    ).cast(known.schema)
    p.store.put_table(key, pa.concat_tables([known, rows]))


def test_a_model_that_stops_at_its_first_tree_fails_and_registers_nothing(small_platform) -> None:
    p = small_platform
    p.land(DAYS)
    p.ingest(0, DAYS - 1)
    _twin_validation(p)

    with pytest.raises(LifecycleError) as failed:
        p.train()

    assert str(failed.value) == (
        f"training of {p.spec.name} failed at {p.spec.name}__challenger_model: the model "
        "stopped at its first tree (validation AUC 0.5000): no later tree improved the "
        "validation AUC within 30 more rounds, so early stopping found nothing to learn and "
        "the model is not registered; check the validation window's labels and features, or "
        "widen windows.validation_days"
    )
    assert p.registry.list_versions(p.spec.name) == []
    key = dg.AssetKey([p.spec.name, "challenger_model"])
    assert p.instance.get_latest_materialization_event(key) is None
