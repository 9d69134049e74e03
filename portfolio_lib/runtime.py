"""Threads: the one place the library starts any.

The metric code is plain, single-threaded pandas/numpy. Where a second core earns its keep on
a user-visible figure (a study of a million customers), the study or table helper asks this
module for it:

- :func:`parallel_map` maps a function over independent parts (numpy work that releases the
  GIL) on up to :data:`THREADS` threads;
- :func:`second_thread` gives a one-thread pool for a study's side tables (or None below
  :data:`SECOND_THREAD_MIN_ROWS` rows), and :func:`later` queues a computation on it, or
  computes it when first read when there is no pool, so serial runs keep the serial order.

Set ``portfolio_lib.runtime.THREADS = 1`` to run everything on the calling thread.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

__all__ = [
    "SECOND_THREAD_MIN_ROWS",
    "THREADS",
    "in_halves",
    "later",
    "parallel_map",
    "second_thread",
    "thread_count",
]

_T = TypeVar("_T")
_T_in = TypeVar("_T_in")
_POOL_LOCK = threading.Lock()
# From this many rows (customers) a study computes some of its tables on a second thread.
SECOND_THREAD_MIN_ROWS = 100_000

# Threads of the array work that splits into independent parts (blocks of a trailing panel,
# periods, columns), at most the machine's cores; 1 turns it off.
THREADS = 2
_POOL: ThreadPoolExecutor | None = None
_IN_WORKER = threading.local()


def thread_count() -> int:
    """Threads the library may use: :data:`THREADS`, at most the machine's cores."""
    return min(THREADS, os.cpu_count() or 1)


def parallel_map(function: Callable[[_T_in], _T], items: Sequence[_T_in]) -> list[_T]:
    """``[function(item) for item in items]``, on up to :data:`THREADS` threads.

    For numpy work that releases the GIL (arithmetic, gathers, bincounts on large arrays):
    the machine's second core then halves the wall time. Calls made from a worker run
    in it, one after the other (a nested pool could wait on itself). ``function`` must not
    use the tables' cache (``engine.tables.views``): its caller may hold the cache's lock.
    """
    global _POOL
    threads = thread_count()
    if threads < 2 or len(items) < 2 or getattr(_IN_WORKER, "active", False):
        return [function(item) for item in items]
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="portfolio")
        pool = _POOL

    def run(item: _T_in) -> _T:
        _IN_WORKER.active = True
        try:
            return function(item)
        finally:
            _IN_WORKER.active = False

    return list(pool.map(run, items))


def in_halves(work: Callable[[slice], object], n: int) -> None:
    """``work(part)`` for the two halves of ``range(n)``, on two threads (:func:`parallel_map`).

    For elementwise work in which each part writes only to its own slice of the outputs.
    """
    half = n // 2
    parallel_map(work, [slice(0, half), slice(half, None)])


@contextmanager
def second_thread(rows: int) -> Iterator[ThreadPoolExecutor | None]:
    """A one-thread pool for tables a study computes beside its main line, or None.

    From SECOND_THREAD_MIN_ROWS rows and two threads (:data:`THREADS`): pandas' group
    kernels and numpy's loops release the GIL, so the serial parts of either side fill the
    other's idle core. Below, the thread would cost more than it saves: compute in line.
    """
    if rows < SECOND_THREAD_MIN_ROWS or thread_count() < 2:
        yield None
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool


def later(background: ThreadPoolExecutor | None, compute: Callable[[], _T]) -> Callable[[], _T]:
    """What gives ``compute()``: started on ``background`` when given, else computed when
    first read (in line, in the order the results are read).

    On ``background``, the tasks run one at a time in the order they were queued, beside the
    main line; errors are raised by the call that reads the result.
    """
    if background is not None:
        return background.submit(compute).result
    return functools.cache(compute)
