"""The asset graph: Dagster definitions that read inputs, call ``services`` and describe what
they made."""

# Registers the manifests' Dagster types before any asset annotated with them is built.
from ml_platform_assets.assets import manifests as _manifests  # noqa: F401
