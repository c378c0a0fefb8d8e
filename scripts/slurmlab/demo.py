"""The demo workload (recipe §7 plus crash-classification jobs). stdout: one JSON object {cluster: {name: id}}."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from .jobprocs import cancel_all, queued_ids, reap_strays, wait_queues_empty
from .settings import CLUSTERS, TIME_FORMAT, Settings
from .users import jobs_dir
from .util import LabError, make_dir, run, say, write_file

TRAIN_PY = """\
import time

for epoch in range(2):
    print(f"epoch {epoch}: loss={1.0 / (epoch + 1):.3f}", flush=True)
    time.sleep(1)
with open("/nonexistent/config.json") as fh:
    print(fh.read())
"""

TICKS = 'for i in $(seq 1 1800); do echo "tick $i"; sleep 1; done'
GPU_BODY = 'echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"; sleep 3600'
# Writes every page of ~1.5 GB so RSS really grows; jobacct_gather samples every 5 s (OverMemoryKill).
OOM_BODY = 'python3 -c \'import time; b = b"x" * (1536 << 20); print("allocated 1.5 GB", flush=True); time.sleep(120)\''
# exec: the batch step itself dies from SIGSEGV (ExitCode 0:11); faulthandler writes a "Segmentation fault" line.
SEGV_BODY = "echo 'loading native extension'; exec python3 -X faulthandler -c 'import ctypes; ctypes.string_at(0)'"
CHAIN = "hle_mpsf_nem120b-r9"
RUNUSER = "/usr/sbin/runuser"  # absolute: the job environment's PATH has no sbin


@dataclass(frozen=True)
class Job:
    cluster: str
    user: str
    name: str
    opts: tuple[str, ...]
    body: str
    after: tuple[str, str] | None = None  # (dependency type, name of an earlier job)


def workload() -> list[Job]:
    gpu4 = ("-p", "gpu", "--gres=gpu:h100:4", "-c", "16", "--mem=64G")
    return [
        # recipe §7, in its order (the order shapes which jobs run and which wait)
        Job("alpha", "alice", "long-sleep", ("-t", "30"), TICKS),
        Job("alpha", "alice", "needs-long", (), "echo 'long-sleep done'; sleep 60", ("afterok", "long-sleep")),
        Job(
            "alpha",
            "alice",
            "fail-exit3",
            ("-o", "fail-%j.out"),
            "echo 'reading input'\necho 'fatal: bad input' >&2\nexit 3",
        ),
        Job("alpha", "alice", "py-traceback", ("-o", "tb-%j.out", "-e", "tb-%j.err"), "python3 train.py"),
        Job("alpha", "bob", "chem-md", ("-n", "4", "--mem=8G", "-t", "120"), "echo 'md run'; sleep 3600"),
        Job("alpha", "carol", "gpu-train", gpu4, GPU_BODY),
        Job("alpha", "carol", "gpu-train2", gpu4, GPU_BODY),
        Job("alpha", "carol", "gpu-over-cap", ("-p", "gpu", "--gres=gpu:h100:2"), GPU_BODY),
        Job("alpha", "alice", "big-gpu", ("-A", "physics", "-p", "gpu", "--gres=gpu:h100:8", "--exclusive"), GPU_BODY),
        Job("alpha", "alice", "gpu-wait", ("-A", "physics", "-p", "gpu", "--gres=gpu:h100:4"), GPU_BODY),
        Job("alpha", "bob", "gpu-wait-hi", ("-A", "physics", "-q", "high", "-p", "gpu", "--gres=gpu:h100:2"), GPU_BODY),
        Job("alpha", "bob", "held-job", ("-H",), "sleep 60"),
        Job(
            "alpha",
            "alice",
            "array-job",
            ("-a", "1-4%2", "-o", "array-%A_%a.out"),
            'echo "task $SLURM_ARRAY_TASK_ID"; sleep 300',
        ),
        Job("beta", "alice", "beta-sleep", ("-t", "60"), "sleep 1800"),
        Job("beta", "bob", "beta-gpu", ("-p", "gpu", "--gres=gpu:a100:2"), GPU_BODY),
        Job("beta", "bob", "beta-bio-big", ("-n", "20"), "sleep 60"),
        Job("beta", "alice", "beta-quick", (), "echo done"),
        # crash-classification and naming-protocol jobs
        Job("alpha", "alice", "oom-job", ("--mem=200M", "-t", "5"), OOM_BODY),
        Job("alpha", "alice", "segfault-job", ("-t", "5"), SEGV_BODY),
        Job("alpha", "alice", "timeout-job", ("-t", "1"), "echo 'sleeping past the limit'; sleep 300"),
        Job("alpha", "alice", "pending-cancel", (), "sleep 60", ("afterok", "long-sleep")),
        Job("alpha", "alice", CHAIN, (), "echo 'generating'; sleep 600"),
        Job("alpha", "alice", f"{CHAIN}-judge-rs0", (), "echo 'judging'; sleep 60", ("afterany", CHAIN)),
        Job("alpha", "alice", f"{CHAIN}-summarize-results", (), "echo 'summary'", ("afterany", f"{CHAIN}-judge-rs0")),
        Job("alpha", "alice", "weird|name job", (), "sleep 600"),
    ]


def _user_env(s: Settings, cluster: str) -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "SLURM_CONF": str(s.slurm_conf(cluster)),
        "SLURM_TIME_FORMAT": TIME_FORMAT,
    }


def clear_previous(s: Settings) -> None:
    """Repeated demos must not pile up: cancel every lab user's job on both clusters first."""
    clusters = [c.name for c in CLUSTERS]
    if not any(queued_ids(s, c, users=True) for c in clusters):
        return
    n = cancel_all(s, clusters, users_only=True)
    say(f"scancel sent for {n} job id(s) left by a previous demo")
    if not wait_queues_empty(s, clusters, 60, users_only=True):
        raise LabError("previous demo jobs did not leave the queue within 60s")
    reap_strays(s)


def submit(s: Settings, job: Job, ids: dict[str, dict[str, str]]) -> str:
    argv = [RUNUSER, "-u", job.user, "--", "env", *(f"{k}={v}" for k, v in _user_env(s, job.cluster).items())]
    argv += ["sbatch", "--parsable", "-J", job.name, *job.opts]
    if job.after is not None:
        kind, target = job.after
        if target not in ids[job.cluster]:
            raise LabError(f"{job.name!r} depends on {target!r}, which was not submitted")
        argv.append(f"--dependency={kind}:{ids[job.cluster][target]}")
    script = f"#!/bin/bash\n# slurm-lab demo job {job.name}\n{job.body}\n"
    proc = run(argv, input_text=script, cwd=jobs_dir(job.user), timeout=30, env=_user_env(s, job.cluster), check=False)
    if proc.returncode != 0:
        raise LabError(f"sbatch of {job.name!r} on {job.cluster} as {job.user} failed: {proc.stderr.strip()}")
    return proc.stdout.strip().split(";")[0]


def demo(s: Settings) -> int:
    clear_previous(s)
    for user in s.users:
        jobs = jobs_dir(user)
        make_dir(jobs, owner=user, mode=0o755)
        write_file(jobs / "train.py", TRAIN_PY, owner=user, mode=0o644)
    ids: dict[str, dict[str, str]] = {c.name: {} for c in CLUSTERS}
    failures = 0
    for job in workload():
        try:
            ids[job.cluster][job.name] = submit(s, job, ids)
        except LabError as exc:
            failures += 1
            say(f"FAILED: {exc}")
            continue
        say(f"{job.cluster}: {job.name} -> {ids[job.cluster][job.name]} ({job.user})")
    text = json.dumps(ids, indent=2)
    write_file(s.demo_json, text + "\n")
    sys.stdout.write(text + "\n")
    say(f"submitted {sum(len(v) for v in ids.values())} job(s); ids also in {s.demo_json}")
    return 1 if failures else 0
