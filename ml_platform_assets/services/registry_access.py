"""The model registry on a database URL, its schema migrated once per process."""

import threading

from ml_platform_assets.registry import ModelRegistry
from resources.database import get_engine
from resources.migration import migrate

_migrated: set[str] = set()
_lock = threading.Lock()


def open_registry(url: str) -> ModelRegistry:
    """The registry on ``url``, migrating its schema the first time this process opens it.

    Raises:
        resources.database.DatabaseError: the URL is malformed or the server unreachable.
    """
    engine = get_engine(url)
    with _lock:
        if url not in _migrated:
            migrate(engine)
            _migrated.add(url)
    return ModelRegistry(engine)
