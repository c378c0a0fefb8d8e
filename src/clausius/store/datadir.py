"""The data directory is private to its owner: 0700, every file in it 0600.

It holds the database (with the job history and the cluster records), backups, the server
secret and the access token. On a shared login node every other user could otherwise read
them, so the process umask is 077 from start-up on and anything found looser is tightened,
with one notice line saying what was changed.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

from clausius.errors import ConfigError

log = logging.getLogger(__name__)
PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def use_private_umask() -> None:
    """Every file this process creates from now on is readable by its owner only."""
    os.umask(PRIVATE_UMASK)


def secure_data_dir(data_dir: Path) -> list[Path]:
    """Create `data_dir` 0700 if missing and tighten what is looser; returns the paths changed.

    Only entries owned by us are changed (chmod on someone else's file would fail anyway), and
    symlinks are neither followed nor changed.
    """
    try:
        data_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{data_dir}: cannot create the data directory: {exc.strerror}") from None
    if not data_dir.is_dir():
        raise ConfigError(f"{data_dir}: the data directory is not a directory")
    changed: list[Path] = []
    uid = os.getuid()
    for root, dirs, files in os.walk(data_dir):
        base = Path(root)
        entries = [base] if base == data_dir else []
        entries += [base / name for name in (*dirs, *files)]
        changed += [path for path in entries if _tighten(path, uid)]
    if changed:
        log.warning(
            "tightened permissions of %d file(s) in %s that other users could read (now owner-only)",
            len(changed),
            data_dir,
        )
    return changed


def _tighten(path: Path, uid: int) -> bool:
    """Drop group and other permission bits; the owner's bits stay as they are."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return False  # removed meanwhile (a WAL checkpoint, a pruned backup)
    if stat.S_ISLNK(info.st_mode) or info.st_uid != uid:
        return False
    mode = stat.S_IMODE(info.st_mode)
    if mode & PRIVATE_UMASK == 0:
        return False
    path.chmod(mode & ~PRIVATE_UMASK)
    return True


def precreate_private(path: Path) -> None:
    """Create `path` empty and owner-only if missing, so whatever writes it later (SQLite) keeps that mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
    os.close(fd)


def create_private_file(path: Path, content: bytes) -> None:
    """Write `content` to a new file only its owner can read, atomically (never a readable moment)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)


SERVICE_FILE = "service.json"  # where the running service says how to reach it (written by serve/mcp)


def read_service_info(data_dir: Path) -> dict[str, object] | None:
    """What the running service wrote about itself (None when none runs or the file is unreadable).

    A killed service leaves its file behind: callers that need a live one still check it answers.
    """
    try:
        info = json.loads((data_dir / SERVICE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None
