"""The model registry: versions with provenance, evaluations, and the champion alias."""

from ml_platform_assets.registry.audit import verify_ledger
from ml_platform_assets.registry.chain import ChainCheck, Problem
from ml_platform_assets.registry.ledger_records import Artifact, LedgerEvent, LedgerRecord
from ml_platform_assets.registry.model_registry import ModelRegistry
from ml_platform_assets.registry.promotion_rules import Override
from ml_platform_assets.registry.records import (
    CHAMPION,
    AliasEvent,
    ModelVersion,
    RegistryError,
    Status,
    VersionNotFoundError,
)

__all__ = [
    "CHAMPION",
    "AliasEvent",
    "Artifact",
    "ChainCheck",
    "LedgerEvent",
    "LedgerRecord",
    "ModelRegistry",
    "ModelVersion",
    "Override",
    "Problem",
    "RegistryError",
    "Status",
    "VersionNotFoundError",
    "verify_ledger",
]
