"""Hands small JSON records (never pickles) from one unpartitioned asset to the next."""

import dagster as dg

from ml_platform_assets.core import layout
from resources.object_store import ObjectNotFound
from resources.object_store_resource import ObjectStoreResource


class ManifestIOManager(dg.ConfigurableIOManager):
    """Stores each output as ``<model>/manifests/<asset>.json`` in the object store.

    The bulky artifacts (training sets, models, reports) are written by the assets themselves;
    the manifest only says where they are and what they contain.
    """

    object_store: dg.ResourceDependency[ObjectStoreResource]

    def handle_output(self, context: dg.OutputContext, obj: dict) -> None:
        key = layout.manifest_key(list(context.asset_key.path))
        self.object_store.get_store().put_json(key, obj)

    def load_input(self, context: dg.InputContext) -> dict:
        path = list(context.asset_key.path)
        try:
            return self.object_store.get_store().get_json(layout.manifest_key(path))
        except ObjectNotFound as exc:
            raise dg.Failure(
                f"{'/'.join(path)} has not been materialized yet; materialize it first"
            ) from exc
