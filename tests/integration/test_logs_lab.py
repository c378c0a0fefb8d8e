"""Job logs and job statistics over real SSH, on jobs this test submits to the lab (alice on alpha)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from clausius.errors import ClausiusError, InvalidInput, NotFound
from clausius.services.app import Services
from clausius.services.logs import LogTail
from clausius.services.stats import JobStats
from tests.integration.conftest import run_with
from tests.labkit import Lab

pytestmark = pytest.mark.lab
T = TypeVar("T")

# 50 progress lines (with a non-ASCII mark) to stdout over ~2 s, then a traceback to stderr.
FAILING = """echo '{"loss": 0.5}' > metrics-$SLURM_JOB_ID.json
python3 -c '
import time
for i in range(1, 51):
    print(f"step {i}/50 \u2713 " + "x" * 80, flush=True)
    time.sleep(0.04)
raise ValueError("bad learning rate")
'"""
RUNNING = "echo 'step 3/10'; sleep 150"


def _submit(lab: Lab, *args: str) -> str:
    out = lab.slurm("alpha", "sbatch", "--parsable", *args)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().split(";")[0]


def _sacct_state(lab: Lab, job_id: str) -> str:
    out = lab.slurm("alpha", "sacct", "-X", "-n", "-P", f"--jobs={job_id}", "--format=State")
    return out.stdout.strip().split(" ")[0] if out.returncode == 0 else ""


def _wait(what: str, check: Callable[[], bool], limit: float) -> None:
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(1)


async def _fails(call: Awaitable[object], kind: type[ClausiusError]) -> str:
    with pytest.raises(kind) as caught:
        await call
    return str(caught.value)


async def _timed(call: Awaitable[T], timings: dict[str, float], name: str) -> T:
    started = time.perf_counter()
    result = await call
    timings[name] = round(time.perf_counter() - started, 3)
    return result


def test_logs_and_stats_of_own_jobs(services: Services, lab: Lab) -> None:
    folder = f"/home/alice/clausius-logs-test/{uuid.uuid4().hex[:10]}"
    made = lab.slurm("alpha", "mkdir", "-p", folder)
    assert made.returncode == 0, made.stderr
    common = ["-D", folder, "-t", "5"]
    failing = _submit(
        lab, *common, "-J", "logs-fail", "-o", f"{folder}/fail-%j.out", "-e", f"{folder}/fail-%j.err", "--wrap", FAILING
    )
    running = _submit(lab, *common, "-J", "logs-run", "-o", f"{folder}/run-%j.out", "--wrap", RUNNING)
    held = _submit(lab, *common, "-J", "logs-held", "-H", "-o", f"{folder}/held-%j.out", "--wrap", "true")
    # a name with the failing job's id inside a longer number, and one without it: neither is its file
    for name in (f"x{failing}5.txt", "unrelated.txt"):
        assert lab.slurm("alpha", "touch", f"{folder}/{name}").returncode == 0
    timings: dict[str, float] = {}
    try:
        _wait("the failing job to end", lambda: _sacct_state(lab, failing) == "FAILED", 90)
        _wait("the sleeping job to run", lambda: _sacct_state(lab, running) == "RUNNING", 60)
        out_path, err_path = f"{folder}/fail-{failing}.out", f"{folder}/fail-{failing}.err"
        out_text, err_size = Path(out_path).read_text(), Path(err_path).stat().st_size  # the login node is this host

        async def scenario() -> None:
            logs, stats = services.logs, services.stats
            # -- before clausius has seen the jobs: paths come from scontrol -----------------------------
            files = await _timed(logs.list_log_files("alpha", failing), timings, "list_log_files (scontrol + sftp)")
            roles = {f.path: f.role for f in files.files}
            assert roles == {out_path: "stdout", err_path: "stderr", f"{folder}/metrics-{failing}.json": "other"}
            sizes = {f.path: f.size for f in files.files}
            assert sizes[out_path] == len(out_text.encode()) > 4000
            assert sizes[err_path] == err_size > 0
            assert all(f.exists and f.modified for f in files.files)

            await services.board.read(clusters=["alpha"], force=True)
            await _timed(logs.list_log_files("alpha", failing), timings, "list_log_files (known paths)")

            # -- the default read picks the error log and classifies it ---------------------------------
            tail = await _timed(logs.read_log("alpha", failing), timings, "read_log 16 KiB")
            assert tail.path == err_path and tail.state == "FAILED"
            assert tail.crash_kind == "traceback" and "ValueError: bad learning rate" in (tail.crash_line or "")
            assert "Traceback (most recent call last)" in tail.text
            assert (tail.start_offset, tail.end_offset, tail.more_before) == (0, tail.size, False)
            assert tail.progress is None  # progress is read for jobs still running

            # -- paging backwards through the output log reassembles it exactly --------------------------
            pages: list[LogTail] = []
            before: int | None = None
            while True:
                page = await logs.read_log("alpha", failing, path=out_path, tail_bytes=1000, before=before)
                pages.append(page)
                assert page.text.startswith("step ") and page.end_offset - page.start_offset <= 1000
                if not page.more_before:
                    break
                before = page.start_offset
            assert len(pages) > 4 and pages[0].end_offset == pages[0].size
            assert "".join(p.text for p in reversed(pages)) == out_text
            assert pages[0].text.rstrip().endswith("x" * 80) and "step 50/50 \u2713" in pages[0].text

            # -- confinement and input checks ---------------------------------------------------------
            for bad in ("/etc/passwd", f"{folder}/unrelated.txt", f"{folder}/x{failing}5.txt", f"{folder}/../x.out"):
                message = await _fails(logs.read_log("alpha", failing, path=bad), InvalidInput)
                assert f"not a log file of job {failing}" in message and out_path in message
            for size in (0, -5, 1_048_577):
                await _fails(logs.read_log("alpha", failing, tail_bytes=size), InvalidInput)
            await _fails(logs.read_log("alpha", failing, before=-1), InvalidInput)
            await _fails(logs.read_log("alpha", "12;ls"), InvalidInput)

            # -- statistics of the finished job come from sacct ---------------------------------------
            done = await _timed(stats.job_stats("alpha", failing), timings, "job_stats (sacct)")
            assert (done.source, done.state, done.cpus) == ("sacct", "FAILED", 1)
            assert done.elapsed_sec is not None and done.elapsed_sec > 0
            assert done.total_cpu_sec is not None and done.total_cpu_sec > 0
            assert [s.step for s in done.steps] == ["batch"]
            assert done.cpu_efficiency is not None and 0 < done.cpu_efficiency <= 1
            assert done.time_limit_sec == 300 and done.req_mem_bytes

            # -- the running job: one file for both streams, progress, and sstat -----------------------
            run_files = await logs.list_log_files("alpha", running)
            assert [(f.path, f.role) for f in run_files.files] == [(f"{folder}/run-{running}.out", "stdout+stderr")]
            live = await logs.read_log("alpha", running)
            assert (live.state, live.progress, live.crash_kind) == ("RUNNING", 30.0, None)
            sampled = await _sstat_stats(services, running)
            assert sampled.source == "sstat", sampled.note
            assert sampled.state == "RUNNING" and "batch" in [s.step for s in sampled.steps]
            assert sampled.max_rss_bytes is not None and sampled.max_rss_bytes > 0
            assert sampled.elapsed_sec is not None and sampled.elapsed_sec > 0

            # -- the held job has neither logs nor usage yet ------------------------------------------
            pending = await stats.job_stats("alpha", held)
            assert pending.source == "none" and "not started" in (pending.note or "")
            held_files = await logs.list_log_files("alpha", held)
            assert [(f.role, f.exists, f.size) for f in held_files.files] == [("stdout+stderr", False, None)]
            assert "pending" in (held_files.note or "")
            await _fails(logs.read_log("alpha", held), NotFound)

            # -- unknown jobs and clusters ---------------------------------------------------------
            for call in (
                logs.list_log_files("alpha", "999999"),
                logs.read_log("alpha", "999999"),
                stats.job_stats("alpha", "999999"),
            ):
                assert "999999" in await _fails(call, NotFound)
            for call in (
                logs.list_log_files("nope", failing),
                logs.read_log("nope", failing),
                stats.job_stats("nope", failing),
            ):
                assert "alpha" in await _fails(call, NotFound)  # the hint lists the known clusters

        run_with(services, scenario)
    finally:
        lab.slurm("alpha", "scancel", failing, running, held)  # only the jobs this test submitted
        lab.slurm("alpha", "rm", "-rf", folder)
    print(f"\ntimings (s): {timings}")


async def _sstat_stats(services: Services, job_id: str) -> JobStats:
    """sstat has data once Slurm sampled the running step (JobAcctGatherFrequency=5 in the lab)."""
    deadline = time.monotonic() + 30
    while True:
        stats = await services.stats.job_stats("alpha", job_id)
        if stats.source == "sstat" or time.monotonic() > deadline:
            return stats
        await asyncio.sleep(2)
