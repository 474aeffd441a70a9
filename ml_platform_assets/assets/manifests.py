"""Hands small JSON records (never pickles) from one unpartitioned asset to the next, each a
Dagster type that checks its fields at the step boundary."""

import dagster as dg

from ml_platform_assets.core import layout
from ml_platform_assets.services.manifests import (
    MANIFEST_VERSION,
    ChallengerManifest,
    DeploymentManifest,
    EvaluationManifest,
    TrainingSetManifest,
)
from resources.object_store import ObjectNotFound
from resources.object_store_resource import ObjectStoreResource


def _manifest_type(typed: type) -> dg.DagsterType:
    """A Dagster type for a manifest ``TypedDict``: a dict with every required field."""
    required = typed.__required_keys__

    def check(_context, value) -> dg.TypeCheck:
        if not isinstance(value, dict):
            return dg.TypeCheck(False, description=f"{type(value).__name__} is not a manifest")
        missing = sorted(required - value.keys())
        if missing:
            return dg.TypeCheck(False, description=f"missing {', '.join(missing)}")
        return dg.TypeCheck(True)

    return dg.DagsterType(type_check_fn=check, name=typed.__name__, description=typed.__doc__)


# Assets annotate their inputs and outputs with the manifests' own types.
for _typed in (TrainingSetManifest, ChallengerManifest, EvaluationManifest, DeploymentManifest):
    dg.make_python_type_usable_as_dagster_type(_typed, _manifest_type(_typed))


class ManifestIOManager(dg.ConfigurableIOManager):
    """Stores each output as ``<model>/manifests/<asset>.json`` in the object store.

    The bulky artifacts (training sets, models, reports) are written by the assets themselves;
    the manifest only says where they are and what they contain
    (``services.manifests``).
    """

    object_store: dg.ResourceDependency[ObjectStoreResource]

    def handle_output(self, context: dg.OutputContext, obj: dict) -> None:
        """Publishes the manifest ``obj`` of the output's asset."""
        key = layout.manifest_key(list(context.asset_key.path))
        self.object_store.get_store().put_json(key, obj)

    def load_input(self, context: dg.InputContext) -> dict:
        """The upstream asset's manifest.

        Raises:
            dagster.Failure: it was never materialized, or by code whose manifests have
                another ``record_version``.
        """
        path = "/".join(context.asset_key.path)
        try:
            manifest = self.object_store.get_store().get_json(
                layout.manifest_key(list(context.asset_key.path))
            )
        except ObjectNotFound as exc:
            raise dg.Failure(f"{path} has not been materialized yet; materialize it first") from exc
        if manifest.get("record_version") != MANIFEST_VERSION:
            raise dg.Failure(
                f"{path} was materialized by a release whose records this one does not read; "
                "materialize it again",
                allow_retries=False,
            )
        return manifest
