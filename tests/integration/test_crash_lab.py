"""Real failures on the lab get the right final state and crash class on the board."""

from __future__ import annotations

import asyncio
import time

import pytest

from clausius.core.job_record import JobRow
from clausius.services.app import Services
from clausius.services.inspection import MAX_PATH_LOOKUPS
from clausius.store import jobs_repo
from tests.integration.conftest import run_with
from tests.labkit import Lab

pytestmark = pytest.mark.lab

JOBS = {
    "crash-oom": [
        "--mem=200M",
        "--wrap",
        'python3 -c \'import time; b = bytearray(1500 * 1024 * 1024); b[::4096] = b"x" * len(b[::4096]); '
        "time.sleep(60)'",
    ],
    "crash-segfault": ["--wrap", "exec python3 -X faulthandler -c 'import ctypes; ctypes.string_at(0)'"],
    "crash-traceback": ["--wrap", "python3 -c 'open(\"/nonexistent/config.json\")'"],
    "crash-timeout": ["-t", "1", "--wrap", "sleep 300"],
    "crash-exit": ["--wrap", "echo working; echo 'fatal: bad input' >&2; exit 3"],
}


def _submit(lab: Lab, name: str, args: list[str]) -> str:
    out = lab.slurm("alpha", "sbatch", "--parsable", "-D", "/home/alice/jobs", "-J", name, *args)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_failures_get_their_final_state_and_crash_class(services: Services, lab: Lab) -> None:
    blocker = _submit(lab, "crash-blocker", ["-t", "10", "--wrap", "sleep 600"])
    ids = {name: _submit(lab, name, args) for name, args in JOBS.items()}
    ids["crash-pending-cancel"] = _submit(
        lab, "crash-pending-cancel", [f"--dependency=afterok:{blocker}", "--wrap", "true"]
    )

    async def scenario() -> dict[str, JobRow]:
        agent = await services.board.agent("alpha")
        agent.touch()
        await agent.refresh()
        await asyncio.sleep(3)
        await asyncio.to_thread(lab.slurm, "alpha", "scancel", ids["crash-pending-cancel"])
        deadline = time.monotonic() + 150  # the time-limit job needs its minute plus Slurm's kill wait
        rows: dict[str, JobRow] = {}
        while time.monotonic() < deadline:
            await agent.refresh()
            await agent.inspected()
            found = await services.db.read(lambda c: jobs_repo.get_many(c, "alpha", list(ids.values())))
            rows = {name: found[job_id] for name, job_id in ids.items() if job_id in found}
            if len(rows) == len(ids) and all(
                r.finalised_at and (r.crash_kind or r.state == "COMPLETED") for r in rows.values()
            ):
                break
            await asyncio.sleep(3)
        await asyncio.to_thread(lab.slurm, "alpha", "scancel", blocker)
        return rows

    rows = run_with(services, scenario)
    summary = {name: (r.state, r.crash_kind, r.crash_line, r.pinned) for name, r in rows.items()}
    assert rows["crash-oom"].state == "FAILED" and rows["crash-oom"].crash_kind == "oom", summary
    assert "memory" in (rows["crash-oom"].crash_line or "").lower()
    assert rows["crash-segfault"].crash_kind == "segfault", summary
    assert rows["crash-traceback"].crash_kind == "traceback", summary
    assert "FileNotFoundError" in (rows["crash-traceback"].crash_line or "")
    assert rows["crash-timeout"].state == "TIMEOUT" and rows["crash-timeout"].crash_kind == "timeout", summary
    assert rows["crash-exit"].state == "FAILED" and rows["crash-exit"].exit_code == 3, summary
    assert rows["crash-pending-cancel"].state == "CANCELLED", summary
    assert rows["crash-pending-cancel"].crash_kind == "cancelled", summary
    assert all(r.pinned for r in rows.values()), summary  # all finished while watched: pinned on the board


def test_every_job_of_a_large_failing_sweep_gets_its_crash_class(services: Services, lab: Lab) -> None:
    """More jobs fail in one interval than one inspection looks up: the rest are classified on later ones.

    An array of 60 tasks (one scontrol answers them all) and more single jobs than the
    per-inspection lookup cap, all dying at once on an import error, as a broken sweep does.
    """
    tasks, singles = 60, MAX_PATH_LOOKUPS + 10
    failing = ["--wrap", "python3 -c 'import no_such_module_here'"]

    def submit_sweep() -> list[str]:
        out = lab.slurm(
            "alpha", "sbatch", "--parsable", "-D", "/home/alice/jobs", "-J", "crash-sweep", f"--array=1-{tasks}",
            "-o", "/home/alice/jobs/crash-sweep-%A_%a.out", *failing,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        ids = [f"{out.stdout.strip()}_{n}" for n in range(1, tasks + 1)]
        return ids + [_submit(lab, f"crash-single-{n}", failing) for n in range(singles)]

    async def scenario() -> tuple[list[str], dict[str, JobRow]]:
        agent = await services.board.agent("alpha")
        agent.touch()
        await agent.refresh()  # watching before the sweep starts, as a user with the board open
        wanted = await asyncio.to_thread(submit_sweep)
        deadline = time.monotonic() + 120
        rows: dict[str, JobRow] = {}
        while time.monotonic() < deadline:
            await agent.refresh()
            await agent.inspected()
            rows = await services.db.read(lambda c: jobs_repo.get_many(c, "alpha", wanted))
            if len(rows) == len(wanted) and all(r.crash_kind for r in rows.values()):
                break
            await asyncio.sleep(3)
        return wanted, rows

    wanted, rows = run_with(services, scenario)
    unexplained = sorted(job_id for job_id in wanted if job_id not in rows or not rows[job_id].crash_kind)
    assert not unexplained, f"{len(unexplained)} of {len(wanted)} jobs have no crash class: {unexplained[:10]}"
    kinds = {job_id: r.crash_kind for job_id, r in rows.items()}
    assert set(kinds.values()) == {"traceback"}, {k: v for k, v in kinds.items() if v != "traceback"}
    assert all("no_such_module_here" in (r.crash_line or "") for r in rows.values())
