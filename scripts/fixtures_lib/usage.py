"""sacct usage records (`clausius.slurm.usage.build_sacct_usage`) of the recorder's own jobs.

Self-contained: it submits its own `fixture-usage-*` jobs as alice on alpha (it never
touches the demo or anyone else's jobs), records `sacct-usage/alpha-<scenario>`, and
cancels what it submitted. `scripts/record-fixtures --only usage` runs just this part,
so it can be re-recorded while others use the lab.
"""

from __future__ import annotations

import time

from clausius.slurm import commands
from clausius.slurm.usage import build_sacct_usage

from .lab import Lab, as_user, save, say, submit
from .phases import wait_for_state

# CPU and memory use the 5 s accounting sampler can see: each step runs for > 5 s.
# The program travels in a shell variable (no temporary file): `python3 -c "$BURN" MB SECONDS`.
_BURN = (
    "import sys, time\n"
    "mb, secs = int(sys.argv[1]), float(sys.argv[2])\n"
    "block = bytearray(mb * 1024 * 1024); block[::4096] = b'x' * len(block[::4096])\n"
    "end = time.time() + secs\n"
    "while time.time() < end: pass\n"
)
_HEAD = f"#!/bin/bash\nBURN=$(cat <<'EOF'\n{_BURN}EOF\n)\n"
STEPS = _HEAD + 'srun -n1 python3 -c "$BURN" 60 6\nsrun -n2 python3 -c "$BURN" 20 6\n'
FAIL = _HEAD + 'python3 -c "$BURN" 30 6\npython3 -c \'raise ValueError("bad input")\'\n'
OOM = _HEAD + 'python3 -c "$BURN" 600 30\n'
RUNNING = _HEAD + 'python3 -c "$BURN" 40 300\n'
SHORT = "#!/bin/bash\nsleep 2\n"
FINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY"}
COMMON = ["-D", "/home/alice", "-o", "/dev/null", "-t", "5"]


def record(lab: Lab) -> None:
    """Submit, wait, record every scenario, cancel the recorder's own jobs."""
    specs = {
        "fixture-usage-steps": (["-n2", "--mem-per-cpu=150M"], STEPS),
        "fixture-usage-fail": (["--mem=200M"], FAIL),
        "fixture-usage-oom": (["--mem=100M"], OOM),
        "fixture-usage-running": (["-c2", "--mem=500M"], RUNNING),
        "fixture-usage-held-gpu": (["-p", "gpu", "--gres=gpu:h100:2", "-H"], SHORT),
        "fixture-usage-array": (["--array=1-2"], SHORT),
    }
    ids = {
        name: submit(lab, "alpha", "alice", ["-J", name, *COMMON, *args], body) for name, (args, body) in specs.items()
    }
    say(f"usage jobs: {ids}")
    try:
        _record(lab, ids)
    finally:
        rec = as_user(lab, "alpha", "alice", commands.build_scancel(list(ids.values())))
        say(f"cancelled usage jobs: exit {rec.exit_code} {rec.stderr.strip()}")


def _save(lab: Lab, scenario: str, job_id: str, **meta: object) -> None:
    rec = as_user(lab, "alpha", "alice", build_sacct_usage(job_id))
    save("sacct-usage", f"alpha-{scenario}", rec, cluster="alpha", user="alice", job_id=job_id, **meta)


def _record(lab: Lab, ids: dict[str, str]) -> None:
    running = ids["fixture-usage-running"]
    wait_for_state(lab, "alpha", "alice", running, {"RUNNING"}, 60)
    time.sleep(8)  # two accounting samples
    _save(lab, "running", running, job_name="fixture-usage-running")
    _save(lab, "held-gpu", ids["fixture-usage-held-gpu"], job_name="fixture-usage-held-gpu")
    for name, scenario in (
        ("fixture-usage-steps", "steps"),
        ("fixture-usage-fail", "failed"),
        ("fixture-usage-oom", "oom"),
    ):
        state = wait_for_state(lab, "alpha", "alice", ids[name], FINAL, 120)
        say(f"{name}: {state}")
        _save(lab, scenario, ids[name], job_name=name)
    array = ids["fixture-usage-array"]
    wait_for_state(lab, "alpha", "alice", f"{array}_2", FINAL, 60)
    _save(lab, "array", array, job_name="fixture-usage-array")
    _save(lab, "array-task", f"{array}_1", job_name="fixture-usage-array")
    rec = as_user(lab, "alpha", "alice", commands.build_scancel([running]))
    say(f"cancel fixture-usage-running: exit {rec.exit_code}")
    wait_for_state(lab, "alpha", "alice", running, FINAL, 60)
    _save(lab, "cancelled", running, job_name="fixture-usage-running")
    _save(lab, "unknown", "999999")
