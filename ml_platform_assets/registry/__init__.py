"""The model registry: versions with provenance, evaluations, and the champion alias."""

from ml_platform_assets.registry.records import (
    CHAMPION,
    AliasEvent,
    ModelVersion,
    RegistryError,
    Status,
    VersionNotFoundError,
)
from ml_platform_assets.registry.versions import ModelRegistry

__all__ = [
    "CHAMPION",
    "AliasEvent",
    "ModelRegistry",
    "ModelVersion",
    "RegistryError",
    "Status",
    "VersionNotFoundError",
]
