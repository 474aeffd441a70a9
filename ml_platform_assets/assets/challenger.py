"""The challenger model: a new LightGBM version trained on the training set and registered."""

import json

import dagster as dg

from ml_platform_assets.assets.common import (
    MANIFEST_IO,
    asset_key,
    refusals_as_failures,
    registry,
    run_actor,
)
from ml_platform_assets.assets.policy import AssetPolicy
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.training import training_code_version
from ml_platform_assets.services.challengers import Challenger, register_challenger
from ml_platform_assets.services.manifests import TrainingSetManifest
from resources.database_resource import DatabaseResource
from resources.object_store_resource import ObjectStoreResource


def _already_trained(key: dg.AssetKey, found: Challenger) -> dg.AssetObservation:
    """The record of a run that found its version registered and decided: no new version."""
    existing = found.version
    return dg.AssetObservation(
        asset_key=key,
        description=f"{existing.model} {found.already_trained}: nothing trained or registered",
        metadata={
            "already_trained_as": f"v{existing.version}",
            "version": existing.version,
            "status": existing.status,
            "training_set_fingerprint": existing.training_set_fingerprint,
            "model_sha256": existing.model_sha256,
            "artifact_uri": dg.MetadataValue.path(existing.artifact_uri),
            "failed_gates": dg.MetadataValue.json(found.failed_gates),
            "summary": found.already_trained,
        },
    )


def _metadata(found: Challenger) -> dict:
    version = found.version
    metadata = {
        "version": version.version,
        "artifact_uri": dg.MetadataValue.path(version.artifact_uri),
        "model_sha256": version.model_sha256,
        "training_set_fingerprint": version.training_set_fingerprint,
    }
    if found.trained is None:
        return metadata | {"resumed": True}
    params = json.loads(json.dumps(found.trained.params))
    return metadata | {
        "best_iteration": found.trained.best_iteration,
        "params": dg.MetadataValue.json(params),
    }


def build_challenger_model(spec: ModelSpec, policy: AssetPolicy) -> dg.AssetsDefinition:
    """``challenger_model`` of ``spec``.

    When the registry already holds an identical version that was decided, nothing is trained
    and no value is produced, so Dagster skips model_evaluation and deployed_model and the run
    still succeeds. What happened is an ``AssetObservation`` (``already_trained_as: vN``): a
    materialization would claim a new challenger exists, while an observation records the
    check without changing what the latest challenger is.
    """

    @dg.asset(
        key=asset_key(spec, "challenger_model"),
        ins={"training_set": dg.AssetIn(asset_key(spec, "training_set"))},
        code_version=training_code_version(spec),
        io_manager_key=MANIFEST_IO,
        op_tags=policy.op_tags("training"),
        output_required=False,
        kinds={"lightgbm"},
        description=f"A new {spec.name} LightGBM version trained on the training set, stored as "
        "LightGBM text with its sha256 and registered in the model registry.",
    )
    def challenger_model(
        context: dg.AssetExecutionContext,
        training_set: TrainingSetManifest,
        object_store: ObjectStoreResource,
        database: DatabaseResource,
    ):
        with refusals_as_failures():
            found = register_challenger(
                object_store.get_store(),
                registry(database),
                spec,
                training_set,
                trainer=run_actor(context),
            )
        if found.manifest is None:
            observation = _already_trained(context.asset_key, found)
            context.log.info(observation.description)
            yield observation
            return
        if found.resumed:
            context.log.info(
                f"{spec.name} v{found.version.version} is already trained on this data but was "
                "never decided: evaluating it again, without retraining"
            )
        yield dg.Output(found.manifest, metadata=_metadata(found))

    return challenger_model
