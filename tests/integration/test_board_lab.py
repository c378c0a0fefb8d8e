"""The live board against the lab: grouping, dependency chains, exact history across downtime, single flight."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from clausius.core.config_models import ClusterSpec
from clausius.services.app import Services
from clausius.services.board_models import Board, BoardJob, PriorityFactors
from clausius.store import jobs_repo
from tests.integration.conftest import lab_bootstrap, run_with
from tests.labkit import Lab

pytestmark = pytest.mark.lab


def _jobs(board: Board, cluster: str) -> dict[str, BoardJob]:
    found = {}
    for c in board.clusters:
        if c.name == cluster:
            for project in c.projects:
                for run in project.runs:
                    for job in run.jobs:
                        found[job.name] = job
    return found


def test_board_groups_the_demo_into_projects_and_dependency_chains(
    services: Services, demo: dict[str, dict[str, str]]
) -> None:
    async def scenario() -> Board:
        await asyncio.sleep(6)  # let the scheduler place the demo (bf_interval=5)
        return await services.board.read(force=True)

    board = run_with(services, scenario)
    assert [c.name for c in board.clusters] == ["alpha", "beta", "local"]  # this machine comes last
    assert all(c.status.state == "live" for c in board.clusters), [c.status for c in board.clusters]
    alpha = next(c for c in board.clusters if c.name == "alpha")
    hle = next(p for p in alpha.projects if p.name == "hle")
    run = next(r for r in hle.runs if r.label.startswith("hle_mpsf_nem120b-r9"))
    chain = [(j.name, j.depth) for j in run.jobs]
    assert chain == [
        ("hle_mpsf_nem120b-r9", 0),
        ("hle_mpsf_nem120b-r9-judge-rs0", 1),
        ("hle_mpsf_nem120b-r9-summarize-results", 2),
    ]
    assert run.jobs[1].depends_on == [demo["alpha"]["hle_mpsf_nem120b-r9"]]
    jobs = _jobs(board, "alpha")
    assert jobs["needs-long"].pending is not None and jobs["needs-long"].pending.blocker == "dependency"
    assert jobs["long-sleep"].can_cancel and not jobs["long-sleep"].can_dismiss
    assert board.counts.running >= 3 and board.counts.pending >= 3
    again = run_with(services, lambda: services.board.read())
    assert again.version == board.version  # nothing changed, so neither did the version (ETag)
    chain_ids = [
        demo["alpha"][n]
        for n in ("hle_mpsf_nem120b-r9", "hle_mpsf_nem120b-r9-judge-rs0", "hle_mpsf_nem120b-r9-summarize-results")
    ]
    stored = services.db.read_sync(lambda c: jobs_repo.get_many(c, "alpha", chain_ids))
    run_ids = {stored[j].run_id for j in chain_ids}
    assert len(run_ids) == 1 and None not in run_ids  # the grouping is persisted with the jobs
    label = services.db.read_sync(
        lambda c: c.execute("SELECT label, project FROM runs WHERE run_id = ?", (next(iter(run_ids)),)).fetchone()
    )
    assert tuple(label) == ("hle_mpsf_nem120b-r9", "hle")


def test_history_is_exact_after_the_service_was_down(lab: Lab, tmp_path: Path, demo: dict[str, dict[str, str]]) -> None:
    data_dir = tmp_path / "data"

    def open_services() -> Services:
        svc = Services.open(lab_bootstrap(lab, data_dir))
        return svc

    first = open_services()
    asyncio.run(first.clusters.add(ClusterSpec(name="alpha", host="alpha-login", user="alice")))
    watched = lab.slurm(
        "alpha",
        "sbatch",
        "--parsable",
        "-D",
        "/home/alice/jobs",
        "-J",
        "watched-then-cancelled",
        "-t",
        "10",
        "--wrap",
        "sleep 600",
    )
    watched_id = watched.stdout.strip()
    assert watched.returncode == 0, watched.stderr
    time.sleep(2)
    board = run_with(first, lambda: first.board.read(force=True))
    assert _jobs(board, "alpha")["watched-then-cancelled"].state in ("PENDING", "RUNNING")
    first.close()  # the service is down from here on

    assert lab.slurm("alpha", "scancel", watched_id).returncode == 0
    unseen = lab.slurm(
        "alpha", "sbatch", "--parsable", "-D", "/home/alice/jobs", "-J", "unseen-quick", "--wrap", "echo done"
    )
    unseen_id = unseen.stdout.strip()
    for _ in range(60):  # wait until accounting has settled both outcomes (slurmdbd learns Eligible late)
        out = lab.slurm(
            "alpha", "sacct", "-X", "-n", "-P", "-o", "JobID,State,Eligible", "-j", f"{watched_id},{unseen_id}"
        )
        rows = [line.split("|") for line in out.stdout.splitlines() if line.count("|") == 2]
        states = {job: (state, eligible) for job, state, eligible in rows}
        unseen_state, watched_state = states.get(unseen_id, ("", "")), states.get(watched_id, ("", ""))
        if (
            unseen_state[0] == "COMPLETED"
            and watched_state[0].startswith("CANCELLED")
            and "Unknown" not in (unseen_state[1], watched_state[1])
        ):
            break
        time.sleep(1)

    second = open_services()  # back up: one refresh must bring history up to date
    try:
        board = run_with(second, lambda: second.board.read(force=True))
        assert board.clusters[0].status.state == "live"
        watched_row = second.db.read_sync(lambda c: jobs_repo.get(c, "alpha", watched_id))
        unseen_row = second.db.read_sync(lambda c: jobs_repo.get(c, "alpha", unseen_id))
        assert watched_row is not None and watched_row.state == "CANCELLED" and watched_row.pinned
        assert (watched_row.state_detail or "").startswith("CANCELLED by")
        assert unseen_row is not None and unseen_row.state == "COMPLETED" and not unseen_row.pinned
        assert _jobs(board, "alpha")["watched-then-cancelled"].can_dismiss
        assert "unseen-quick" not in _jobs(board, "alpha")  # history only: it never was on the board
    finally:
        second.close()


def test_twenty_concurrent_readers_cause_one_refresh_per_interval(services: Services, lab: Lab) -> None:
    asyncio.run(services.settings.set("poll_interval_sec", 5))

    async def scenario() -> tuple[int, int, float]:
        await services.board.start_polling()
        agent = await services.board.agent("alpha")
        await agent.refresh()
        before = agent.status().refreshes
        rpc_before = await asyncio.to_thread(lab.squeue_rpcs, "alpha")
        start = time.monotonic()

        async def reader() -> int:
            reads = 0
            while time.monotonic() - start < 16:
                await services.board.read(clusters=["alpha"])
                reads += 1
                await asyncio.sleep(0.2)
            return reads

        reads = sum(await asyncio.gather(*(reader() for _ in range(20))))
        rpc_after = await asyncio.to_thread(lab.squeue_rpcs, "alpha")
        return agent.status().refreshes - before, rpc_after - rpc_before, reads

    refreshes, rpcs, reads = run_with(services, scenario)
    assert reads > 500  # the readers really read, concurrently, the whole time
    assert 2 <= refreshes <= 4  # 16 s at a 5 s interval: the same as for one reader
    assert 1 <= rpcs <= refreshes + 1  # slurmctld saw one squeue per refresh, not one per reader


def test_pending_job_explained_with_reason_estimate_and_priority_factors(
    services: Services, lab: Lab, demo: dict[str, dict[str, str]]
) -> None:
    # Both GPU nodes, exclusively, while the demo's GPU jobs hold them: it must wait for resources.
    submitted = lab.slurm(
        "alpha",
        "sbatch",
        "--parsable",
        "-D",
        "/home/alice/jobs",
        "-J",
        "needs-both-gpu-nodes",
        "-p",
        "gpu",
        "-N",
        "2",
        "--exclusive",
        "--gres=gpu:h100:8",
        "-t",
        "10",
        "--wrap",
        "sleep 60",
    )
    job_id = submitted.stdout.strip()
    assert submitted.returncode == 0, submitted.stderr
    time.sleep(6)  # one backfill pass (bf_interval=5) sets the reason and a start estimate
    try:

        async def scenario() -> tuple[BoardJob, PriorityFactors, PriorityFactors]:
            board = await services.board.read(force=True)
            waiting = await services.board.pending_details("alpha", job_id)
            dependent = await services.board.pending_details("alpha", demo["alpha"]["needs-long"])
            return _jobs(board, "alpha")["needs-both-gpu-nodes"], waiting, dependent

        job, waiting, dependent = run_with(services, scenario)
    finally:
        lab.slurm("alpha", "scancel", job_id)
    assert job.state == "PENDING" and job.pending is not None and job.pending.blocker in ("resources", "priority")
    assert waiting.pending is not None and waiting.pending.short == job.pending.short
    assert waiting.priority is not None and waiting.priority > 0  # sprio's factors for this very job
    assert waiting.fairshare is not None and waiting.age is not None
    assert dependent.pending is not None and dependent.pending.blocker == "dependency"
    assert dependent.priority is None and dependent.note  # sprio lists no dependency-blocked jobs: said so
