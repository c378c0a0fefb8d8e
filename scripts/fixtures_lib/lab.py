"""Running commands on the lab as its users, and saving what they print as fixtures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from clausius.slurm.timeparse import parse_clock

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "scripts" / "slurm-lab"
FIXTURES = ROOT / "tests" / "fixtures" / "slurm" / "22.05"
RUNUSER = "/usr/sbin/runuser"

# Each cluster's commands run in a different zone, so the fixtures prove that
# times are converted with the offset recorded beside them (not the host's).
ZONES = {"alpha": "Europe/Berlin", "beta": "Asia/Kolkata"}


def say(message: str) -> None:
    print(f"record-fixtures: {message}", file=sys.stderr, flush=True)


@dataclass
class Lab:
    env: dict[str, object]
    demo: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Lab:
        proc = subprocess.run([str(LAB), "env", "--json"], capture_output=True, text=True, check=True)
        return cls(env=json.loads(proc.stdout))

    def cluster(self, name: str) -> dict[str, object]:
        clusters = self.env["clusters"]
        assert isinstance(clusters, dict)
        info = clusters[name]
        assert isinstance(info, dict)
        return info

    @property
    def ssh_config(self) -> str:
        return str(self.env["ssh_config"])

    def job(self, cluster: str, name: str) -> str:
        return self.demo[cluster][name]


@dataclass
class Recorded:
    argv: list[str]
    exit_code: int
    stdout: str
    stderr: str
    clock: str
    meta: dict[str, object] = field(default_factory=dict)


def user_env(lab: Lab, cluster: str) -> list[str]:
    return [
        f"SLURM_CONF={lab.cluster(cluster)['slurm_conf']}",
        "SLURM_TIME_FORMAT=standard",
        f"TZ={ZONES[cluster]}",
        "LANG=C.UTF-8",
    ]


def as_user(lab: Lab, cluster: str, user: str, argv: list[str], *, stdin: str | None = None) -> Recorded:
    """`runuser -u USER -- env SLURM_CONF=… SLURM_TIME_FORMAT=standard TZ=… <argv>`, plus the clock just before."""
    prefix = [RUNUSER, "-u", user, "--", "env", *user_env(lab, cluster)]
    home = Path("/home") / user
    clock = subprocess.run(
        [*prefix, "date", "+%s%z"], capture_output=True, text=True, check=True, cwd=home
    ).stdout.strip()
    proc = subprocess.run(
        [*prefix, *argv], input=stdin, capture_output=True, text=True, check=False, cwd=home, timeout=60
    )
    return Recorded(argv=argv, exit_code=proc.returncode, stdout=proc.stdout, stderr=proc.stderr, clock=clock)


def via_ssh(lab: Lab, cluster: str, user: str, remote: str, script: str) -> Recorded:
    """`ssh -F <lab config> USER@<cluster>-login '<remote>'` with `script` on stdin."""
    alias = str(lab.cluster(cluster)["login_alias"])
    argv = ["ssh", "-F", lab.ssh_config, f"{user}@{alias}", remote]
    started = time.time()
    proc = subprocess.run(argv, input=script, capture_output=True, text=True, check=False, timeout=60)
    return Recorded(
        argv=argv,
        exit_code=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        clock=f"{int(started)}+0000",
        meta={"clock_is_local_host": True},
    )


def save(command: str, name: str, rec: Recorded, **meta: object) -> Path:
    """tests/fixtures/slurm/22.05/<command>/<name>.{out,err,json}."""
    folder = FIXTURES / command
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / name
    base.with_suffix(".out").write_text(rec.stdout)
    base.with_suffix(".err").write_text(rec.stderr)
    epoch, offset_sec = parse_clock(rec.clock)
    info = {
        "argv": rec.argv,
        "exit_code": rec.exit_code,
        "clock": rec.clock,
        "epoch": epoch,
        "utc_offset_sec": offset_sec,
        "slurm_version": "22.05",
        **rec.meta,
        **meta,
    }
    base.with_suffix(".json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    say(f"{command}/{name}: exit {rec.exit_code}, {len(rec.stdout.splitlines())} line(s)")
    return base


def submit(lab: Lab, cluster: str, user: str, args: list[str], script: str) -> str:
    """sbatch --parsable as a lab user; returns the job id (for the recorder's own `fixture-*` jobs)."""
    rec = as_user(lab, cluster, user, ["sbatch", "--parsable", *args], stdin=script)
    if rec.exit_code != 0:
        raise RuntimeError(f"sbatch {args} failed: {rec.stderr.strip()}")
    return rec.stdout.strip().split(";")[0]


def environ_ok() -> bool:
    return os.geteuid() == 0 and Path(RUNUSER).exists()
