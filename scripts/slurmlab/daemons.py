"""Process plumbing: detached spawning, pidfiles, /proc inspection, stopping by PID (never by name)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .util import POLL_INTERVAL, LabError, wait_until


@dataclass(frozen=True)
class Daemon:
    """One lab daemon: how to recognise it (pidfile + /proc/<pid>/comm) and how long to wait when stopping."""

    name: str
    pidfile: Path
    comms: tuple[str, ...]
    log: Path
    grace: float


# --- /proc inspection ----------------------------------------------------------------------------


def proc_comm(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def proc_state(pid: int) -> str | None:
    """Single-letter state from /proc/<pid>/stat (R, S, D, T, t, Z, X...) or None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces or ')'; the state follows the last ')'.
    rest = raw[raw.rfind(")") + 2 :]
    return rest[:1] or None


def proc_rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return 0


def proc_gone(pid: int) -> bool:
    return proc_state(pid) in (None, "Z", "X")


def is_alive(pid: int, comms: Sequence[str]) -> bool:
    return not proc_gone(pid) and proc_comm(pid) in comms


def children(pid: int) -> list[int]:
    """Direct children of `pid` from /proc/<pid>/task/*/children."""
    result: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    try:
        tasks = list(task_dir.iterdir())
    except OSError:
        return result
    for task in tasks:
        try:
            result += [int(x) for x in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return result


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    todo = children(pid)
    while todo:
        child = todo.pop()
        if child in out:
            continue
        out.append(child)
        todo += children(child)
    return out


def all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def proc_cwd(pid: int) -> Path | None:
    try:
        return Path(f"/proc/{pid}/cwd").readlink()
    except OSError:
        return None


# --- pidfiles ------------------------------------------------------------------------------------


def read_pid(pidfile: Path) -> int | None:
    try:
        text = pidfile.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def live_pid(daemon: Daemon) -> int | None:
    """PID from the daemon's pidfile if that process is alive and really is the daemon."""
    pid = read_pid(daemon.pidfile)
    if pid is not None and is_alive(pid, daemon.comms):
        return pid
    return None


def wait_for_pid(daemon: Daemon, timeout: float) -> int:
    found: list[int] = []

    def check() -> bool:
        pid = live_pid(daemon)
        if pid is not None:
            found.append(pid)
        return bool(found)

    if not wait_until(check, timeout):
        raise LabError(
            f"{daemon.name} did not start (no live PID in {daemon.pidfile} after {timeout:.0f}s)", daemon.log
        )
    return found[0]


# --- spawning ------------------------------------------------------------------------------------


def spawn_detached(
    argv: Sequence[str],
    log: Path,
    *,
    env: Mapping[str, str] | None = None,
    wait_launcher: float | None = 30,
    name: str = "",
) -> subprocess.Popen[bytes]:
    """Start a daemon in its own session: stdin /dev/null, stdout/stderr appended to `log`, no other fds, cwd /.

    With `wait_launcher` (seconds) the launcher is expected to fork and exit; a non-zero exit is an error.
    Without it (mariadbd stays in the foreground) the process is left running in the background.
    """
    with open(log, "ab") as out:
        try:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                close_fds=True,
                start_new_session=True,
                cwd="/",
                env=dict(env) if env is not None else None,
            )
        except OSError as exc:
            raise LabError(f"cannot start {name or argv[0]}: {exc}", log) from exc
    if wait_launcher is not None:
        try:
            code = proc.wait(timeout=wait_launcher)
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"{name or argv[0]}: launcher did not return within {wait_launcher:.0f}s", log) from exc
        if code != 0:
            raise LabError(f"{name or argv[0]} exited with status {code} while starting", log)
    return proc


# --- stopping ------------------------------------------------------------------------------------


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return


def terminate_pid(pid: int, grace: float) -> bool:
    """SIGTERM (plus SIGCONT in case it is frozen), wait up to `grace`, then SIGKILL. True if it was killed hard."""
    _signal(pid, signal.SIGTERM)
    _signal(pid, signal.SIGCONT)
    if wait_until(lambda: proc_gone(pid), grace):
        return False
    _signal(pid, signal.SIGKILL)
    wait_until(lambda: proc_gone(pid), 5)
    return True


def stop_daemon(daemon: Daemon) -> str:
    """Stop one daemon by the PID in its pidfile (read first: daemons delete it early while shutting down)."""
    pid = read_pid(daemon.pidfile)
    if pid is None or not is_alive(pid, daemon.comms):
        daemon.pidfile.unlink(missing_ok=True)
        return "not running"
    started = time.monotonic()
    killed = terminate_pid(pid, daemon.grace)
    daemon.pidfile.unlink(missing_ok=True)
    how = "SIGKILL after grace" if killed else "SIGTERM"
    return f"stopped pid {pid} ({how}, {time.monotonic() - started:.1f}s)"


def signal_tree(pid: int, sig: signal.Signals, comms: Sequence[str]) -> list[int]:
    """Send `sig` to `pid` and to every descendant whose comm is in `comms`. Returns the PIDs signalled."""
    _signal(pid, sig)  # first the listener, so it cannot fork new sessions while we walk its tree
    targets = [pid]
    for child in descendants(pid):
        if proc_comm(child) in comms:
            _signal(child, sig)
            targets.append(child)
    return targets


def sleep_poll() -> None:
    time.sleep(POLL_INTERVAL)
