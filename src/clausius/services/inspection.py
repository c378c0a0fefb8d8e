"""Log-based insight for the board: where a job writes, why it failed, how far it got.

All reads go over the cluster's data lane, bounded in bytes, and only for jobs
the board shows: running jobs (progress, early crash signs) and jobs that just
finished (crash class, soft failures). Log paths come from `scontrol`, asked
once per job in one round trip for all new jobs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from clausius.core.crash import assess, classify
from clausius.core.job_record import JobRow
from clausius.core.progress import progress
from clausius.errors import ClausiusError
from clausius.remote.base import Transport
from clausius.slurm.commands import build_scontrol_job, to_shell
from clausius.slurm.errors import SlurmParseError
from clausius.slurm.scontrol import parse_scontrol_jobs

log = logging.getLogger(__name__)
MAX_PATH_LOOKUPS = 25  # scontrol calls per refresh; more new jobs are looked up on the next ones
WHOLE_ARRAY_FROM = 4  # this many tasks of one array wanted: one scontrol for the array answers them all
MAX_TAILS = 20  # running jobs whose logs are read per refresh


@dataclass(frozen=True)
class LivePeek:
    progress: float | None
    crash_kind: str | None
    crash_line: str | None


async def lookup_paths(
    transport: Transport, rows: Sequence[JobRow], utc_offset: int, timeout: float
) -> dict[str, tuple[str, str, str]]:
    """StdOut/StdErr/WorkDir for jobs, with `scontrol show job` calls in a single round trip.

    Only the jobs of the first MAX_PATH_LOOKUPS queries (see `plan_path_queries`) are looked
    up; the caller can tell which from the plan's answered ids.
    """
    queries, wanted = plan_path_queries([r.job_id for r in rows])
    if not queries:
        return {}
    script = "\n".join(f"{to_shell(build_scontrol_job(job_id))} 2>/dev/null </dev/null; echo" for job_id in queries)
    result = await transport.run_script(script, timeout=timeout)
    try:
        parsed = parse_scontrol_jobs(result.stdout, utc_offset)
    except SlurmParseError as exc:
        log.info("%s: scontrol output not understood: %s", transport.name, exc)
        return {}
    found: dict[str, tuple[str, str, str]] = {}
    for job in parsed:
        shown = f"{job.array_job_id}_{job.array_task}" if job.array_job_id and job.array_task else job.job_id
        for key in (shown, job.job_id):
            if key in wanted:
                found[key] = (job.std_out, job.std_err, job.work_dir)
    return found


def plan_path_queries(job_ids: Sequence[str]) -> tuple[list[str], set[str]]:
    """Which ids to give `scontrol show job`, and which of `job_ids` those queries answer.

    A sweep that fails at once leaves many tasks of one array to look up; asking for the
    array id returns every task slurmctld still remembers, so it costs one call, not one
    per task. Arrays with only a few wanted tasks are asked task by task (a whole running
    array can be thousands of records).
    """
    by_array: dict[str, list[str]] = {}
    for job_id in job_ids:
        base, sep, _task = job_id.partition("_")
        if sep and "[" not in job_id:
            by_array.setdefault(base, []).append(job_id)
    queries: list[str] = []
    answered: set[str] = set()
    for job_id in dict.fromkeys(job_ids):
        if len(queries) >= MAX_PATH_LOOKUPS:
            break
        if job_id in answered:
            continue
        base = job_id.partition("_")[0]
        tasks = by_array.get(base, [])
        if len(tasks) >= WHOLE_ARRAY_FROM:
            queries.append(base)
            answered.update(tasks)
        else:
            queries.append(job_id)
            answered.add(job_id)
    return queries, answered


async def _tail(transport: Transport, path: str | None, nbytes: int, timeout: float) -> str:
    if not path or not path.startswith("/"):
        return ""
    try:
        data = await transport.read(path, -nbytes, nbytes, timeout=timeout)
    except ClausiusError:
        return ""  # a log that is gone or unreadable just means no insight from it
    return data.decode(errors="replace")


async def job_tail(transport: Transport, row: JobRow, nbytes: int, timeout: float) -> str:
    """The end of the job's error log followed by its output log (they are often the same file)."""
    paths = [p for p in dict.fromkeys([row.std_err, row.std_out]) if p]
    parts = await asyncio.gather(*(_tail(transport, p, nbytes, timeout) for p in paths))
    return "\n".join(part for part in parts if part)


async def assess_finished(transport: Transport, rows: Sequence[JobRow], nbytes: int, timeout: float) -> list[JobRow]:
    """Crash class (and soft-fail reclassification) for jobs that just finished."""
    updated = []
    for row in rows:
        tail = await job_tail(transport, row, nbytes, timeout) if (row.std_out or row.std_err) else None
        verdict = assess(row.state, row.exit_code, row.signal, row.reason or "", tail)
        if verdict.crash is None and verdict.state == row.state:
            continue
        updated.append(
            replace(
                row,
                state=verdict.state,
                reason=verdict.reason if verdict.reason is not None else row.reason,
                crash_kind=verdict.crash.kind if verdict.crash else None,
                crash_line=(verdict.crash.line or verdict.crash.detail) if verdict.crash else None,
            )
        )
    return updated


async def peek_running(
    transport: Transport, rows: Sequence[JobRow], nbytes: int, timeout: float
) -> dict[str, LivePeek]:
    """Progress and early crash signs of running jobs, from the ends of their logs."""
    chosen = [r for r in rows if r.state == "RUNNING" and (r.std_out or r.std_err)][:MAX_TAILS]
    tails = await asyncio.gather(*(job_tail(transport, r, nbytes, timeout) for r in chosen))
    peeks = {}
    for row, tail in zip(chosen, tails, strict=True):
        if not tail:
            continue
        reading = progress(tail)
        crash = classify("RUNNING", None, None, "", tail)
        peeks[row.job_id] = LivePeek(
            progress=reading.percent if reading else None,
            crash_kind=crash.kind if crash else None,
            crash_line=(crash.line or crash.detail) if crash else None,
        )
    return peeks
