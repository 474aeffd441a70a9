"""The training set and the challenger model trained on it."""

import datetime as dt
import json

import dagster as dg
import pyarrow as pa
from pydantic import Field

from ml_platform_assets.assets.common import (
    MANIFEST_IO,
    asset_key,
    column_schema,
    compute,
    owners,
    parallel_map,
    preview,
    registry,
    run_actor,
)
from ml_platform_assets.core import layout
from ml_platform_assets.core.bad_labels import has_bad_outcome, no_bad_label_message
from ml_platform_assets.core.features import features_code_version
from ml_platform_assets.core.fingerprint import fingerprint
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.training import (
    NothingLearnedError,
    already_trained_message,
    code_versions,
    recorded_params,
    train_model,
    training_code_version,
    training_identity,
)
from ml_platform_assets.core.training_set import (
    DELIVERED_LABEL,
    LABEL,
    SPLITS,
    point_in_time_join,
    sample_rows,
    split_summary,
    training_set_code_version,
)
from ml_platform_assets.core.windows import (
    ThinWindowError,
    TrainingWindows,
    check_windows,
    training_windows,
)
from ml_platform_assets.registry import ModelRegistry, ModelVersion, Status
from ml_platform_assets.registry.ledger import Artifact
from resources.database import DatabaseResource
from resources.environment import code_git_commit
from resources.object_store import ObjectNotFound, ObjectStore
from resources.object_store_resource import ObjectStoreResource

# Rows of the training features kept with each version as its drift reference.
DRIFT_REFERENCE_ROWS = 50_000


class TrainingSetConfig(dg.Config):
    as_of: str | None = Field(
        default=None,
        description="Cutoff day (YYYY-MM-DD): only outcomes known by its end are used. Defaults "
        "to the latest day whose features and outcomes are both materialized.",
    )


def _compact(days: list[dt.date]) -> str:
    """'2026-01-03..2026-01-05, 2026-01-09' rather than a wall of dates."""
    runs, start = [], None
    for i, day in enumerate(days):
        start = start or day
        if i + 1 == len(days) or days[i + 1] != day + dt.timedelta(days=1):
            runs.append(start.isoformat() if start == day else f"{start}..{day}")
            start = None
    return ", ".join(runs)


def _materialized(context: dg.AssetExecutionContext, spec: ModelSpec, name: str) -> set[dt.date]:
    keys = context.instance.get_materialized_partitions(asset_key(spec, name))
    return {dt.date.fromisoformat(k) for k in keys}


def _load_days(store: ObjectStore, keys: list[str], columns: list[str] | None = None) -> pa.Table:
    tables = parallel_map(lambda key: store.get_table(key, columns), keys)
    # Like pd.concat: a day whose text came as another string type still stacks.
    return pa.concat_tables(tables, promote_options="permissive")


def _load_outcomes(store: ObjectStore, spec: ModelSpec, days: list[dt.date]) -> pa.Table:
    """The validated outcomes of ``days``: id, outcome_date, the flag and the label as
    delivered."""
    columns = [spec.entity_id_column, "outcome_date", LABEL, DELIVERED_LABEL]

    def one_day(day: dt.date) -> pa.Table:
        table = store.get_table(layout.outcomes_key(spec.name, day))
        if DELIVERED_LABEL not in table.column_names:
            # Stored before the delivered label was kept: its flag is all that is known.
            table = table.append_column(DELIVERED_LABEL, table[LABEL].cast(pa.string()))
        return table.select(columns)

    return pa.concat_tables(parallel_map(one_day, days), promote_options="permissive")


def _quarantined_outcomes(
    store: ObjectStore, spec: ModelSpec, windows: TrainingWindows
) -> list[pa.Table]:
    """The outcome rows quarantined at ingestion on the set's outcome days; a day without a
    quarantine file had none."""

    def one_day(day: dt.date) -> pa.Table | None:
        try:
            return store.get_table(layout.quarantine_key(spec.name, "outcomes", day))
        except ObjectNotFound:
            return None

    return [t for t in parallel_map(one_day, windows.outcome_days) if t is not None]


def build_training_set(spec: ModelSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=asset_key(spec, "training_set"),
        deps=[asset_key(spec, "features"), asset_key(spec, "loan_outcomes")],
        code_version=training_set_code_version(spec),
        io_manager_key=MANIFEST_IO,
        op_tags=compute("training"),
        group_name=spec.name,
        kinds={"parquet", "pyarrow"},
        owners=owners(spec),
        description=f"Point-in-time-correct training, validation and out-of-time sets of "
        f"{spec.name}, labelled only with outcomes matured by the cutoff.",
    )
    def training_set(
        context: dg.AssetExecutionContext,
        config: TrainingSetConfig,
        object_store: ObjectStoreResource,
    ) -> dg.Output[dict]:
        have_features = _materialized(context, spec, "features")
        have_outcomes = _materialized(context, spec, "loan_outcomes")
        if not have_features or not have_outcomes:
            raise dg.Failure(f"{spec.name}: materialize features and loan_outcomes first")
        as_of = (
            dt.date.fromisoformat(config.as_of)
            if config.as_of
            else min(max(have_features), max(have_outcomes))
        )
        try:
            windows = training_windows(spec, as_of)
        except ValueError as exc:
            raise dg.Failure(str(exc)) from exc
        missing_f = sorted(set(windows.feature_days) - have_features)
        missing_o = sorted(set(windows.outcome_days) - have_outcomes)
        if missing_f or missing_o:
            raise dg.Failure(
                f"{spec.name}: training set as of {as_of} needs partitions that are not "
                f"materialized: features {_compact(missing_f) or 'none'}; "
                f"loan_outcomes {_compact(missing_o) or 'none'}"
            )
        store = object_store.get_store()
        features = _load_days(
            store, [layout.features_key(spec.name, d) for d in windows.feature_days]
        )
        outcomes = _load_outcomes(store, spec, windows.outcome_days)
        try:
            splits, dropped = point_in_time_join(features, outcomes, spec, windows)
        except ValueError as exc:
            raise dg.Failure(str(exc)) from exc
        # Nothing is trained on a set that cannot learn: no bad label at all (most often a
        # misdeclared target), or a window without enough rows of both classes.
        if not has_bad_outcome(outcomes, as_of):
            quarantined = _quarantined_outcomes(store, spec, windows)
            message = no_bad_label_message(outcomes, quarantined, spec, as_of)
            raise dg.Failure(description=message, allow_retries=False)
        try:
            check_windows(splits, windows, spec)
        except ThinWindowError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
        fp = fingerprint(splits)
        # Parquet writes release the GIL: the three splits are written side by side.
        stored = parallel_map(
            lambda s: store.put_table(layout.training_set_key(spec.name, fp, s), splits[s]), SPLITS
        )
        uris = {s: obj.uri for s, obj in zip(SPLITS, stored, strict=True)}
        summary = split_summary(splits)
        manifest = {
            "model": spec.name,
            "fingerprint": fp,
            "windows": windows.as_dict(),
            "splits": {s: layout.training_set_key(spec.name, fp, s) for s in SPLITS},
            # What the audit ledger records with a version trained on this set.
            "split_sha256": {s: obj.sha256 for s, obj in zip(SPLITS, stored, strict=True)},
            "summary": summary,
            "dropped": dropped,
            "features_code_version": features_code_version(spec),
            "training_set_code_version": training_set_code_version(spec),
        }
        metadata = {f"{s}_rows": summary[s]["rows"] for s in SPLITS}
        metadata |= {f"{s}_bad_rate": summary[s]["bad_rate"] for s in SPLITS}
        metadata |= {f"{s}_uri": dg.MetadataValue.path(uris[s]) for s in SPLITS}
        metadata |= {
            "fingerprint": fp,
            "windows": dg.MetadataValue.json(windows.as_dict()),
            "rows_unlabelled": dropped["unlabelled"],
            "rows_indeterminate": dropped["indeterminate"],
            "rows_outcome_before_application": dropped["outcome_before_application"],
            "dagster/row_count": sum(summary[s]["rows"] for s in SPLITS),
            "preview": preview(splits["oot"]),
            "dagster/column_schema": column_schema(splits["train"]),
        }
        return dg.Output(manifest, metadata=metadata)

    return training_set


def _version_manifest(version: ModelVersion) -> dict:
    """challenger_model's value: the registered version downstream assets evaluate."""
    return {
        "model": version.model,
        "version": version.version,
        "artifact_key": layout.model_artifact_key(version.model, version.version, "model.txt"),
        "artifact_uri": version.artifact_uri,
        "model_sha256": version.model_sha256,
        "training_set_fingerprint": version.training_set_fingerprint,
        "features": version.features,
    }


def _already_trained(
    key: dg.AssetKey, reg: ModelRegistry, existing: ModelVersion
) -> dg.AssetObservation:
    """The record of a run that found its version registered and decided: no new version."""
    evaluation = reg.latest_evaluation(existing.model, existing.version) or {}
    failed = [g["description"] for g in evaluation.get("gates") or [] if not g["passed"]]
    message = already_trained_message(existing.version, existing.training_set_fingerprint, failed)
    return dg.AssetObservation(
        asset_key=key,
        description=f"{existing.model} {message}: nothing trained or registered",
        metadata={
            "already_trained_as": f"v{existing.version}",
            "version": existing.version,
            "status": existing.status,
            "training_set_fingerprint": existing.training_set_fingerprint,
            "model_sha256": existing.model_sha256,
            "artifact_uri": dg.MetadataValue.path(existing.artifact_uri),
            "failed_gates": dg.MetadataValue.json(failed),
            "summary": message,
        },
    )


def _awaits_judgement(reg: ModelRegistry, version: ModelVersion) -> bool:
    """Whether an identical version already registered is handed on to be judged again: one
    never decided, or one awaiting a reviewer whose gates compared it with an earlier
    champion (approving it would promote what the gates did not judge)."""
    if version.status in (Status.TRAINED, Status.EVALUATED):
        return True
    if version.status != Status.PENDING_APPROVAL:
        return False
    judged = (reg.latest_evaluation(version.model, version.version) or {}).get("champion_version")
    champion = reg.champion(version.model)
    return (champion.version if champion else None) != judged


def build_challenger_model(spec: ModelSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=asset_key(spec, "challenger_model"),
        ins={"training_set": dg.AssetIn(asset_key(spec, "training_set"))},
        code_version=training_code_version(spec),
        io_manager_key=MANIFEST_IO,
        op_tags=compute("training"),
        # No new challenger when this one is already registered: evaluation and deployment
        # are then skipped.
        output_required=False,
        group_name=spec.name,
        kinds={"lightgbm"},
        owners=owners(spec),
        description=f"A new {spec.name} LightGBM version trained on the training set, stored as "
        "LightGBM text with its sha256 and registered in the model registry.",
    )
    def challenger_model(
        context: dg.AssetExecutionContext,
        training_set: dict,
        object_store: ObjectStoreResource,
        database: DatabaseResource,
    ):
        """Trains and registers a version, unless the registry already holds an identical one.

        Identical means the same training-set fingerprint, code versions of every stage, LightGBM
        parameters and spec. When that version has been evaluated and decided, nothing is
        trained and no value is produced, so Dagster skips model_evaluation and deployed_model
        and the run still succeeds. What happened is an ``AssetObservation`` of this asset
        (``already_trained_as: vN``): a materialization would claim a new challenger exists and
        put a second one beside the real one in the asset's lineage, while an observation
        records the check without changing what the latest challenger is. A version registered
        by a run that stopped before its deployment decision is handed on again, untrained, so
        that it is evaluated and decided rather than left waiting.
        """
        store, reg = object_store.get_store(), registry(database)
        code_version = code_versions(
            training_set["features_code_version"],
            # Manifests written before training sets had a code version of their own.
            training_set.get("training_set_code_version", "training_set-unknown"),
            training_code_version(spec),
        )
        spec_json = spec.model_dump(mode="json")
        existing = reg.find_identical(
            spec.name,
            training_set_fingerprint=training_set["fingerprint"],
            code_version=code_version,
            params=recorded_params(spec),
            spec=spec_json,
            spec_key=training_identity,
        )
        if existing is not None and not _awaits_judgement(reg, existing):
            observation = _already_trained(context.asset_key, reg, existing)
            context.log.info(observation.description)
            yield observation
            return
        if existing is not None:
            context.log.info(
                f"{spec.name} v{existing.version} is already trained on this data but was never "
                "decided: evaluating it again, without retraining"
            )
            yield dg.Output(
                _version_manifest(existing),
                metadata={
                    "version": existing.version,
                    "artifact_uri": dg.MetadataValue.path(existing.artifact_uri),
                    "model_sha256": existing.model_sha256,
                    "training_set_fingerprint": existing.training_set_fingerprint,
                    "resumed": True,
                },
            )
            return
        train = store.get_table(training_set["splits"]["train"])
        valid = store.get_table(training_set["splits"]["valid"])
        try:
            trained = train_model(train, valid, spec)
        except NothingLearnedError as exc:
            # Registering a one-tree model would hand the gates a champion that learnt nothing.
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
        reference = sample_rows(train, DRIFT_REFERENCE_ROWS)
        card = {
            "model": spec.name,
            "features": trained.features,
            "params": trained.params,
            "best_iteration": trained.best_iteration,
            "training_set_fingerprint": training_set["fingerprint"],
            "windows": training_set["windows"],
            "split_summary": training_set["summary"],
            "model_sha256": trained.sha256,
            "spec": spec_json,
        }

        def publish(version: int) -> tuple[str, list[Artifact]]:
            # Runs inside the registration transaction: a failed upload registers nothing.
            key = layout.model_artifact_key
            written = [
                store.put_bytes(key(spec.name, version, "model.txt"), trained.text.encode()),
                store.put_json(key(spec.name, version, "card.json"), {**card, "version": version}),
                store.put_table(key(spec.name, version, "reference.parquet"), reference),
            ]
            artifacts = [Artifact(o.key, o.uri, o.sha256) for o in written]
            # The data it learned from and is judged on (manifests made before this lack it).
            for split, sha in training_set.get("split_sha256", {}).items():
                key_ = training_set["splits"][split]
                artifacts.append(Artifact(key_, store.uri(key_), sha))
            return written[0].uri, artifacts

        version = reg.register_version(
            spec.name,
            publish=publish,
            trained_by=run_actor(context),
            model_sha256=trained.sha256,
            training_set_fingerprint=training_set["fingerprint"],
            code_version=code_version,
            git_commit=code_git_commit(),
            params=trained.params,
            windows=training_set["windows"],
            features=trained.features,
            spec=spec_json,
        )
        yield dg.Output(
            _version_manifest(version),
            metadata={
                "version": version.version,
                "artifact_uri": dg.MetadataValue.path(version.artifact_uri),
                "model_sha256": trained.sha256,
                "training_set_fingerprint": training_set["fingerprint"],
                "best_iteration": trained.best_iteration,
                "params": dg.MetadataValue.json(json.loads(json.dumps(trained.params))),
            },
        )

    return challenger_model
