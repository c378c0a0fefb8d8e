"""Single-flight, short-lived memo for answers that cost a cluster command (sacct, sprio, stat).

Agents poll. Twenty of them asking for the same job's stats within a few seconds should
cost the cluster one sacct, not twenty: concurrent callers share the call in flight and
later callers get its answer until it is `ttl` seconds old. Failures are not kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
MAX_ENTRIES = 1024


class Memo(Generic[T]):
    def __init__(self, ttl: Callable[[], float]) -> None:
        self._ttl = ttl
        self._done: dict[Hashable, tuple[float, T]] = {}
        self._running: dict[Hashable, asyncio.Future[T]] = {}
        self.calls = 0  # how often the factory really ran (for tests and benchmarks)

    async def get(self, key: Hashable, factory: Callable[[], Awaitable[T]]) -> T:
        cached = self._done.get(key)
        if cached is not None and time.monotonic() - cached[0] < self._ttl():
            return cached[1]
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(self._run(key, factory))
            self._running[key] = running
            running.add_done_callback(lambda _: self._running.pop(key, None))
        return await asyncio.shield(running)

    def forget(self) -> None:
        """Drop kept answers (calls in flight still finish and are shared)."""
        self._done.clear()

    async def _run(self, key: Hashable, factory: Callable[[], Awaitable[T]]) -> T:
        self.calls += 1
        value = await factory()
        if len(self._done) >= MAX_ENTRIES:
            self._done.clear()  # a crude bound: entries live seconds, so losing them costs little
        self._done[key] = (time.monotonic(), value)
        return value
