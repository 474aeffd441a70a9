"""The engine every part of the registry works on, and its retried write transaction."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from resources.database import transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")
_ATTEMPTS = 8
_MYSQL_RETRYABLE = {1205, 1213}  # lock wait timeout, deadlock: both roll the transaction back


def _retryable(exc: sa.exc.DBAPIError) -> bool:
    if isinstance(exc, sa.exc.IntegrityError):
        return True  # a concurrent writer took the same version number or alias row first
    code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
    return isinstance(exc, sa.exc.OperationalError) and code in _MYSQL_RETRYABLE


class RegistryBase:
    """A registry on one database engine whose schema is already migrated."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Runs ``work`` in a write transaction, retried when a concurrent writer won a race.

        Returns:
            What ``work`` returned in the attempt that committed.

        Raises:
            sqlalchemy.exc.DBAPIError: The error was not a race, or every attempt lost one.
        """
        attempt = 1
        while True:
            try:
                with transaction(self.engine, write=True) as conn:
                    return work(conn)
            except sa.exc.DBAPIError as exc:
                if attempt == _ATTEMPTS or not _retryable(exc):
                    raise
                logger.debug("Registry write conflicted (attempt %d): %s", attempt, exc.orig)
                time.sleep(random.uniform(0, 0.02 * attempt))
                attempt += 1
