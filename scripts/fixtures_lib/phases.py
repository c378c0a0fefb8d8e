"""What gets recorded, moment by moment. Every argv comes from clausius.slurm.commands."""

from __future__ import annotations

import functools
import json
import subprocess
import time
from pathlib import Path

from clausius.slurm import commands
from clausius.slurm.refresh import build_refresh_script
from clausius.slurm.timeparse import parse_clock

from .lab import FIXTURES, LAB, Lab, as_user, save, say, submit, via_ssh

USERS = {"alpha": ("alice", "bob", "carol"), "beta": ("alice", "bob")}


def run_demo(lab: Lab) -> None:
    proc = subprocess.run([str(LAB), "demo"], capture_output=True, text=True, check=False, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"slurm-lab demo failed: {proc.stderr.strip()[-500:]}")
    lab.demo = json.loads(proc.stdout)
    say(f"demo submitted: {json.dumps(lab.demo)}")


def load_demo(lab: Lab) -> float:
    """Use the demo already submitted (its ids from demo.json); returns when it was submitted."""
    path = Path(str(lab.env["demo_json"]))
    lab.demo = json.loads(path.read_text())
    say(f"using the running demo from {path}: {json.dumps(lab.demo)}")
    return path.stat().st_mtime - 10


def snapshot(lab: Lab, moment: str, since: float) -> None:
    """Listings for every user and cluster: squeue, sacct since the demo, squeue --start."""
    for cluster, users in USERS.items():
        for user in users:
            rec = as_user(lab, cluster, user, commands.build_squeue_user(user))
            save("squeue", f"{cluster}-{user}-{moment}", rec, user=user, cluster=cluster)
            now, offset = parse_clock(rec.clock)
            rec = as_user(lab, cluster, user, commands.build_sacct_since(user, since, offset, now_epoch=now))
            save("sacct", f"{cluster}-{user}-{moment}", rec, user=user, cluster=cluster, since_epoch=since)
            rec = as_user(lab, cluster, user, commands.build_squeue_start(user))
            save("squeue-start", f"{cluster}-{user}-{moment}", rec, user=user, cluster=cluster)
        rec = as_user(lab, cluster, "alice", commands.build_squeue_user("alice", include_finished=True))
        save("squeue", f"{cluster}-alice-{moment}-all-states", rec, user="alice", cluster=cluster)


def cluster_views(lab: Lab, moment: str) -> None:
    for cluster in USERS:
        save("sinfo", f"{cluster}-{moment}", as_user(lab, cluster, "alice", commands.build_sinfo()), cluster=cluster)
        save("sprio", f"{cluster}-{moment}", as_user(lab, cluster, "alice", commands.build_sprio()), cluster=cluster)
        rec = as_user(lab, cluster, "bob", commands.build_sprio(user="bob"))
        save("sprio", f"{cluster}-bob-{moment}", rec, cluster=cluster, user="bob")
        rec = as_user(lab, cluster, "alice", commands.build_sshare(all_users=True))
        save("sshare", f"{cluster}-all-{moment}", rec, cluster=cluster)
        rec = as_user(lab, cluster, "bob", commands.build_sshare(users=["bob"]))
        save("sshare", f"{cluster}-bob-{moment}", rec, cluster=cluster, user="bob")


def scontrol(lab: Lab, cluster: str, user: str, job: str, name: str, **meta: object) -> None:
    rec = as_user(lab, cluster, user, commands.build_scontrol_job(job))
    save("scontrol", f"{cluster}-{name}", rec, cluster=cluster, user=user, job_id=job, **meta)


def initial_details(lab: Lab) -> None:
    a = functools.partial(lab.job, "alpha")
    scontrol(lab, "alpha", "alice", a("long-sleep"), "running", job_name="long-sleep")
    scontrol(lab, "alpha", "alice", a("needs-long"), "pending-dependency", job_name="needs-long")
    scontrol(lab, "alpha", "alice", f"{a('array-job')}_1", "array-task", job_name="array-job")
    scontrol(lab, "alpha", "alice", a("array-job"), "array-all", job_name="array-job")
    scontrol(lab, "alpha", "bob", a("held-job"), "held", job_name="held-job")
    scontrol(lab, "alpha", "carol", a("gpu-train"), "gpu-running", job_name="gpu-train")
    scontrol(lab, "alpha", "alice", a("weird|name job"), "weird-name", job_name="weird|name job")
    scontrol(lab, "beta", "bob", lab.job("beta", "beta-bio-big"), "partition-config", job_name="beta-bio-big")
    for user, name in (("alice", "long-sleep"), ("carol", "gpu-train")):
        rec = as_user(lab, "alpha", user, commands.build_sstat(a(name)))
        save("sstat", f"alpha-{name}", rec, cluster="alpha", user=user, job_name=name)


def refresh(lab: Lab, cluster: str, user: str, name: str, since: float, offset_hint: int, zone: str | None) -> None:
    script = build_refresh_script(user, since, offset_hint)
    remote = "bash -l -s" if zone is None else f"TZ={zone} bash -l -s"
    rec = via_ssh(lab, cluster, user, remote, script.text)
    save(
        "refresh",
        f"{cluster}-{user}-{name}",
        rec,
        cluster=cluster,
        user=user,
        nonce=script.nonce,
        since_epoch=script.since_epoch,
        script=script.text,
    )


# Components of a het job never share a node: on `debug` (all nodes) both can start.
FIXTURE_HET = "#!/bin/bash\n#SBATCH -p debug -n1 -t 5\n#SBATCH hetjob\n#SBATCH -p debug -n1\nsleep 240\n"
FIXTURE_SLEEP = "#!/bin/bash\nsleep 240\n"


def fixture_jobs(lab: Lab) -> dict[str, str]:
    """The recorder's own jobs (names start with `fixture-`): het job, newline name, per-job GPUs, requeue."""
    specs = {
        # first, so nothing queued before it keeps it from starting (it must run to be requeued)
        "fixture-requeue": (["-J", "fixture-requeue", "-p", "debug", "-t", "5", "--requeue"], FIXTURE_SLEEP),
        "fixture-het": (["-J", "fixture-het"], FIXTURE_HET),
        "fixture-newline": (["-J", "fixture-new\nline", "-t", "5", "-H"], FIXTURE_SLEEP),
        "fixture-gpus": (["-J", "fixture-gpus", "-p", "gpu", "--gpus=2", "-H"], FIXTURE_SLEEP),
        "fixture-gpn": (["-J", "fixture-gpn", "-p", "gpu", "-N", "2", "--gpus-per-node=3", "-H"], FIXTURE_SLEEP),
        # queued behind an identical waiting job: pending with reason Priority (cancelled at the end)
        "fixture-priority": (["-J", "fixture-priority", "-p", "gpu", "--gres=gpu:h100:8", "-t", "5"], FIXTURE_SLEEP),
    }
    ids = {name: submit(lab, "alpha", "alice", args, body) for name, (args, body) in specs.items()}
    say(f"fixture jobs: {ids}")
    return ids


def save_ids(lab: Lab, own: dict[str, str]) -> None:
    """Job name → id of this recording (tests look jobs up by name, so a re-recording keeps them valid)."""
    ids = {cluster: dict(jobs) for cluster, jobs in lab.demo.items()}
    ids["alpha"].update(own)
    path = FIXTURES / "jobs.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ids, indent=2, sort_keys=True) + "\n")


def wait_for_state(lab: Lab, cluster: str, user: str, job: str, states: set[str], limit: float) -> str:
    deadline = time.time() + limit
    state = ""
    while time.time() < deadline:
        rec = as_user(lab, cluster, user, commands.build_sacct_jobs(user, [job]))
        rows = [ln.split("|") for ln in rec.stdout.splitlines() if ln.strip()]
        state = rows[-1][6].split()[0] if rows else ""
        if state in states:
            return state
        time.sleep(3)
    return state
