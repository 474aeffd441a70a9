"""The training set: a point-in-time-correct join of features with matured outcomes."""

import datetime as dt

import dagster as dg
from pydantic import Field

from ml_platform_assets.assets.common import (
    MANIFEST_IO,
    asset_key,
    column_schema,
    preview,
    refusals_as_failures,
)
from ml_platform_assets.assets.policy import AssetPolicy
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.training_set import SPLITS, training_set_code_version
from ml_platform_assets.services.manifests import TrainingSetManifest
from ml_platform_assets.services.training_sets import build_training_set
from resources.object_store_resource import ObjectStoreResource


class TrainingSetConfig(dg.Config):
    """The cutoff of the training set a run builds."""

    as_of: str | None = Field(
        default=None,
        description="Cutoff day (YYYY-MM-DD): only outcomes known by its end are used. Defaults "
        "to the latest day whose features and outcomes are both materialized.",
    )


def _materialized(context: dg.AssetExecutionContext, spec: ModelSpec, name: str) -> set[dt.date]:
    keys = context.instance.get_materialized_partitions(asset_key(spec, name))
    return {dt.date.fromisoformat(k) for k in keys}


def build_training_set_asset(spec: ModelSpec, policy: AssetPolicy) -> dg.AssetsDefinition:
    """``training_set`` of ``spec``: its manifest goes to ``challenger_model``."""

    @dg.asset(
        key=asset_key(spec, "training_set"),
        deps=[asset_key(spec, "features"), asset_key(spec, "loan_outcomes")],
        code_version=training_set_code_version(spec),
        io_manager_key=MANIFEST_IO,
        op_tags=policy.op_tags("training"),
        kinds={"parquet", "pyarrow"},
        description=f"Point-in-time-correct training, validation and out-of-time sets of "
        f"{spec.name}, labelled only with outcomes matured by the cutoff.",
    )
    def training_set(
        context: dg.AssetExecutionContext,
        config: TrainingSetConfig,
        object_store: ObjectStoreResource,
    ) -> dg.Output[TrainingSetManifest]:
        as_of = dt.date.fromisoformat(config.as_of) if config.as_of else None
        with refusals_as_failures():
            built = build_training_set(
                object_store.get_store(),
                spec,
                _materialized(context, spec, "features"),
                _materialized(context, spec, "loan_outcomes"),
                as_of,
            )
        manifest, summary = built.manifest, built.manifest["summary"]
        dropped = manifest["dropped"]
        metadata = {f"{s}_rows": summary[s]["rows"] for s in SPLITS}
        metadata |= {f"{s}_bad_rate": summary[s]["bad_rate"] for s in SPLITS}
        metadata |= {f"{s}_uri": dg.MetadataValue.path(built.uris[s]) for s in SPLITS}
        metadata |= {
            "fingerprint": manifest["fingerprint"],
            "windows": dg.MetadataValue.json(manifest["windows"]),
            "rows_unlabelled": dropped["unlabelled"],
            "rows_indeterminate": dropped["indeterminate"],
            "rows_outcome_before_application": dropped["outcome_before_application"],
            "rows_quarantined_upstream": sum(manifest["losses"]["quarantined"].values()),
            "losses": dg.MetadataValue.json(manifest["losses"]),
            "dagster/row_count": sum(summary[s]["rows"] for s in SPLITS),
            "preview": preview(built.splits["oot"]),
            "dagster/column_schema": column_schema(built.splits["train"]),
        }
        return dg.Output(manifest, metadata=metadata)

    return training_set
