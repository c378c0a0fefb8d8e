"""One owner for every long-running background task (cluster agents, watchers, schedulers).

A task that stops on an unexpected exception (a bug) would otherwise end silently: a cluster's
board freezes at its last refresh and nothing is logged. Under the supervisor the exception is
logged once with its traceback, counted, handed to the task's `on_crash` (an agent shows it as
the cluster's error), and the task restarts after a back-off that doubles up to a minute and
resets once the task has run for longer than that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

BASE_DELAY_SEC = 1.0
MAX_DELAY_SEC = 60.0

Factory = Callable[[], Awaitable[None]]
OnCrash = Callable[[BaseException], None]


@dataclass
class TaskRecord:
    crashes: int = 0
    last_crash: str | None = None


class Supervisor:
    def __init__(self, *, base_delay: float = BASE_DELAY_SEC, max_delay: float = MAX_DELAY_SEC) -> None:
        self._base = base_delay
        self._max = max_delay
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.records: dict[str, TaskRecord] = {}

    def start(self, name: str, factory: Factory, *, on_crash: OnCrash | None = None) -> None:
        """Run `factory()` under supervision as `name` (a running task of that name is left alone)."""
        if name in self._tasks and not self._tasks[name].done():
            return
        self.records.setdefault(name, TaskRecord())
        self._tasks[name] = asyncio.create_task(self._keep(name, factory, on_crash), name=name)

    def running(self, name: str) -> bool:
        task = self._tasks.get(name)
        return task is not None and not task.done()

    def crashes(self, name: str) -> int:
        record = self.records.get(name)
        return record.crashes if record else 0

    async def stop(self, name: str) -> None:
        task = self._tasks.pop(name, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def stop_all(self) -> None:
        tasks, self._tasks = list(self._tasks.values()), {}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _keep(self, name: str, factory: Factory, on_crash: OnCrash | None) -> None:
        loop = asyncio.get_running_loop()
        delay = self._base
        while True:
            started = loop.time()
            try:
                await factory()
                return  # finished on its own: nothing to restart
            except Exception as exc:  # a bug in a background task: logged, counted, restarted
                record = self.records[name]
                record.crashes += 1
                record.last_crash = f"{type(exc).__name__}: {exc}"
                log.error("background task %s crashed (restart in %.0f s)", name, delay, exc_info=exc)
                if on_crash is not None:
                    on_crash(exc)
            if loop.time() - started > self._max:
                delay = self._base  # it ran well for a while: this is a new problem, not the same one again
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max)
