"""Lenders' deliveries whose labels cannot train a model, end to end through ``land_files``,
ingestion and the training job: each stops with one sentence before anything is registered,
and indeterminate labels are excluded and counted.

The files are the delivery cases' (``tests/deliveries/lender_files``: 100 invented applications
a day over 34 days, the target inside the application files, outcomes known 3 days later): with
the cutoff 2026-02-03 the windows are training 01-05..01-19, validation 01-20..01-24 and
out-of-time 01-25..01-31.
"""

import datetime as dt
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from ml_platform_assets.core import layout
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.orchestration.runs import LifecycleError
from ml_platform_assets.services.file_delivery import land_files
from tests.deliveries import lender_files as L
from tests.platforms import SmallPlatform


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


START = L.START
DAYS = L.days()


def _applications(day: dt.date, n: int, bad_boost: float = 0.0) -> pd.DataFrame:
    return L.make_day(day, n, bad_boost=bad_boost)


def _spec(name: str, folder: Path, **target) -> ModelSpec:
    spec = L.base_spec(name, folder / "apps_{date}.csv")
    spec["target"] |= target
    spec["lightgbm"]["min_data_in_leaf"] = 10
    return ModelSpec.model_validate(spec)


def _deliver(
    spec: ModelSpec, resources: dict, instance, frames: dict[dt.date, pd.DataFrame], folder: Path
) -> SmallPlatform:
    """Writes the day files, lands and ingests them; returns the platform to train on."""
    for day, frame in frames.items():
        frame.to_csv(folder / f"apps_{day}.csv", index=False)
    platform = SmallPlatform(spec, resources, instance)
    land_files(platform.store, spec, DAYS[0], DAYS[-1])
    platform.ingest(0, len(DAYS) - 1)
    return platform


@pytest.mark.parametrize(
    ("case", "first", "last", "sentence"),
    [
        ("no_bad_valid", "2026-01-20", "2026-01-24", "the validation window 2026-01-20..2026-01-24 "
         "has 500 labelled rows: 0 bad, 500 good; it needs at least 1 bad and 1 good "
         "(windows.min_bads) to stop early: widen windows.validation_days or deliver more days"),
        ("no_bad_oot", "2026-01-25", "2026-01-31", "the out-of-time window 2026-01-25..2026-01-31 "
         "has 700 labelled rows: 0 bad, 700 good; it needs at least 1 bad and 1 good "
         "(windows.min_bads) to be evaluated: widen windows.oot_days or deliver more days"),
    ],
    ids=["A-validation", "B-out-of-time"],
)  # fmt: skip
def test_a_low_default_window_without_a_bad_outcome_stops_with_its_counts(
    platform_resources, instance, tmp_path, case, first, last, sentence
) -> None:
    spec = _spec(case, tmp_path)
    frames = {day: _applications(day, 100, bad_boost=-3.0) for day in DAYS}  # ~1-2 % bad
    for day, frame in frames.items():
        if dt.date.fromisoformat(first) <= day <= dt.date.fromisoformat(last):
            frame["is_bad"] = 0
    platform = _deliver(spec, platform_resources, instance, frames, tmp_path)

    with pytest.raises(LifecycleError) as failed:
        platform.train()

    assert str(failed.value) == f"training of {case} failed at {case}__training_set: {sentence}"
    assert platform.registry.list_versions(case) == []


def test_a_bad_label_declared_otherwise_than_delivered_stops_naming_the_labels_seen(
    platform_resources, instance, tmp_path
) -> None:
    spec = _spec("bad_good", tmp_path, bad_value="bad", good_value="Good")
    frames = {day: _applications(day, 100) for day in DAYS}
    for frame in frames.values():
        frame["is_bad"] = frame["is_bad"].map({1: "Bad", 0: "Good"})
    platform = _deliver(spec, platform_resources, instance, frames, tmp_path)
    # The outcomes known by the cutoff: those of the applications of 01-02..01-31.
    known = pd.concat([frames[d] for d in DAYS[1:31]])["is_bad"].value_counts()

    with pytest.raises(LifecycleError) as failed:
        platform.train()

    assert str(failed.value) == (
        "training of bad_good failed at bad_good__training_set: no outcome known by 2026-02-03 "
        f"is labelled bad: column is_bad, bad_value 'bad' declared; labels seen: 'Good' "
        f"{known['Good']:,}, 'Bad' {known['Bad']:,} (quarantined as neither bad nor good) — "
        "declare the labels exactly as the files write them"
    )
    assert platform.registry.list_versions("bad_good") == []


def test_indeterminate_and_blank_labels_are_excluded_and_counted(
    platform_resources, instance, tmp_path
) -> None:
    spec = _spec(
        "indeterminate", tmp_path, bad_value="B", good_value="G", indeterminate_values=["I"]
    )
    frames = {}
    for day in DAYS:
        frame = _applications(day, 100)
        u = np.random.default_rng(day.toordinal() + 7).random(len(frame))
        label = frame["is_bad"].map({1: "B", 0: "G"}).astype(object)
        label[u < 0.10] = "I"
        label[(u >= 0.10) & (u < 0.12)] = ""
        frames[day] = frame.assign(is_bad=label)
    platform = _deliver(spec, platform_resources, instance, frames, tmp_path)

    outcome = platform.train()
    assert outcome.evaluation is not None  # trained and judged on the labelled rows alone

    # Every application of the windows (01-05..01-31) has matured by the cutoff.
    windowed = pd.concat([frames[d] for d in DAYS[4:31]])
    excluded = windowed[windowed["is_bad"].isin(["I", ""])]
    event = platform.instance.get_latest_materialization_event(
        dg.AssetKey(["indeterminate", "training_set"])
    )
    metadata = event.asset_materialization.metadata
    assert metadata["rows_indeterminate"].value == len(excluded) > 0
    assert metadata["rows_unlabelled"].value == 0
    rows = sum(metadata[f"{s}_rows"].value for s in ("train", "valid", "oot"))
    assert rows == len(windowed) - len(excluded)
    manifest = platform.store.get_json(layout.manifest_key(["indeterminate", "training_set"]))
    splits = manifest["splits"]
    kept = pd.concat(platform.store.get_parquet(key) for key in splits.values())
    assert not set(kept["app_id"]) & set(excluded["app_id"])
