"""GPU counts from TRES for every way of asking for GPUs (issue: `--gpus=N` was counted as 0).

On the lab, four held jobs ask for GPUs four ways; the board shows each count while they pend,
and after they are cancelled the history (from sacct's ReqTRES) keeps the same counts.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from clausius.services.app import Services
from clausius.store import jobs_repo
from tests.integration.conftest import run_with
from tests.labkit import Lab

pytestmark = pytest.mark.lab

REQUESTS = {  # sbatch options → GPUs the job holds
    "--gpus=2": (["--gpus=2"], 2),
    "--gres=gpu:2": (["--gres=gpu:2"], 2),
    "--gres=gpu:h100:2": (["--gres=gpu:h100:2"], 2),
    "--gpus-per-node=2 -N 2": (["--gpus-per-node=2", "-N", "2"], 4),
}


def test_every_gpu_request_is_counted_pending_and_in_history(services: Services, lab: Lab) -> None:
    ids: dict[str, str] = {}
    for label, (options, _) in REQUESTS.items():
        out = lab.slurm(
            "alpha", "sbatch", "--parsable", "-H", "-p", "gpu", "-J", "gpu-count", *options, "--wrap", "true"
        )
        assert out.returncode == 0, (label, out.stderr)
        ids[label] = out.stdout.strip().split(";")[0]
    expected = {ids[label]: gpus for label, (_, gpus) in REQUESTS.items()}
    try:

        async def pending() -> dict[str, int | None]:
            board = await services.board.read(clusters=["alpha"], force=True)
            jobs = [j for c in board.clusters for p in c.projects for r in p.runs for j in r.jobs]
            return {j.job_id: j.gpus for j in jobs if j.job_id in expected}

        assert run_with(services, pending) == expected
    finally:
        assert lab.slurm("alpha", "scancel", *ids.values()).returncode == 0

    async def in_history() -> dict[str, int | None]:
        deadline = time.monotonic() + 90
        while True:
            await services.board.read(clusters=["alpha"], force=True)  # finalises what left the queue
            rows = await services.db.read(lambda c: jobs_repo.get_many(c, "alpha", list(expected)))
            final = {job_id: row.gpus for job_id, row in rows.items() if row.finalised_at is not None}
            if len(final) == len(expected) or time.monotonic() > deadline:
                return final
            await asyncio.sleep(2)

    assert run_with(services, in_history) == expected
