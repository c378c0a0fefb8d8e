"""Job resource use: what Slurm's accounting and sstat report for one job.

A running job's usage comes from `sstat` (its steps, sampled by Slurm every few seconds);
a finished job's from one `sacct --jobs ID` with the usage fields (sacct totals CPU time and
MaxRSS only once a step has ended). The sacct record is asked for in both cases: it has the
current elapsed time, the allocation and the requested memory. A failing command gives
statistics with a note saying what is missing and why, never an exception, unless the job
is unknown both to clausius and to Slurm.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from clausius.core.job_record import JobRow
from clausius.core.job_states import base_state, is_terminal
from clausius.errors import ClausiusError, NotFound
from clausius.remote.base import Transport
from clausius.services.board import BoardService
from clausius.services.logs import check_job_id, find_row, seconds
from clausius.services.memo import Memo
from clausius.services.settings import SettingsService
from clausius.services.transports import TransportRegistry
from clausius.slurm.commands import build_sstat
from clausius.slurm.errors import SlurmParseError
from clausius.slurm.models import SstatRow
from clausius.slurm.sstat import parse_sstat
from clausius.slurm.usage import UsageRow, build_sacct_usage, parse_usage, rows_of_job
from clausius.store.database import Database

RUNNING_STATES = frozenset({"RUNNING", "COMPLETING"})  # states in which sstat can see steps
GPU_NOTE = "GPU utilisation comes with GPU monitoring (not from Slurm accounting)"


class StepUsage(BaseModel):
    """Usage of one job step (batch = the batch script, 0, 1, … = srun steps, extern = outside steps)."""

    step: str = Field(description="Step name: batch, extern, 0, 1, …")
    max_rss_bytes: int | None = Field(description="Largest resident memory of any task of the step, in bytes.")
    total_cpu_sec: float | None = Field(description="CPU time (user + system) of all the step's tasks, in seconds.")
    ave_cpu_sec: float | None = Field(description="Average CPU time per task, in seconds.")
    ntasks: int | None = Field(description="Number of tasks in the step.")


class JobStats(BaseModel):
    """Resource use of one job, from Slurm."""

    cluster: str = Field(description="Cluster name as configured in clausius.")
    job_id: str = Field(description="Slurm job id as the board shows it (123, or 45_6 for an array task).")
    state: str = Field(description="The job's state (clausius' final verdict for finished jobs, else Slurm's).")
    source: Literal["sstat", "sacct", "none"] = Field(
        description="Where the usage numbers came from: sstat (running job, live samples), "
        "sacct (finished job, accounting), none (no usage: pending, never ran, or the command failed)."
    )
    elapsed_sec: int | None = Field(description="Run time so far (running) or in total (finished), in seconds.")
    time_limit_sec: int | None = Field(description="Time limit in seconds; null = unlimited or unknown.")
    nodes: int | None = Field(description="Nodes allocated (requested, for a job that has not started).")
    cpus: int | None = Field(description="CPUs allocated (requested, for a job that has not started).")
    gpus: int | None = Field(description="GPUs allocated (requested, for a job that has not started).")
    gpu_type: str | None = Field(description="GPU model from the GRES type (e.g. h100), when Slurm knows it.")
    max_rss_bytes: int | None = Field(description="Largest resident memory of any task, over all steps, in bytes.")
    req_mem_bytes: int | None = Field(description="Memory the job requested in total, in bytes.")
    total_cpu_sec: float | None = Field(description="CPU time used by all steps, in seconds.")
    cpu_efficiency: float | None = Field(
        description="total_cpu_sec / (elapsed_sec × cpus), 0..1: the share of the allocated CPUs the job kept busy."
    )
    steps: list[StepUsage] = Field(description="Per-step usage.")
    note: str | None = Field(default=None, description="Why something is missing (e.g. the sstat or sacct error).")


@dataclass(frozen=True)
class _Sacct:
    record: UsageRow | None  # the job's own line
    steps: list[UsageRow]
    error: str | None
    failure: ClausiusError | None = None  # the cluster could not be asked at all


@dataclass(frozen=True)
class _Sstat:
    steps: list[SstatRow]
    error: str | None


class StatsService:
    def __init__(
        self, db: Database, settings: SettingsService, transports: TransportRegistry, board: BoardService
    ) -> None:
        self._db = db
        self._settings = settings
        self._transports = transports
        self._board = board
        self._memo: Memo[JobStats] = Memo(lambda: float(settings.get_int("cache_fresh_sec")))

    async def job_stats(self, cluster: str, job_id: str) -> JobStats:
        """Usage of one job: sstat while it runs, sacct once it has ended (one or two commands, in parallel).

        Answers are shared for `cache_fresh_sec`, so agents polling a job cost one sacct per interval.
        """
        agent = await self._board.agent(cluster)
        row = await find_row(agent, self._db, check_job_id(cluster, job_id, "statistics"))
        key = (cluster, job_id, row.state if row else None)  # a job that changed state gets fresh numbers
        return await self._memo.get(key, lambda: self._job_stats(cluster, job_id))

    def forget(self) -> None:
        """Drop the shared answers, so the next call asks the cluster again."""
        self._memo.forget()

    async def _job_stats(self, cluster: str, job_id: str) -> JobStats:
        agent = await self._board.agent(cluster)  # NotFound naming the known clusters
        job_id = check_job_id(cluster, job_id, "statistics")
        row = await find_row(agent, self._db, job_id)
        transport = await self._transports.get(cluster)
        timeout = seconds(self._settings)
        sstat: _Sstat | None = None
        if row is not None and base_state(row.state) in RUNNING_STATES:
            acct, sstat = await asyncio.gather(_sacct(transport, job_id, timeout), _sstat(transport, job_id, timeout))
        else:
            acct = await _sacct(transport, job_id, timeout)
            if acct.record is not None and base_state(acct.record.state) in RUNNING_STATES:
                sstat = await _sstat(transport, job_id, timeout)  # not on the board, or started since
        if row is None and acct.record is None:
            if acct.failure is not None:
                raise acct.failure  # "unknown job" would be a guess: the cluster did not answer
            hint = f"sacct failed: {acct.error}" if acct.error else "neither clausius nor Slurm's accounting knows it"
            raise NotFound(f"job {job_id} is not known on {cluster}", hint=hint)
        return _combine(cluster, job_id, row, acct, sstat)


async def _sacct(transport: Transport, job_id: str, timeout: float) -> _Sacct:
    try:
        result = await transport.run(build_sacct_usage(job_id), timeout=timeout)
    except ClausiusError as exc:  # unreachable, deadline: the stats say so instead of failing
        return _Sacct(None, [], f"sacct: {exc}", exc)
    if result.rc != 0:
        return _Sacct(None, [], f"sacct: {result.stderr.strip()[:300] or f'exit code {result.rc}'}")
    try:
        rows = rows_of_job(parse_usage(result.stdout), job_id)
    except SlurmParseError as exc:
        return _Sacct(None, [], f"sacct output not understood: {exc}")
    record = next((r for r in rows if r.step is None), None)
    return _Sacct(record, [r for r in rows if r.step is not None], None)


async def _sstat(transport: Transport, job_id: str, timeout: float) -> _Sstat:
    try:
        result = await transport.run(build_sstat(job_id), timeout=timeout)
    except ClausiusError as exc:
        return _Sstat([], f"sstat: {exc}")
    try:
        steps = parse_sstat(result.stdout)
    except SlurmParseError as exc:
        return _Sstat([], f"sstat output not understood: {exc}")
    if steps:
        return _Sstat(steps, None)
    # 22.05 exits 0 with "sstat: error: No steps running for job N" until a step has been sampled
    said = result.stderr.strip().removeprefix("sstat: ").removeprefix("error: ")[:300]
    return _Sstat([], f"sstat has no samples yet ({said or f'exit code {result.rc}'})")


def _step_name(job_step: str) -> str:
    return job_step.split(".", 1)[1] if "." in job_step else job_step


def _sstat_steps(rows: list[SstatRow]) -> list[StepUsage]:
    return [
        StepUsage(
            step=_step_name(r.job_step),
            max_rss_bytes=r.max_rss_bytes,
            total_cpu_sec=r.ave_cpu_sec * r.ntasks if r.ave_cpu_sec is not None and r.ntasks else None,
            ave_cpu_sec=r.ave_cpu_sec,
            ntasks=r.ntasks,
        )
        for r in rows
    ]


def _sacct_steps(rows: list[UsageRow]) -> list[StepUsage]:
    return [
        StepUsage(
            step=r.step or "",
            max_rss_bytes=r.max_rss_bytes,
            total_cpu_sec=r.total_cpu_sec,
            ave_cpu_sec=r.ave_cpu_sec,
            ntasks=r.ntasks,
        )
        for r in rows
    ]


def efficiency(total_cpu_sec: float | None, elapsed_sec: int | None, cpus: int | None) -> float | None:
    """CPU time over allocated CPU time, 0..1 (sampling can overshoot a little: capped at 1)."""
    if total_cpu_sec is None or not elapsed_sec or not cpus or elapsed_sec <= 0 or cpus <= 0:
        return None
    return round(min(1.0, max(0.0, total_cpu_sec / (elapsed_sec * cpus))), 4)


def _combine(cluster: str, job_id: str, row: JobRow | None, acct: _Sacct, sstat: _Sstat | None) -> JobStats:
    record = acct.record
    notes: list[str] = []
    # clausius' verdict for a finished job (a soft failure, a crash in a "COMPLETED" log) beats Slurm's word
    if row is not None and is_terminal(row.state):
        state = row.state
    else:
        state = record.state if record is not None else (row.state if row is not None else "UNKNOWN")
    elapsed = record.elapsed_sec if record is not None else None
    if elapsed is None and row is not None:
        elapsed = row.elapsed_sec
        if base_state(row.state) in RUNNING_STATES and row.start_time:
            elapsed = max(0, int(time.time() - row.start_time))  # the row's elapsed is as old as the last refresh
    source: Literal["sstat", "sacct", "none"] = "none"
    steps: list[StepUsage] = []
    total_cpu: float | None = None
    base = base_state(state)
    # the row may still say RUNNING for a job that has just ended: then sacct has the final numbers
    live = sstat is not None and (record is None or base_state(record.state) in RUNNING_STATES)
    if base == "PENDING":
        notes.append("the job has not started: no usage yet")
    elif sstat is not None and live:
        if sstat.steps:
            source, steps = "sstat", _sstat_steps(sstat.steps)
            totals = [s.total_cpu_sec for s in steps if s.total_cpu_sec is not None]
            total_cpu = sum(totals) if totals else None
        elif sstat.error:
            notes.append(sstat.error)
    elif record is not None:
        if record.elapsed_sec == 0 and not acct.steps:
            notes.append("the job never ran: no usage")
        else:
            source, steps = "sacct", _sacct_steps(acct.steps)
            total_cpu = record.total_cpu_sec
    if acct.error:
        notes.append(acct.error)
    rss = [s.max_rss_bytes for s in steps if s.max_rss_bytes is not None]
    cpus = record.cpus if record is not None else (row.cpus if row is not None else None)
    gpus = record.gpus if record is not None else (row.gpus if row is not None else None)
    if gpus:
        notes.append(GPU_NOTE)
    return JobStats(
        cluster=cluster,
        job_id=job_id,
        state=state,
        source=source,
        elapsed_sec=elapsed,
        time_limit_sec=record.time_limit_sec if record is not None else (row.time_limit_sec if row else None),
        nodes=record.nodes if record is not None else (row.nodes if row is not None else None),
        cpus=cpus,
        gpus=gpus,
        gpu_type=record.gpu_type if record is not None else (row.gpu_type if row is not None else None),
        max_rss_bytes=max(rss) if rss else None,
        req_mem_bytes=record.req_mem_bytes if record is not None else None,
        total_cpu_sec=total_cpu,
        cpu_efficiency=efficiency(total_cpu, elapsed, cpus) if source != "none" else None,
        steps=steps,
        note="; ".join(notes) or None,
    )
