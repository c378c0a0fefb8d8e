"""Item 12 (noise): local processes are never sent to Slurm log inspection, so nothing is logged for them."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import uuid
from pathlib import Path

import pytest

from clausius.bootstrap import Bootstrap
from clausius.core import processes
from clausius.core.config_models import ProcessFilterSpec
from clausius.services.app import Services


def test_a_shown_local_process_causes_no_inspection_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(processes, "MIN_AGE_SEC", 0.0)
    seconds = f"{5000 + uuid.uuid4().int % 4000}.25"
    proc = subprocess.Popen(["sleep", seconds])
    svc = Services.open(
        Bootstrap(data_dir=tmp_path / "data", port=7272, ssh_user="u", ssh_key=tmp_path / "k", source_file=None)
    )
    try:

        async def scenario() -> int:
            await svc.registry.add_filter(ProcessFilterSpec(mode="include", pattern=f"sleep {seconds}"))
            shown = 0
            for _ in range(3):  # several refreshes, as the 15 s loop would do
                board = await svc.board.read(clusters=["local"], force=True)
                shown = sum(len(r.jobs) for p in board.clusters[0].projects for r in p.runs)
                await asyncio.sleep(0.3)  # inspection runs after the refresh
            await svc.aclose()
            return shown

        with caplog.at_level(logging.INFO):
            shown = asyncio.run(scenario())
    finally:
        proc.kill()
        proc.wait(timeout=10)
        svc.close()
    assert shown == 1
    noise = [r.getMessage() for r in caplog.records if "inspection failed" in r.getMessage()]
    assert noise == []
