"""Smoke test for the real Slurm lab (scripts/slurm-lab): both clusters answer, GPUs are there, SSH works.

Skips when the lab is not running, except in CI (CI=true), where a missing lab is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "scripts" / "slurm-lab"
NOT_RUNNING = "lab not running: run `sudo scripts/slurm-lab up`"
EXPECTED_NODES = {
    "alpha": {"alpha-cpu1": "(null)", "alpha-gpu1": "gpu:h100:8", "alpha-gpu2": "gpu:h100:8"},
    "beta": {"beta-cpu1": "(null)", "beta-gpu1": "gpu:a100:4"},
}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _lab_json(*args: str) -> dict[str, Any] | None:
    try:
        proc = subprocess.run(
            [sys.executable, str(LAB), *args, "--json"], capture_output=True, text=True, timeout=60, check=False
        )
        data = json.loads(proc.stdout)
    except (subprocess.TimeoutExpired, json.JSONDecodeError, OSError):
        return None
    return data if isinstance(data, dict) else None


@pytest.fixture(scope="module")
def lab() -> dict[str, Any]:
    status = _lab_json("status")
    if status is None or not status.get("up"):
        down = [] if status is None else [n for n, d in status.get("daemons", {}).items() if not d.get("alive")]
        detail = f" (down: {', '.join(down)})" if down else ""
        if _in_ci():
            pytest.fail(NOT_RUNNING + detail)
        pytest.skip(NOT_RUNNING)
    env = _lab_json("env")
    assert env is not None, "`slurm-lab env --json` printed no JSON"
    return env


def _slurm(lab: dict[str, Any], cluster: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SLURM_CONF=lab["clusters"][cluster]["slurm_conf"], SLURM_TIME_FORMAT="standard")
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=30, env=env, check=False)


def test_env_json_describes_both_login_nodes(lab: dict[str, Any]) -> None:
    assert lab["ssh_port"] == 2222
    assert lab["users"] == ["alice", "bob", "carol"]
    assert lab["clusters"]["alpha"]["login_host"] == "127.0.0.2"
    assert lab["clusters"]["beta"]["login_alias"] == "beta-login"
    for key in ("ssh_key", "ssh_config", "known_hosts"):
        assert Path(lab[key]).is_file(), key


@pytest.mark.parametrize("cluster", ["alpha", "beta"])
def test_slurmctld_answers(lab: dict[str, Any], cluster: str) -> None:
    proc = _slurm(lab, cluster, "scontrol", "ping")
    assert proc.returncode == 0, proc.stderr
    assert " UP" in proc.stdout


@pytest.mark.parametrize("cluster", ["alpha", "beta"])
def test_sinfo_shows_nodes_with_gpus(lab: dict[str, Any], cluster: str) -> None:
    proc = _slurm(lab, cluster, "sinfo", "-N", "-h", "-o", "%N %G")
    assert proc.returncode == 0, proc.stderr
    seen = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if line.strip())
    assert seen == EXPECTED_NODES[cluster]


def test_ssh_to_login_node_runs_squeue(lab: dict[str, Any]) -> None:
    proc = subprocess.run(
        ["ssh", "-F", lab["ssh_config"], "alice@alpha-login", "squeue", "-h"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
