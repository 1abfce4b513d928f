"""SQLite behind one thread, for async code (datasette's execute_write_fn is the model).

Every query of the service runs on the database thread, in order, on one connection, so the event
loop never blocks on SQLite and writers in one process never contend for its lock. Async code awaits
`db.<group>.<method>(...)` (for example `await db.posts.claim(...)`) or `db.run(fn)` for several steps
in one go; worker threads (ASR) call `db.blocking(fn)`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from .jobs import JobPolicy
from .store import Store

T = TypeVar("T")


class _Async:
    """A query group seen from async code: each method call runs on the database thread."""

    def __init__(self, db: Database, group: str) -> None:
        self._db, self._group = db, group

    def __getattr__(self, method: str) -> Callable[..., Any]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await self._db.run(lambda s: getattr(getattr(s, self._group), method)(*args, **kwargs))

        return call

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:  # callable groups: search, audit
        return await self._db.run(lambda s: getattr(s, self._group)(*args, **kwargs))


class Database:
    GROUPS = (
        "interviews",
        "jobs",
        "candidates",
        "posts",
        "digests",
        "coaching",
        "search",
        "audit",
        "callbacks",
        "verdicts",
        "ats",
    )

    def __init__(
        self,
        path: Path | str,
        jobs: JobPolicy | None = None,
        busy_s: float = 30.0,
        on_busy: Callable[[], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.policy, self.busy_s = jobs, busy_s
        self.on_busy = on_busy  # told of every call that failed on another writer's lock (a metric)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="ib-db")
        self._store: Store | None = None
        self._thread_id: int | None = None
        self._closed = False
        for group in self.GROUPS:
            setattr(self, group, _Async(self, group))

    def _call(self, fn: Callable[[Store], T]) -> T:
        if self._store is None:
            self._store = Store(self.path, self.policy, self.busy_s)
            self._thread_id = threading.get_ident()
        try:
            return fn(self._store)
        except sqlite3.OperationalError as exc:
            from . import is_busy

            if self.on_busy is not None and is_busy(exc):
                self.on_busy()
            raise

    async def run(self, fn: Callable[[Store], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, fn)

    def blocking(self, fn: Callable[[Store], T]) -> T:
        """From a thread that may wait (an ASR worker, the command line), never the event loop."""
        if threading.get_ident() == self._thread_id:
            return fn(self._store)  # already on the database thread (a nested step)
        return self._executor.submit(self._call, fn).result()

    def close(self) -> None:
        """Close the connection and end the thread; later calls are refused (RuntimeError). Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._store is not None:
            self._executor.submit(self._store.close).result()
        self._executor.shutdown(wait=True)
