"""Small shared helpers: progress output, running commands with timeouts, files, timings."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

POLL_INTERVAL = 0.2


class LabError(Exception):
    """A step failed. `log` names a file whose tail explains why (printed by the CLI)."""

    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


def say(message: str) -> None:
    """Human progress: always stderr, so stdout stays machine-readable (demo, --json)."""
    print(f"slurm-lab: {message}", file=sys.stderr, flush=True)


def run(
    argv: Sequence[str],
    *,
    timeout: float = 30,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
    cwd: Path | str | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command (never through a shell) and capture its output."""
    try:
        proc = subprocess.run(
            list(argv),
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=None if input_text is not None else subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"command timed out after {timeout:.0f}s: {' '.join(argv)}") from exc
    except FileNotFoundError as exc:
        raise LabError(f"command not found: {argv[0]}") from exc
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise LabError(f"command failed (exit {proc.returncode}): {' '.join(argv)}\n{detail}")
    return proc


def succeeds(argv: Sequence[str], *, timeout: float = 10, env: Mapping[str, str] | None = None) -> bool:
    try:
        return run(argv, timeout=timeout, env=env, check=False).returncode == 0
    except LabError:
        return False


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = POLL_INTERVAL) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def tail(path: Path | None, lines: int = 30) -> str:
    if path is None or not path.exists():
        return f"(no log file at {path})"
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read().decode("utf-8", errors="replace")
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    return "\n".join(data.splitlines()[-lines:])


def user_ids(user: str) -> tuple[int, int]:
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def make_dir(path: Path, owner: str = "root", mode: int = 0o755) -> None:
    path.mkdir(parents=True, exist_ok=True)
    uid, gid = user_ids(owner)
    os.chown(path, uid, gid)
    path.chmod(mode)


def write_file(path: Path, content: str, owner: str = "root", mode: int = 0o644) -> bool:
    """Write `content` atomically; return True when the content changed. Owner and mode always set."""
    old = path.read_text() if path.exists() else None
    changed = old != content
    if changed:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(content)
        tmp.replace(path)
    uid, gid = user_ids(owner)
    os.chown(path, uid, gid)
    path.chmod(mode)
    return changed


def touch_owned(path: Path, owner: str, mode: int = 0o644) -> None:
    """Create a log file that the daemon (running as `owner`) can append to."""
    path.touch(exist_ok=True)
    uid, gid = user_ids(owner)
    os.chown(path, uid, gid)
    path.chmod(mode)


class Timings:
    """Cumulative seconds since start, one mark per finished step."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.marks: list[tuple[str, float]] = []

    def mark(self, step: str) -> None:
        self.marks.append((step, time.monotonic() - self.start))

    def render(self) -> str:
        width = max((len(s) for s, _ in self.marks), default=10)
        return "\n".join(f"{step:<{width}}  {secs:7.2f} s" for step, secs in self.marks)
