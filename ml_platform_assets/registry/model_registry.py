"""``ModelRegistry``: the registry's parts composed over one database engine.

Plain Python over SQLAlchemy Core, usable from assets, the CLI and the model server alike.
"""

from __future__ import annotations

from ml_platform_assets.registry.evaluations import RegistryEvaluations
from ml_platform_assets.registry.histories import RegistryHistories
from ml_platform_assets.registry.promotion import RegistryPromotion
from ml_platform_assets.registry.versions import RegistryVersions


class ModelRegistry(RegistryVersions, RegistryEvaluations, RegistryPromotion, RegistryHistories):
    """Model versions, evaluations and the champion alias on one database engine.

    Args:
        engine: The registry database, its schema already migrated.
    """
