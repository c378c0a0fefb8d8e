"""Online backups with SQLite's backup API, retention by count, and safe restore."""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from clausius.errors import InvalidInput, StoreError
from clausius.store.database import connect
from clausius.store.datadir import DIR_MODE, precreate_private
from clausius.store.migrations import LATEST_VERSION, migrate

_NAME_RE = re.compile(r"^history-(\d{4}-\d{2}-\d{2})(?:-(\d{6}))?\.db$")


@dataclass(frozen=True)
class BackupFile:
    path: Path
    taken_at: datetime
    size: int


def _parse(path: Path) -> BackupFile | None:
    match = _NAME_RE.match(path.name)
    if not match:
        return None
    stamp = match.group(1) + (match.group(2) or "000000")
    taken = datetime.strptime(stamp, "%Y-%m-%d%H%M%S").replace(tzinfo=UTC)
    return BackupFile(path=path, taken_at=taken, size=path.stat().st_size)


def list_backups(backup_dir: Path) -> list[BackupFile]:
    """Backups, oldest first."""
    if not backup_dir.is_dir():
        return []
    found = [b for b in (_parse(p) for p in backup_dir.iterdir() if p.is_file()) if b is not None]
    return sorted(found, key=lambda b: b.taken_at)


def _target_name(backup_dir: Path, now: datetime) -> Path:
    """`history-YYYY-MM-DD.db` for the day's first backup; later ones that day add the time.

    The plain daily name sorts as 00:00:00, so it is only used while no other backup of
    that day exists; otherwise a backup taken after retention removed the daily file would
    sort as the oldest and be deleted by its own pruning.
    """
    day = f"{now:%Y-%m-%d}"
    if not any(backup_dir.glob(f"history-{day}*.db")):
        return backup_dir / f"history-{day}.db"
    candidate = backup_dir / f"history-{now:%Y-%m-%d-%H%M%S}.db"
    while candidate.exists():  # two backups within one second: wait for the next second's name
        time.sleep(0.2)
        now = datetime.now(UTC)
        candidate = backup_dir / f"history-{now:%Y-%m-%d-%H%M%S}.db"
    return candidate


def _copy(source: Path, target: Path) -> None:
    """Copy a live database consistently (safe during writes) and verify the copy."""
    tmp = target.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    precreate_private(tmp)  # backups hold the whole history: owner-only, like the database
    src = connect(source, readonly=True)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")  # a backup is one self-contained file
        result = dst.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise StoreError(f"backup of {source} failed its integrity check: {result}")
    finally:
        dst.close()
        src.close()
    tmp.replace(target)


def create_backup(db_path: Path, backup_dir: Path, now: datetime | None = None) -> BackupFile:
    backup_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    target = _target_name(backup_dir, now or datetime.now(UTC))
    _copy(db_path, target)
    parsed = _parse(target)
    assert parsed is not None
    return parsed


def prune_backups(backup_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups; returns what was deleted."""
    if keep < 1:
        raise InvalidInput("backup retention must keep at least one backup")
    backups = list_backups(backup_dir)
    doomed = [b.path for b in backups[:-keep]] if len(backups) > keep else []
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def verify_backup(path: Path) -> int:
    """Check that `path` is a restorable clausius database; returns its schema version."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise InvalidInput(f"{path}: not an SQLite database")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise InvalidInput(f"{path}: damaged database ({check})")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{path}: unreadable database: {exc}") from None
    finally:
        conn.close()
    if version > LATEST_VERSION:
        raise InvalidInput(f"{path}: written by a newer clausius (schema {version} > {LATEST_VERSION})")
    if version < 1 or "clusters" not in tables:
        raise InvalidInput(f"{path}: not a clausius database")
    return version


def restore_backup(backup: Path, db_path: Path, safety_dir: Path) -> Path | None:
    """Replace the live database's content with `backup`'s, keeping a safety copy first.

    The caller must hold the data-directory lock so no server writes meanwhile.
    Returns the safety copy's path (None when there was no database yet).
    """
    verify_backup(backup)
    safety: Path | None = None
    if db_path.exists():
        safety_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        safety = safety_dir / f"before-restore-{datetime.now(UTC):%Y-%m-%d-%H%M%S-%f}.db"
        _copy(db_path, safety)
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = connect(db_path)
    try:
        src.backup(dst)
        migrate(dst, db_label=str(db_path))
        dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        src.close()
        dst.close()
    return safety
