"""Access to the real Slurm lab (scripts/slurm-lab) for integration tests.

Outside CI a missing lab skips the test with one line saying how to start it;
in CI (CI=true) a missing lab is a failure, never a silent skip.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAB_SCRIPT = ROOT / "scripts" / "slurm-lab"
NOT_RUNNING = "lab not running: run `sudo scripts/slurm-lab up` (or `make test` as root)"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def lab_cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(LAB_SCRIPT), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def _json(*args: str) -> dict[str, Any] | None:
    try:
        proc = lab_cli(*args, "--json", timeout=60)
        data = json.loads(proc.stdout)
    except (subprocess.TimeoutExpired, json.JSONDecodeError, OSError):
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class Lab:
    env: dict[str, Any]

    @property
    def ssh_config(self) -> Path:
        return Path(self.env["ssh_config"])

    @property
    def known_hosts(self) -> Path:
        return Path(self.env["known_hosts"])

    @property
    def ssh_key(self) -> Path:
        return Path(self.env["ssh_key"])

    def cluster(self, name: str) -> dict[str, Any]:
        cluster: dict[str, Any] = self.env["clusters"][name]
        return cluster

    def slurm(
        self, cluster: str, *argv: str, user: str = "alice", timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        """Run a Slurm command on the lab directly (not through clausius), as a lab user."""
        conf = self.cluster(cluster)["slurm_conf"]
        return subprocess.run(
            ["runuser", "-u", user, "--", "env", f"SLURM_CONF={conf}", "SLURM_TIME_FORMAT=standard", *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ssh_up(self, cluster: str | None = None) -> None:
        proc = lab_cli("ssh-up", *([cluster] if cluster else []))
        assert proc.returncode == 0, proc.stderr

    def ssh_down(self, cluster: str, *, freeze: bool = False) -> None:
        proc = lab_cli("ssh-down", cluster, *(["--freeze"] if freeze else []))
        assert proc.returncode == 0, proc.stderr

    def sshd_pid(self, cluster: str) -> str:
        return Path(self.cluster(cluster)["sshd_pidfile"]).read_text().strip()

    def squeue_rpcs(self, cluster: str) -> int:
        """How many squeue requests (REQUEST_JOB_USER_INFO) the cluster's slurmctld has served so far."""
        out = lab_cli("sdiag", cluster, timeout=30).stdout
        match = re.search(r"REQUEST_JOB_USER_INFO\s+\(\s*\d+\)\s+count:(\d+)", out)
        return int(match.group(1)) if match else 0

    def crash_login_node(self, cluster: str) -> None:
        """What a crashing login node does: every session process dies, then the listener stops."""
        listener = self.sshd_pid(cluster)
        children: dict[str, list[str]] = {}
        table = subprocess.run(["ps", "-eo", "pid,ppid"], capture_output=True, text=True, check=True).stdout
        for line in table.splitlines()[1:]:
            pid, ppid = line.split()
            children.setdefault(ppid, []).append(pid)
        doomed, queue = [], list(children.get(listener, []))
        while queue:
            pid = queue.pop()
            doomed.append(pid)
            queue.extend(children.get(pid, []))
        for pid in doomed:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        self.ssh_down(cluster)


def require_lab() -> Lab:
    status = _json("status")
    if status is None or not status.get("up"):
        down = [] if status is None else [n for n, d in status.get("daemons", {}).items() if not d.get("alive")]
        detail = f" (down: {', '.join(down)})" if down else ""
        if in_ci():
            pytest.fail(NOT_RUNNING + detail)
        pytest.skip(NOT_RUNNING)
    env = _json("env")
    if env is None:
        pytest.fail("`scripts/slurm-lab env --json` printed no JSON")
    return Lab(env=env)


def run_demo() -> dict[str, dict[str, str]]:
    proc = lab_cli("demo", timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"`slurm-lab demo` failed: {proc.stderr[-2000:]}")
    data: dict[str, dict[str, str]] = json.loads(proc.stdout)
    return data
