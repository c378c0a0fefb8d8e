"""Backups on demand and on the configured interval while serving."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from clausius.bootstrap import Bootstrap
from clausius.services.interface import current_interface
from clausius.services.settings import SettingsService
from clausius.store import backups, config_repo
from clausius.store.database import Database

log = logging.getLogger(__name__)


class BackupInfo(BaseModel):
    file: str
    taken_at: datetime
    size_bytes: int


class BackupResult(BaseModel):
    created: BackupInfo
    deleted: list[str]
    kept: int


def _info(b: backups.BackupFile) -> BackupInfo:
    return BackupInfo(file=b.path.name, taken_at=b.taken_at, size_bytes=b.size)


class BackupService:
    def __init__(self, boot: Bootstrap, db: Database, settings: SettingsService) -> None:
        self._boot = boot
        self._db = db
        self._settings = settings
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        settings.on_change(self._on_setting)

    def _on_setting(self, key: str) -> None:
        if key.startswith("backup_"):
            self._wake.set()

    async def list(self) -> list[BackupInfo]:
        found = await asyncio.to_thread(backups.list_backups, self._boot.backup_dir)
        return [_info(b) for b in reversed(found)]

    async def backup_now(self) -> BackupResult:
        """Take one backup and apply retention (keep the newest N)."""
        keep = self._settings.get_int("backup_max_keep")
        async with self._lock:  # one backup at a time per process
            made = await asyncio.to_thread(backups.create_backup, self._boot.db_path, self._boot.backup_dir)
            deleted = await asyncio.to_thread(backups.prune_backups, self._boot.backup_dir, keep)
        interface = current_interface.get()

        def record(conn: sqlite3.Connection) -> None:
            config_repo.audit(conn, interface, "backup", made.path.name)

        await self._db.write(record)
        log.info("backup %s written; %d old backup(s) deleted", made.path.name, len(deleted))
        return BackupResult(created=_info(made), deleted=[p.name for p in deleted], kept=keep)

    def _next_due(self, now: datetime) -> datetime:
        interval = timedelta(hours=self._settings.get_int("backup_interval_hours"))
        existing = backups.list_backups(self._boot.backup_dir)
        if not existing:
            return now
        return existing[-1].taken_at + interval

    async def run_scheduler(self, check_every: float = 60.0) -> None:
        """Back up whenever the newest backup is older than the interval; runs until cancelled."""
        while True:
            now = datetime.now(UTC)
            due = await asyncio.to_thread(self._next_due, now)
            if due <= now:
                try:
                    await self.backup_now()
                except Exception:  # a failed backup is logged and retried next round, never fatal
                    log.exception("scheduled backup failed")
                continue_in = check_every
            else:
                continue_in = min(check_every, (due - now).total_seconds())
            self._wake.clear()
            # Sleep until the next check, or until a backup setting changes.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(continue_in, 1.0))
