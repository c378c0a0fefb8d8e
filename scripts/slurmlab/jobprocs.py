"""Cancelling all lab jobs and finding job processes that outlived Slurm's tracking.

proctrack/linuxproc (no cgroups) finds a job's processes by walking /proc; a job cancelled while its
batch step is still launching can leave its payload (e.g. `sleep 3600`) behind. Those are found by
owner (a lab user) plus SLURM_JOB_ID / SLURM_CLUSTER_NAME in their environment, and stopped by PID.
"""

from __future__ import annotations

import pwd
from pathlib import Path

from .daemons import all_pids, proc_comm, proc_cwd, proc_gone, terminate_pid
from .settings import CLUSTERS, Settings
from .util import run, say, wait_until

ACTIVE_STATES = "PD,R,CG,S,CF"


def queued_ids(s: Settings, cluster: str, states: str = ACTIVE_STATES, users: bool = False) -> list[str]:
    argv = ["squeue", "-h", "-o", "%A", "-t", states]
    if users:
        argv += ["-u", ",".join(s.users)]
    proc = run(argv, env=s.slurm_env(cluster), timeout=20, check=False)
    return sorted(set(proc.stdout.split())) if proc.returncode == 0 else []


def cancel_all(s: Settings, clusters: list[str], users_only: bool = False) -> int:
    """Cancel pending jobs first (so none of them starts in the gap), then everything else.

    Returns the number of job ids passed to scancel (a job still listed in the second pass counts twice).
    """
    total = 0
    for states in ("PD", ACTIVE_STATES):
        for cluster in clusters:
            ids = queued_ids(s, cluster, states, users=users_only)
            if ids:
                total += len(ids)
                run(["scancel", *ids], env=s.slurm_env(cluster), timeout=30, check=False)
    return total


def wait_queues_empty(s: Settings, clusters: list[str], timeout: float, users_only: bool = False) -> bool:
    return wait_until(lambda: not any(queued_ids(s, c, users=users_only) for c in clusters), timeout, interval=0.5)


def lab_stepds(s: Settings) -> list[int]:
    """slurmstepd processes belonging to this lab (their cwd is a spool dir under LAB_DIR)."""
    out = []
    for pid in all_pids():
        if proc_comm(pid) != "slurmstepd" or proc_gone(pid):
            continue
        cwd = proc_cwd(pid)
        if cwd is not None and cwd.is_relative_to(s.lab_dir):
            out.append(pid)
    return out


def _lab_uids(s: Settings) -> set[int]:
    uids = set()
    for user in s.users:
        try:
            uids.add(pwd.getpwnam(user).pw_uid)
        except KeyError:
            continue
    return uids


def stray_job_processes(s: Settings) -> list[int]:
    uids = _lab_uids(s)
    clusters = {f"SLURM_CLUSTER_NAME={c.name}".encode() for c in CLUSTERS}
    out = []
    for pid in all_pids():
        try:
            if Path(f"/proc/{pid}").stat().st_uid not in uids or proc_gone(pid):
                continue
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(e.startswith(b"SLURM_JOB_ID=") for e in environ) and clusters & set(environ):
            out.append(pid)
    return out


def reap_strays(s: Settings) -> None:
    """Stop job processes of lab users whose job is no longer running anywhere (call with empty queues)."""
    for pid in stray_job_processes(s):
        say(f"terminating stray job process {pid} ({proc_comm(pid)})")
        terminate_pid(pid, 5)
