"""The one-round-trip refresh over real SSH: the demo's jobs with states, GPUs, dependencies and reasons."""

from __future__ import annotations

import asyncio
import time

import pytest

from clausius.core.config_models import ClusterSpec
from clausius.services.app import Services
from clausius.slurm.commands import build_scancel
from clausius.slurm.models import SacctJob, SqueueJob
from clausius.slurm.refresh import RefreshResult, build_refresh_script, parse_refresh
from tests.integration.conftest import run_with

pytestmark = pytest.mark.lab
SESSION_START = time.time() - 600


async def _refresh(services: Services, cluster: str, user: str, since: float = SESSION_START) -> RefreshResult:
    transport = await services.transports.get(cluster)
    script = build_refresh_script(user, since, 0)
    result = await transport.run_script(script.text, timeout=30)
    assert result.rc == 0, result.stderr
    return parse_refresh(result.stdout, result.stderr, script.nonce)


def _by_name(jobs: tuple[SqueueJob, ...] | tuple[SacctJob, ...] | None) -> dict[str, SqueueJob | SacctJob]:
    assert jobs is not None
    return {job.name: job for job in jobs}


@pytest.fixture
def with_users(services: Services) -> Services:
    # The same login nodes, as the other lab users (a team's view); cluster names stay unique.
    for name, host, user in (("alpha-carol", "alpha-login", "carol"), ("beta-bob", "beta-login", "bob")):
        asyncio.run(services.clusters.add(ClusterSpec(name=name, host=host, user=user)))
    return services


def test_refresh_returns_the_demo_jobs_on_both_clusters(with_users: Services, demo: dict[str, dict[str, str]]) -> None:
    services = with_users

    async def scenario() -> dict[str, RefreshResult]:
        await asyncio.sleep(6)  # let the backfill scheduler (bf_interval=5) place the demo
        names = [("alpha", "alice"), ("alpha-carol", "carol"), ("beta", "alice"), ("beta-bob", "bob")]
        results = await asyncio.gather(*(_refresh(services, cluster, user) for cluster, user in names))
        return dict(zip([c for c, _ in names], results, strict=True))

    results = run_with(services, scenario)
    for result in results.values():
        assert result.errors == {} and result.clock is not None
        assert abs(result.clock.epoch - time.time()) < 60

    alice = _by_name(results["alpha"].squeue_jobs)
    alpha = demo["alpha"]
    assert alice["long-sleep"].state == "RUNNING" and alice["long-sleep"].job_id == alpha["long-sleep"]
    needs = alice["needs-long"]
    assert isinstance(needs, SqueueJob)
    assert needs.state == "PENDING" and needs.reason == "Dependency"
    assert [(d.type, d.job_id) for d in needs.dependencies] == [("afterok", alpha["long-sleep"])]
    judge = alice["hle_mpsf_nem120b-r9-judge-rs0"]
    assert isinstance(judge, SqueueJob)
    assert [(d.type, d.job_id) for d in judge.dependencies] == [("afterany", alpha["hle_mpsf_nem120b-r9"])]
    big = alice["big-gpu"]  # which GPU jobs start first depends on fair-share left by earlier runs
    assert big.state in ("RUNNING", "PENDING") and (big.gpus, big.gpu_type) == (8, "h100")
    wait = alice["gpu-wait"]
    assert (wait.gpus, wait.gpu_type) == (4, "h100")
    for job in (big, wait):  # a pending one always carries Slurm's reason (Priority, Resources, ...)
        assert job.state == "RUNNING" or (job.state == "PENDING" and job.reason not in ("", "None"))
    assert "weird|name job" in alice  # a name containing the delimiter survives
    array_ids = {job.job_id for job in results["alpha"].squeue_jobs or () if job.name == "array-job"}
    assert f"{alpha['array-job']}_1" in array_ids

    finished = _by_name(results["alpha"].sacct_jobs)
    fail = finished.get("fail-exit3")
    assert isinstance(fail, SacctJob) and fail.state == "FAILED" and fail.exit_code == 3

    carol = _by_name(results["alpha-carol"].squeue_jobs)
    train, train2 = carol["gpu-train"], carol["gpu-train2"]
    assert (train.gpus, train.gpu_type) == (4, "h100") and (train2.gpus, train2.gpu_type) == (4, "h100")
    for job in (train, train2):
        assert job.state == "RUNNING" or (job.state == "PENDING" and job.reason not in ("", "None"))

    bob_beta = _by_name(results["beta-bob"].squeue_jobs)
    assert bob_beta["beta-gpu"].state == "RUNNING" and (bob_beta["beta-gpu"].gpus, bob_beta["beta-gpu"].gpu_type) == (
        2,
        "a100",
    )
    assert bob_beta["beta-bio-big"].state == "PENDING" and bob_beta["beta-bio-big"].reason == "PartitionConfig"
    assert _by_name(results["beta"].squeue_jobs)["beta-sleep"].state == "RUNNING"


def test_cancel_a_pending_job_and_see_it_cancelled_in_sacct(
    services: Services, demo: dict[str, dict[str, str]]
) -> None:
    job_id = demo["alpha"]["pending-cancel"]

    async def scenario() -> SacctJob | None:
        since = time.time() - 60
        transport = await services.transports.get("alpha")
        result = await transport.run(build_scancel([job_id]), timeout=15)
        assert result.rc == 0, result.stderr
        for _ in range(30):
            refreshed = await _refresh(services, "alpha", "alice", since)
            match = [j for j in refreshed.sacct_jobs or () if j.job_id == job_id]
            if match and match[0].state == "CANCELLED":
                return match[0]
            await asyncio.sleep(1)
        return None

    cancelled = run_with(services, scenario)
    assert cancelled is not None, "the cancelled job never showed up as CANCELLED in sacct"
    assert cancelled.state_detail.startswith("CANCELLED by ")
    assert cancelled.name == "pending-cancel"
