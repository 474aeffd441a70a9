"""One model's asset chain and jobs, built from its spec: adding a model is adding a spec file."""

import dagster as dg

from ml_platform_assets.assets.challenger import build_challenger_model
from ml_platform_assets.assets.common import asset_key
from ml_platform_assets.assets.deployment import build_deployed_model
from ml_platform_assets.assets.drift import build_drift_report
from ml_platform_assets.assets.evaluation import build_model_evaluation
from ml_platform_assets.assets.ingestion import build_applications, build_loan_outcomes
from ml_platform_assets.assets.policy import AssetPolicy
from ml_platform_assets.assets.training_set import build_training_set_asset
from ml_platform_assets.core.spec import ModelSpec

INGESTION_ASSETS = ("raw_applications", "loan_outcomes", "features")
TRAINING_ASSETS = ("training_set", "challenger_model", "model_evaluation", "deployed_model")


def ingestion_job_name(spec: ModelSpec) -> str:
    """``<model>__ingestion``: the daily ingestion job."""
    return f"{spec.name}__ingestion"


def training_job_name(spec: ModelSpec) -> str:
    """``<model>__training``: training set to deployment decision."""
    return f"{spec.name}__training"


def drift_job_name(spec: ModelSpec) -> str:
    """``<model>__drift``: one day's drift report."""
    return f"{spec.name}__drift"


def build_model_assets(
    spec: ModelSpec, policy: AssetPolicy | None = None
) -> list[dg.AssetsDefinition]:
    """raw_applications → features → training_set → … → deployed_model under ``<model>/``,
    with each model's group and owners; ``policy`` defaults to steps in process."""
    policy = policy or AssetPolicy()
    assets = [
        build_applications(spec, policy),  # raw_applications and features
        build_loan_outcomes(spec, policy),
        build_training_set_asset(spec, policy),
        build_challenger_model(spec, policy),
        build_model_evaluation(spec, policy),
        build_deployed_model(spec, policy),
        build_drift_report(spec, policy),
    ]
    # Policy every asset of the model shares, set once (as dagster-open-platform does).
    return dg.map_asset_specs(
        lambda asset: asset.replace_attributes(group_name=spec.name, owners=[spec.owner]),
        assets,
    )


def build_model_jobs(spec: ModelSpec) -> list:
    """Daily ingestion (partitioned), the training chain ending in the promotion decision, and
    a day's drift report."""
    ingestion = dg.define_asset_job(
        ingestion_job_name(spec),
        selection=[asset_key(spec, name) for name in INGESTION_ASSETS],
        description=f"Validate and featurize {spec.name}'s delivered days.",
    )
    training = dg.define_asset_job(
        training_job_name(spec),
        selection=dg.AssetSelection.assets(*[asset_key(spec, n) for n in TRAINING_ASSETS]),
        description=f"Train, evaluate and (through the gates) promote a {spec.name} model.",
    )
    drift = dg.define_asset_job(
        drift_job_name(spec),
        selection=[asset_key(spec, "drift_report")],
        description=f"Measure a day's drift of {spec.name}'s data against the champion's.",
    )
    return [ingestion, training, drift]
