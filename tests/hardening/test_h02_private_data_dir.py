"""Item 2: the data directory, the database, its WAL/SHM files and every backup are owner-only."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from pathlib import Path

import pytest

from clausius.bootstrap import Bootstrap
from clausius.services.app import Services


def _boot(tmp_path: Path) -> Bootstrap:
    return Bootstrap(
        data_dir=tmp_path / "data", port=7272, ssh_user="tester", ssh_key=tmp_path / "key", source_file=None
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_data_dir_database_wal_and_backups_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # what a login node's default umask gives every process
    try:
        boot = _boot(tmp_path)
        services = Services.open(boot)
        try:
            asyncio.run(services.settings.set("history_page_size", 77))
            asyncio.run(services.backups.backup_now())
        finally:
            services.close()
    finally:
        os.umask(old)
    assert _mode(boot.data_dir) == 0o700
    files = [p for p in boot.data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "history.db" for p in files)
    assert any(p.parent.name == "backups" for p in files), files
    loose = {str(p): oct(_mode(p)) for p in [boot.data_dir, *boot.data_dir.rglob("*")] if _mode(p) & 0o077}
    assert loose == {}


def test_existing_loose_files_are_tightened_with_a_notice(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    boot = _boot(tmp_path)
    Services.open(boot).close()
    boot.data_dir.chmod(0o755)
    (boot.data_dir / "history.db").chmod(0o644)
    (boot.data_dir / "notes.txt").write_text("x")
    (boot.data_dir / "notes.txt").chmod(0o664)
    with caplog.at_level(logging.WARNING):
        Services.open(boot).close()
    assert _mode(boot.data_dir) == 0o700
    assert _mode(boot.data_dir / "history.db") == 0o600
    assert _mode(boot.data_dir / "notes.txt") == 0o600
    notices = [r.getMessage() for r in caplog.records if "tightened permissions" in r.getMessage()]
    assert len(notices) == 1 and "3 file(s)" in notices[0]
