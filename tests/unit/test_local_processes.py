"""The `local` pseudo-cluster: matching long-running processes, and killing only those it shows."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from clausius.bootstrap import Bootstrap
from clausius.core import processes
from clausius.core.config_models import ProcessFilterSpec
from clausius.services.app import Services


@pytest.mark.parametrize(
    ("cmdline", "include", "exclude", "shown"),
    [
        ("python train.py --lr 3e-4", ["train.py"], [], True),
        ("python TRAIN.py", ["train.py"], [], True),
        ("python train.py", ["train.py"], ["python"], False),
        ("vim notes.md", ["train.py"], [], False),
        ("python train.py", [], [], False),  # no include filter: nothing is shown
    ],
)
def test_filters(cmdline: str, include: list[str], exclude: list[str], shown: bool) -> None:
    assert processes.matches(cmdline, include, exclude) is shown


def test_ids_and_names() -> None:
    assert processes.parse_process_job_id(processes.process_job_id(42)) == 42
    assert processes.parse_process_job_id("42") is None and processes.parse_process_job_id("pid-x") is None
    assert processes.short_command(["a" * 100], limit=10) == "a" * 9 + "…"


def test_local_board_shows_matching_processes_and_kills_only_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processes, "MIN_AGE_SEC", 0.0)
    seconds = f"{5000 + uuid.uuid4().int % 4000}.5"  # a unique command line: `sleep NNNN.5`
    marker = f"sleep {seconds}"
    proc = subprocess.Popen(["sleep", seconds])
    other = subprocess.Popen(["sleep", "120"])
    svc = Services.open(
        Bootstrap(data_dir=tmp_path / "data", port=7272, ssh_user="u", ssh_key=tmp_path / "k", source_file=None)
    )
    try:

        async def scenario() -> tuple[list[str], str, str]:
            await svc.registry.add_filter(ProcessFilterSpec(mode="include", pattern=marker))
            board = await svc.board.read(clusters=["local"], force=True)
            local = board.clusters[0]
            names = [j.name for p in local.projects for r in p.runs for j in r.jobs]
            refused = await svc.board.cancel("local", [processes.process_job_id(other.pid)])
            assert refused.cancelled == [] and "not on the board" in refused.errors[processes.process_job_id(other.pid)]
            outcome = await svc.board.cancel("local", [processes.process_job_id(proc.pid)])
            await svc.aclose()
            return names, local.status.state, ",".join(outcome.cancelled)

        names, state, cancelled = asyncio.run(scenario())
        assert state == "live"
        assert len(names) == 1 and marker in names[0]
        assert cancelled == processes.process_job_id(proc.pid)
        assert proc.wait(timeout=10) != 0  # terminated by SIGTERM
        time.sleep(0.2)
        assert other.poll() is None  # a process the board does not show is never touched
    finally:
        for p in (proc, other):
            p.kill()
            p.wait(timeout=10)
        svc.close()
