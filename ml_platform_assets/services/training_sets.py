"""Building a point-in-time-correct training set from the stored days.

Features of the set's application days are joined with the outcomes known by the cutoff, split
by date into train, validation and out-of-time, checked for enough rows of both classes, and
written under their content's fingerprint.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from ml_platform_assets.core import layout
from ml_platform_assets.core.bad_labels import has_bad_outcome, no_bad_label_message
from ml_platform_assets.core.features import features_code_version
from ml_platform_assets.core.fingerprint import fingerprint
from ml_platform_assets.core.schemas import DELIVERED_LABEL, LABEL
from ml_platform_assets.core.selective_loss import selective_losses
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.training_set import (
    SPLITS,
    point_in_time_join,
    split_summary,
    training_set_code_version,
)
from ml_platform_assets.core.window_losses import (
    DayLoss,
    day_counts,
    loss_causes,
    losses_on_record,
    quarantine_stop,
    unmatched_outcomes,
)
from ml_platform_assets.core.windows import (
    ThinWindowError,
    check_windows,
    training_windows,
    window_counts,
)
from ml_platform_assets.services.errors import Refused
from ml_platform_assets.services.manifests import MANIFEST_VERSION, TrainingSetManifest
from ml_platform_assets.services.parallel import parallel_map
from resources.object_store import ObjectNotFound, ObjectStore


@dataclass
class TrainingSet:
    """A stored training set: its manifest, the splits as tables and their URIs."""

    manifest: TrainingSetManifest
    splits: dict[str, pa.Table]
    uris: dict[str, str]


def compact_days(days: list[dt.date]) -> str:
    """'2026-01-03..2026-01-05, 2026-01-09' rather than a wall of dates."""
    runs, start = [], None
    for i, day in enumerate(days):
        start = start or day
        if i + 1 == len(days) or days[i + 1] != day + dt.timedelta(days=1):
            runs.append(start.isoformat() if start == day else f"{start}..{day}")
            start = None
    return ", ".join(runs)


def _load_days(store: ObjectStore, keys: list[str]) -> pa.Table:
    tables = parallel_map(store.get_table, keys)
    # Like pd.concat: a day whose text came as another string type still stacks.
    return pa.concat_tables(tables, promote_options="permissive")


def _day_losses(
    store: ObjectStore, spec: ModelSpec, kind: str, kept: dict[dt.date, int], days: list[dt.date]
) -> list[DayLoss]:
    """Each day's rows kept and quarantined at ingestion; a day without a quarantine file lost
    nothing."""

    def one_day(day: dt.date) -> DayLoss:
        try:
            quarantined = store.get_table(layout.quarantine_key(spec.name, kind, day))
        except ObjectNotFound:
            quarantined = None
        return DayLoss(day, kind, kept.get(day, 0), quarantined)

    return parallel_map(one_day, days)


def _load_outcomes(store: ObjectStore, spec: ModelSpec, days: list[dt.date]) -> pa.Table:
    """The validated outcomes of ``days``: id, outcome_date, the flag and the label as
    delivered."""
    columns = [spec.entity_id_column, "outcome_date", LABEL, DELIVERED_LABEL]
    keys = [layout.outcomes_key(spec.name, day) for day in days]
    tables = parallel_map(lambda key: store.get_table(key, columns), keys)
    return pa.concat_tables(tables, promote_options="permissive")


def build_training_set(
    store: ObjectStore,
    spec: ModelSpec,
    have_features: set[dt.date],
    have_outcomes: set[dt.date],
    as_of: dt.date | None = None,
) -> TrainingSet:
    """The training set cut at ``as_of`` (default: the last day with both features and
    outcomes), written to ``<model>/training_sets/<fingerprint>/``.

    Args:
        have_features, have_outcomes: The days whose features and outcomes are materialized.

    Raises:
        Refused: a day the windows need is missing, no outcome is bad (a misdeclared target,
            most often), or a window is too thin to learn or judge from; the message names
            the days, or the counts and the spec field to change.
    """
    if not have_features or not have_outcomes:
        raise Refused(f"{spec.name}: materialize features and loan_outcomes first")
    as_of = as_of or min(max(have_features), max(have_outcomes))
    try:
        windows = training_windows(spec, as_of)
    except ValueError as exc:
        raise Refused(str(exc)) from exc
    missing_f = sorted(set(windows.feature_days) - have_features)
    missing_o = sorted(set(windows.outcome_days) - have_outcomes)
    if missing_f or missing_o:
        raise Refused(
            f"{spec.name}: training set as of {as_of} needs partitions that are not "
            f"materialized: features {compact_days(missing_f) or 'none'}; "
            f"loan_outcomes {compact_days(missing_o) or 'none'}"
        )
    features = _load_days(store, [layout.features_key(spec.name, d) for d in windows.feature_days])
    outcomes = _load_outcomes(store, spec, windows.outcome_days)
    losses = [
        *_day_losses(
            store,
            spec,
            "applications",
            day_counts(features, spec.event_timestamp_column),
            windows.feature_days,
        ),
        *_day_losses(
            store, spec, "outcomes", day_counts(outcomes, "outcome_date"), windows.outcome_days
        ),
    ]
    try:
        splits, dropped = point_in_time_join(features, outcomes, spec, windows)
    except ValueError as exc:
        raise Refused(str(exc)) from exc
    # Nothing is trained on a set that cannot learn: no bad label at all (most often a
    # misdeclared target), or a window without enough rows of both classes.
    if not has_bad_outcome(outcomes, as_of):
        quarantined = [d.quarantined for d in losses if d.kind == "outcomes" and d.lost]
        raise Refused(no_bad_label_message(outcomes, quarantined, spec, as_of))
    # Nothing is learnt from what a file lost: too many quarantined rows on a day, or outcomes
    # written with other ids than their applications.
    stop = quarantine_stop(spec, as_of, losses)
    if stop:
        raise Refused(stop)
    id_col = spec.entity_id_column
    unmatched = unmatched_outcomes(features[id_col], outcomes[id_col], outcomes["outcome_date"])
    if unmatched.spelled_otherwise(spec.data_quality.max_quarantine_share):
        days = compact_days(unmatched.days)
        raise Refused(
            f"{spec.name}: the training set as of {as_of} cannot be labelled: "
            f"{unmatched.sentence()}; correct the ids in the outcomes of {days} and redeliver "
            f"those days (ml-platform run {spec.name} --redeliver "
            f"{unmatched.days[0]}..{unmatched.days[-1]} --reason TEXT)"
        )
    selective = selective_losses(
        spec,
        [d.quarantined for d in losses if d.kind == "applications" and d.lost],
        outcomes,
        tuple(map(sum, zip(*(window_counts(splits[s]) for s in SPLITS), strict=True))),
    )
    if selective:
        raise Refused(
            f"{spec.name}: the training set as of {as_of} would learn without a segment: "
            f"{'; '.join(s.sentence() for s in selective)}; a model trained on the rest would "
            "never learn their risk: fix the spec or the files, or accept the reason in "
            "data_quality.accepted_reasons"
        )
    try:
        limit = spec.data_quality.max_quarantine_share
        check_windows(splits, windows, spec, *loss_causes(losses, unmatched, limit))
    except ThinWindowError as exc:
        raise Refused(str(exc)) from exc
    fp = fingerprint(splits)
    keys = {s: layout.training_set_key(spec.name, fp, s) for s in SPLITS}
    # Parquet writes release the GIL: the three splits are written side by side.
    written = parallel_map(lambda s: store.put_table(keys[s], splits[s]), SPLITS)
    stored = dict(zip(SPLITS, written, strict=True))
    manifest: TrainingSetManifest = {
        "record_version": MANIFEST_VERSION,
        "model": spec.name,
        "fingerprint": fp,
        "windows": windows.as_dict(),
        "splits": keys,
        # What the audit ledger records with a version trained on this set.
        "split_sha256": {s: stored[s].sha256 for s in SPLITS},
        "summary": split_summary(splits),
        "dropped": dropped,
        "losses": losses_on_record(spec, losses),
        "features_code_version": features_code_version(spec),
        "training_set_code_version": training_set_code_version(spec),
    }
    return TrainingSet(manifest, splits, {s: stored[s].uri for s in SPLITS})
