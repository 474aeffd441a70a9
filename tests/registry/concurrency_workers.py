"""Work run in spawned processes by test_concurrency.py.

A separate module because spawned children import their target by module name: the test puts the
repository on sys.path and imports this one as ``tests.registry.concurrency_workers``, a name the
children can import too, which pytest's importlib mode does not give test modules.
"""

import random
import time
from typing import Any

from ml_platform_assets.registry import ModelRegistry
from resources.database import get_engine
from resources.migration import migrate
from tests.registry_versions import register


def migrate_url(url: str, start: Any) -> None:
    start.wait()
    migrate(get_engine(url))


def promote_many(url: str, model: str, version: int, times: int, start: Any) -> int:
    """Promotes ``version`` ``times`` times once every worker passed the ``start`` barrier.

    Returns how many of the calls moved the champion (the others found it already there).
    """
    registry = ModelRegistry(get_engine(url))
    registry.champion(model)  # connect before the barrier, so the workers really overlap
    start.wait()
    moved = 0
    for attempt in range(times):
        event = registry.promote(model, version, reason=f"attempt {attempt}", actor=f"v{version}")
        moved += event.reason == f"attempt {attempt}" and event.actor == f"v{version}"
        # A pause like real work between deployments: without one, SQLite's busy handler lets
        # whichever process holds the lock take it again and again, and the runs hardly overlap.
        time.sleep(random.uniform(0, 0.01))
    return moved


def register_many(url: str, model: str, times: int, start: Any) -> list[int]:
    """Registers ``times`` versions of ``model`` and returns the numbers they got."""
    registry = ModelRegistry(get_engine(url))
    registry.list_models()
    start.wait()
    return [
        register(registry, model, artifact_uri=f"file:///models/{model}/{i}.txt")
        for i in range(times)
    ]
