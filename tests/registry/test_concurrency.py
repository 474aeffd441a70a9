"""Concurrent writers in separate processes (spawned) on SQLite and MariaDB: promotions,
version registration and migrations must serialize into one consistent result.
"""

import importlib
import multiprocessing
import multiprocessing.pool
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ml_platform_assets.registry import Status
from ml_platform_assets.registry.audit import verify_ledger
from resources.database import get_engine
from resources.migration import migrate
from resources.schema import VERSION_TABLE
from tests.registry_versions import register_passed

PROMOTIONS_PER_PROCESS = 25


@pytest.fixture
def pool(workers) -> Iterator[tuple[multiprocessing.pool.Pool, Any]]:
    """Two spawned worker processes and a barrier that releases them together.

    Depends on ``workers`` so that the children start with its folder on sys.path.
    """
    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager, spawn.Pool(2) as workers_pool:
        yield workers_pool, manager.Barrier(2, timeout=60)


@pytest.fixture
def workers(monkeypatch):
    # Spawned children inherit sys.path: with the repository on it they import the workers
    # module, and the tests' helpers it uses, by the names the tests give them.
    monkeypatch.syspath_prepend(str(Path(__file__).parents[2]))
    return importlib.import_module("tests.registry.concurrency_workers")


def test_concurrent_promotions_leave_one_champion_and_one_chain(
    registry, database_url, workers, pool
):
    first, second = register_passed(registry, "m"), register_passed(registry, "m")
    processes, start = pool
    jobs = [(database_url, "m", v, PROMOTIONS_PER_PROCESS, start) for v in (first, second)]

    moved = processes.starmap(workers.promote_many, jobs)

    history = registry.alias_history("m")
    assert min(moved) >= 1 and len(history) == sum(moved)
    assert history[0].from_version is None
    for previous, event in zip(history, history[1:], strict=False):
        assert event.from_version == previous.to_version != event.to_version
    # Every move has its ledger record, and racing writers never forked the chain.
    promoted = [r for r in registry.audit_history("m") if r.event_type == "promoted"]
    assert [r.payload["registry_row"]["id"] for r in promoted] == [e.id for e in history]
    (check,) = verify_ledger(registry.engine, None, "m")
    assert check.problems == []
    champion = registry.champion("m")
    assert champion.version == history[-1].to_version
    (other,) = {first, second} - {champion.version}
    statuses = {v.version: v.status for v in registry.list_versions("m")}
    assert statuses == {champion.version: Status.CHAMPION, other: Status.RETIRED}


def test_concurrent_registrations_get_consecutive_versions(registry, database_url, workers, pool):
    processes, start = pool
    numbers = processes.starmap(workers.register_many, [(database_url, "m", 10, start)] * 2)

    assert sorted(numbers[0] + numbers[1]) == list(range(1, 21))
    assert [v.version for v in registry.list_versions("m")] == list(range(1, 21))


def test_concurrent_migrations_apply_once(database_url, workers, pool):
    processes, start = pool
    processes.starmap(workers.migrate_url, [(database_url, start)] * 2)

    migrate(get_engine(database_url))
    with get_engine(database_url).connect() as conn:
        assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {VERSION_TABLE}")).scalar() == 1
