"""The `local` pseudo-cluster: this machine's own Slurm (if any) and its long-running processes.

Slurm jobs go through the same refresh and history as any cluster, over a
LocalTransport. Processes matched by the include/exclude filters are shown
live only: they are never stored or pinned (a PID means nothing after a reboot).
"""

from __future__ import annotations

import asyncio
import getpass
import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from clausius.core import processes
from clausius.core.job_record import JobRow
from clausius.errors import InvalidInput, NotFound
from clausius.services.agent import ClusterAgent, Snapshot
from clausius.services.projects import ProjectService
from clausius.services.registry import RegistryService
from clausius.services.settings import SettingsService
from clausius.services.transports import TransportRegistry
from clausius.store.database import Database

LOCAL = "local"


class LocalAgent(ClusterAgent):
    def __init__(
        self,
        registry: RegistryService,
        db: Database,
        settings: SettingsService,
        transports: TransportRegistry,
        projects: ProjectService,
        on_change: Callable[[str], None],
    ) -> None:
        super().__init__(LOCAL, db, settings, transports, projects, on_change)
        self._registry = registry

    async def lookup(self, job_id: str) -> JobRow | None:
        """Local processes leave no accounting behind; local Slurm jobs use it like any cluster."""
        if processes.parse_process_job_id(job_id) is not None or not self.has_slurm():
            return None
        return await super().lookup(job_id)

    def has_slurm_logs(self, row: JobRow) -> bool:
        return processes.parse_process_job_id(row.job_id) is None

    @staticmethod
    def has_slurm() -> bool:
        """A usable local Slurm: its client on PATH and a configuration to talk to."""
        if shutil.which("squeue") is None:
            return False
        configs = [os.environ.get("SLURM_CONF", ""), "/etc/slurm/slurm.conf", "/etc/slurm-llnl/slurm.conf"]
        return any(c and Path(c).is_file() for c in configs)

    async def _fetch_and_record(self) -> Snapshot:
        snapshot = await super()._fetch_and_record() if self.has_slurm() else Snapshot(fetched_at=time.time())
        filters = await self._registry.list_filters()
        include = [f.pattern for f in filters if f.mode == "include"]
        exclude = [f.pattern for f in filters if f.mode == "exclude"]
        procs = await asyncio.to_thread(_scan, include, exclude, time.time())
        snapshot.live = [*snapshot.live, *procs]
        return snapshot

    async def kill(self, job_id: str) -> bool:
        """SIGTERM one of the processes the board shows (never any other PID)."""
        pid = processes.parse_process_job_id(job_id)
        if pid is None:
            raise InvalidInput(f"{job_id!r} is not a local process")
        if all(row.job_id != job_id for row in self.snapshot.live):
            raise NotFound(f"process {pid} is not on the board (it matches no include filter, or it ended)")
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return False
        return True


def _scan(include: list[str], exclude: list[str], now: float) -> list[JobRow]:
    """Blocking: this user's long-running processes matching the filters."""
    if not include:
        return []
    me = getpass.getuser()
    rows = []
    for proc in psutil.process_iter(["pid", "username", "cmdline", "create_time", "cpu_times"]):
        info = proc.info
        cmdline = info.get("cmdline") or []
        if info.get("username") != me or not cmdline or proc.pid == os.getpid():
            continue
        started = float(info.get("create_time") or now)
        if now - started < processes.MIN_AGE_SEC or not processes.matches(" ".join(cmdline), include, exclude):
            continue
        rows.append(
            JobRow(
                cluster=LOCAL,
                job_id=processes.process_job_id(proc.pid),
                name=processes.short_command(cmdline),
                state="RUNNING",
                user=me,
                partition="local",
                nodes=1,
                start_time=started,
                elapsed_sec=int(now - started),
                first_seen=now,
                last_seen=now,
            )
        )
    return rows
