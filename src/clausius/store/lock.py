"""An advisory lock on the data directory held by `clausius serve` and `clausius restore`.

It keeps two servers from polling the same clusters twice, and keeps a restore
from swapping the database under a running server. The lock dies with its
process, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from clausius.errors import Conflict


class DataDirLock:
    def __init__(self, data_dir: Path, purpose: str, hint: str) -> None:
        self.path = data_dir / "clausius.lock"
        self.purpose = purpose
        self.hint = hint
        self._fd: int | None = None

    def holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "another process"
        except OSError:
            return "another process"

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise Conflict(f"{self.path.parent} is already in use by {self.holder()}", hint=self.hint) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"clausius {self.purpose} (pid {os.getpid()})".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
