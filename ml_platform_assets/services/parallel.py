"""Independent work (days, files) on every core."""

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def parallel_map(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``fn`` over independent items, results in input order.

    Parquet I/O and numpy release the GIL, so threads keep both cores busy on daily files;
    the first exception propagates as it would in a loop.
    """
    items = list(items)
    workers = min(4, os.cpu_count() or 1, len(items))
    if workers <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))
