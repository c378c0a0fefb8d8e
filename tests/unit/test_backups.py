"""Backups: online copy, restore returns the content, retention keeps exactly N."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clausius.bootstrap import Bootstrap
from clausius.core.config_models import ClusterSpec, TeamMemberSpec
from clausius.errors import Conflict, InvalidInput
from clausius.services.app import Services
from clausius.store import backups
from clausius.store.lock import DataDirLock


def _boot(tmp_path: Path) -> Bootstrap:
    return Bootstrap(data_dir=tmp_path / "data", port=7272, ssh_user="u", ssh_key=tmp_path / "k", source_file=None)


def _dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


def test_backup_modify_restore_returns_the_backup_content(tmp_path: Path) -> None:
    boot = _boot(tmp_path)
    svc = Services.open(boot)
    try:
        asyncio.run(svc.clusters.add(ClusterSpec(name="eos", host="eos-login", mount_paths=["/shared/$USER"])))
        asyncio.run(svc.settings.set("ssh_timeout", 20))
        result = asyncio.run(svc.backups.backup_now())
        backup_path = boot.backup_dir / result.created.file
        snapshot = _dump(backup_path)
        assert any("eos-login" in line for line in snapshot)
        asyncio.run(svc.clusters.remove("eos"))
        asyncio.run(svc.registry.add_team_member(TeamMemberSpec(username="bob")))
        asyncio.run(svc.settings.set("ssh_timeout", 30))
    finally:
        svc.close()

    with DataDirLock(boot.data_dir, "restore", "test"):
        safety = backups.restore_backup(backup_path, boot.db_path, boot.backup_dir / "pre-restore")
    assert safety is not None and safety.exists()
    assert any("bob" in line for line in _dump(safety))  # the state before the restore is kept

    svc = Services.open(boot)
    try:
        assert [c.name for c in asyncio.run(svc.clusters.list())] == ["eos"]
        assert asyncio.run(svc.registry.list_team()) == []
        assert svc.settings.get("ssh_timeout") == 20
    finally:
        svc.close()
    restored = [line for line in _dump(boot.db_path) if "audit_log" not in line]
    assert restored == [line for line in snapshot if "audit_log" not in line]


def test_retention_keeps_exactly_n_newest(tmp_path: Path) -> None:
    boot = _boot(tmp_path)
    svc = Services.open(boot)
    try:
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for day in range(6):
            backups.create_backup(boot.db_path, boot.backup_dir, now=start + timedelta(days=day))
        (boot.backup_dir / "notes.txt").write_text("not a backup")
        deleted = backups.prune_backups(boot.backup_dir, 3)
        assert len(deleted) == 3
        names = sorted(p.name for p in boot.backup_dir.glob("history-*.db"))
        assert names == ["history-2026-01-04.db", "history-2026-01-05.db", "history-2026-01-06.db"]
        assert (boot.backup_dir / "notes.txt").exists()
        asyncio.run(svc.settings.set("backup_max_keep", 2))
        asyncio.run(svc.backups.backup_now())
        assert len(list(boot.backup_dir.glob("history-*.db"))) == 2
    finally:
        svc.close()


def test_two_backups_on_one_day_get_distinct_names(tmp_path: Path) -> None:
    boot = _boot(tmp_path)
    svc = Services.open(boot)
    try:
        now = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
        first = backups.create_backup(boot.db_path, boot.backup_dir, now=now)
        second = backups.create_backup(boot.db_path, boot.backup_dir, now=now + timedelta(hours=1))
        assert first.path.name == "history-2026-03-04.db"
        assert second.path.name == "history-2026-03-04-060607.db"
        assert [b.path for b in backups.list_backups(boot.backup_dir)] == [first.path, second.path]
    finally:
        svc.close()


def test_restore_refuses_while_a_server_holds_the_data_dir(tmp_path: Path) -> None:
    boot = _boot(tmp_path)
    with DataDirLock(boot.data_dir, "serve", "only one"), pytest.raises(Conflict, match="already in use"):
        DataDirLock(boot.data_dir, "restore", "stop the server").acquire()


@pytest.mark.parametrize("content", [b"not sqlite at all", b""])
def test_restore_rejects_files_that_are_not_backups(tmp_path: Path, content: bytes) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(content)
    with pytest.raises(InvalidInput):
        backups.verify_backup(bogus)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("PRAGMA user_version = 1")
    with pytest.raises(InvalidInput, match="not a clausius database"):
        backups.verify_backup(other)


def test_scheduler_backs_up_when_due_and_not_before(tmp_path: Path) -> None:
    boot = _boot(tmp_path)
    svc = Services.open(boot)

    async def scenario() -> tuple[int, int, int]:
        task = asyncio.create_task(svc.backups.run_scheduler(check_every=0.05))
        for _ in range(100):  # no backup exists yet, so one is due at once
            if backups.list_backups(boot.backup_dir):
                break
            await asyncio.sleep(0.05)
        first = len(backups.list_backups(boot.backup_dir))
        await asyncio.sleep(0.5)  # the newest backup is fresh: nothing more within the 24 h interval
        second = len(backups.list_backups(boot.backup_dir))
        # An old newest backup (interval elapsed) makes the next one due; a setting change wakes the loop.
        for b in backups.list_backups(boot.backup_dir):
            b.path.rename(boot.backup_dir / "history-2020-01-01.db")
        await svc.settings.set("backup_interval_hours", 2)
        for _ in range(100):
            if len(backups.list_backups(boot.backup_dir)) == 2:
                break
            await asyncio.sleep(0.05)
        third = len(backups.list_backups(boot.backup_dir))
        task.cancel()
        return first, second, third

    try:
        assert asyncio.run(scenario()) == (1, 1, 2)
    finally:
        svc.close()


def test_retention_never_deletes_the_backup_it_just_took(tmp_path: Path) -> None:
    boot = _boot(tmp_path)
    svc = Services.open(boot)
    try:
        start = datetime(2026, 5, 6, 8, 0, 0, tzinfo=UTC)
        for i in range(4):
            made = backups.create_backup(boot.db_path, boot.backup_dir, now=start + timedelta(minutes=i))
            backups.prune_backups(boot.backup_dir, 1)
            assert made.path.exists(), f"backup {i} was deleted by its own pruning"
            assert [b.path for b in backups.list_backups(boot.backup_dir)] == [made.path]
    finally:
        svc.close()
