"""Job queries sized for agents and scripts: slim job lists, runs, waiting for a state, summaries.

Everything here reads the shared board (one cached snapshot per cluster, kept fresh by
the cluster agents) or the recorded history, so any number of callers asking at once
costs the clusters nothing beyond the normal refresh.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence

from pydantic import BaseModel, Field

from clausius.core.job_record import JobRow
from clausius.core.job_states import (
    ACTIVE_STATES,
    BUCKETS,
    FAILED_STATES,
    TERMINAL_STATES,
    base_state,
    bucket,
    is_terminal,
    shown_reason,
)
from clausius.errors import InvalidInput, NotFound
from clausius.services.agent import ClusterAgent
from clausius.services.board import BoardService
from clausius.services.board_models import Board, BoardJob, BoardRun, Counts
from clausius.services.local_agent import LOCAL
from clausius.services.settings import SettingsService
from clausius.store import jobs_repo
from clausius.store.database import Database

MAX_LIST = 500
MAX_WAIT_SEC = 3600
WAKE_EVERY_SEC = 20.0  # a waiter re-registers demand this often so polling never lapses
CRASH_WAIT_SEC = 10.0  # how long a waiter lets the log read that follows a failure finish


class JobBrief(BaseModel):
    """One job as an agent needs it: identity, state, why, and where it sits."""

    cluster: str
    job_id: str
    name: str
    state: str
    project: str = Field(description="Project the job belongs to ('other' when none).")
    run: str = Field(description="Label of the run (dependency chain / stage group) the job is in.")
    run_id: str
    reason: str | None = Field(description="Pending reason in plain words, or how a finished job ended.")
    partition: str | None
    account: str | None
    nodes: int | None
    gpus: int | None
    elapsed_sec: int | None
    time_limit_sec: int | None
    submit_time: float | None
    start_time: float | None = Field(description="Actual start, or Slurm's estimate for a pending job.")
    end_time: float | None
    exit_code: int | None
    crash: str | None = Field(description="Crash class and the line that shows it, e.g. 'oom: CUDA out of memory'.")
    progress: float | None = Field(description="Percent done, read from the log of a running job.")
    depends_on: list[str]
    pinned: bool = Field(description="Finished while watched; stays on the board until cleared.")


class ClusterBrief(BaseModel):
    name: str
    state: str = Field(description="live | stale | unreachable | idle | never")
    age_sec: float | None = Field(description="Seconds since the last good refresh.")
    error: str | None


class JobList(BaseModel):
    jobs: list[JobBrief]
    total: int = Field(description="Jobs matching the filters (this page holds `limit` of them at most).")
    offset: int
    next_offset: int | None = Field(description="Pass as offset to get the next page; null when this is the last.")
    counts: Counts = Field(description="Counts over every matching job, not just this page.")
    clusters: list[ClusterBrief]
    generated_at: float


class RunInfo(BaseModel):
    cluster: str
    run_id: str
    label: str
    project: str | None
    campaign: str | None
    source: str = Field(description="board: from the live board; history: from recorded history.")
    counts: Counts
    jobs: list[JobBrief] = Field(description="In dependency order; depends_on links the chain.")


class WaitResult(BaseModel):
    cluster: str
    job_id: str
    reached: bool = Field(description="True when the job is in one of the awaited states.")
    state: str
    waited_sec: float
    job: JobBrief | None


def job_brief(job: BoardJob, project: str, run: BoardRun) -> JobBrief:
    reason = job.pending.short if job.pending else job.reason
    crash = (
        f"{job.crash.kind}: {job.crash.line}"
        if job.crash and job.crash.line
        else (job.crash.kind if job.crash else None)
    )
    return JobBrief(
        cluster=job.cluster,
        job_id=job.job_id,
        name=job.name,
        state=job.state,
        project=project,
        run=run.label,
        run_id=run.run_id,
        reason=reason,
        partition=job.partition,
        account=job.account,
        nodes=job.nodes,
        gpus=job.gpus,
        elapsed_sec=job.elapsed_sec,
        time_limit_sec=job.time_limit_sec,
        submit_time=job.submit_time,
        start_time=job.start_time,
        end_time=job.end_time,
        exit_code=job.exit_code,
        crash=crash,
        progress=job.progress,
        depends_on=job.depends_on,
        pinned=job.pinned,
    )


def _row_brief(row: JobRow) -> JobBrief:
    return JobBrief(
        cluster=row.cluster,
        job_id=row.job_id,
        name=row.name,
        state=row.state,
        project=row.project or "other",
        run=row.run_id or row.name,
        run_id=row.run_id or f"{row.cluster}:{row.job_id}",
        reason=shown_reason(row.state, row.state_detail, row.reason),
        partition=row.partition,
        account=row.account,
        nodes=row.nodes,
        gpus=row.gpus,
        elapsed_sec=row.elapsed_sec,
        time_limit_sec=row.time_limit_sec,
        submit_time=row.submit_time,
        start_time=row.start_time,
        end_time=row.end_time,
        exit_code=row.exit_code,
        crash=f"{row.crash_kind}: {row.crash_line}" if row.crash_kind and row.crash_line else row.crash_kind,
        progress=None,
        depends_on=[dep for _, dep in row.dependencies],
        pinned=row.pinned,
    )


def walk(board: Board) -> Iterator[tuple[str, BoardRun, BoardJob]]:
    for cluster in board.clusters:
        for project in cluster.projects:
            for run in project.runs:
                for job in run.jobs:
                    yield project.name, run, job


def state_filter(states: Sequence[str]) -> set[str]:
    """Slurm state names and board buckets (running, pending, failed, ...) → the set of accepted names."""
    wanted: set[str] = set()
    for raw in states:
        value = raw.strip()
        if value.lower() in BUCKETS:
            wanted.add(value.lower())
        elif value.upper() in ACTIVE_STATES | TERMINAL_STATES:
            wanted.add(value.upper())
        else:
            choices = [*BUCKETS[:-1], *sorted(ACTIVE_STATES | TERMINAL_STATES)]
            raise InvalidInput(
                f"unknown state {raw!r}",
                hint=f"use a group ({', '.join(BUCKETS[:-1])}) or a Slurm state name",
                choices=choices,
            )
    return wanted


def _matches(state: str, wanted: set[str]) -> bool:
    return not wanted or state in wanted or bucket(state) in wanted


def _add(counts: Counts, state: str, gpus: int | None) -> None:
    name = bucket(state)
    setattr(counts, name, getattr(counts, name) + 1)
    if name == "running":
        counts.gpus_running += gpus or 0
    elif name == "pending":
        counts.gpus_pending += gpus or 0


class JobsService:
    def __init__(self, db: Database, settings: SettingsService, board: BoardService) -> None:
        self._db = db
        self._settings = settings
        self._board = board

    async def list_jobs(
        self,
        *,
        cluster: str | None = None,
        project: str | None = None,
        states: Sequence[str] = (),
        limit: int = 100,
        offset: int = 0,
    ) -> JobList:
        """The board's jobs, flattened and filtered, newest first within each state group."""
        if not 1 <= limit <= MAX_LIST:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIST}")
        if offset < 0:
            raise InvalidInput("offset must be 0 or more")
        wanted = state_filter(states)
        board = await self._board.read(clusters=[cluster] if cluster else None, wait_first=True)
        if project is not None:
            known = sorted({p.name for c in board.clusters for p in c.projects})
            if project not in known:
                known_projects = await self._known_projects()
                if project not in known_projects:
                    raise NotFound(
                        f"unknown project {project!r}",
                        hint=f"known projects: {', '.join(known_projects) or 'none yet'}",
                        choices=known_projects,
                    )
        matching = [
            job_brief(job, name, run)
            for name, run, job in walk(board)
            if (project is None or name == project) and _matches(job.state, wanted)
        ]
        counts = Counts()
        for brief in matching:
            _add(counts, brief.state, brief.gpus)
        page = matching[offset : offset + limit]
        return JobList(
            jobs=page,
            total=len(matching),
            offset=offset,
            next_offset=offset + limit if offset + limit < len(matching) else None,
            counts=counts,
            clusters=[
                ClusterBrief(name=c.name, state=c.status.state, age_sec=c.status.age_sec, error=c.status.error)
                for c in board.clusters
            ],
            generated_at=board.generated_at,
        )

    async def _known_projects(self) -> list[str]:
        rows = await self._db.read(lambda c: c.execute("SELECT name FROM projects ORDER BY name").fetchall())
        return [str(r[0]) for r in rows]

    async def run_info(self, cluster: str, job_id: str) -> RunInfo:
        """The run a job belongs to: every job of its chain, from the board or else from history."""
        if cluster == LOCAL:
            raise InvalidInput("local processes have no runs", hint="use a Slurm cluster's name")
        await self._board.agent(cluster)
        board = await self._board.read(clusters=[cluster], wait_first=True)
        for board_cluster in board.clusters:
            for project in board_cluster.projects:
                for run in project.runs:
                    if any(j.job_id == job_id for j in run.jobs):
                        return RunInfo(
                            cluster=cluster,
                            run_id=run.run_id,
                            label=run.label,
                            project=project.name,
                            campaign=run.campaign,
                            source="board",
                            counts=run.counts,
                            jobs=[job_brief(j, project.name, run) for j in run.jobs],
                        )
        row = await self._db.read(lambda c: jobs_repo.get(c, cluster, job_id))
        if row is None:
            row = await (await self._board.agent(cluster)).lookup(job_id)
        if row is None:
            raise NotFound(f"job {job_id} is not known on {cluster}", hint="it is neither on the board nor in history")
        members = [row]
        label: str | None = None
        if row.run_id:
            run_id = row.run_id
            members = await self._db.read(lambda c: jobs_repo.by_run(c, run_id))
            label = await self._db.read(lambda c: jobs_repo.run_label(c, run_id))
        counts = Counts()
        for member in members:
            _add(counts, member.state, member.gpus)
        return RunInfo(
            cluster=cluster,
            run_id=row.run_id or f"{cluster}:{job_id}",
            label=label or row.name,
            project=row.project,
            campaign=row.campaign,
            source="history",
            counts=counts,
            jobs=[_row_brief(m) for m in members],
        )

    async def find_row(self, agent: ClusterAgent, job_id: str) -> JobRow | None:
        """The freshest record of a job: the queue, then the board's finished jobs, then history."""
        for row in agent.snapshot.live:
            if row.job_id == job_id:
                return row
        for row in agent.snapshot.pinned:
            if row.job_id == job_id:
                return row
        return await self._db.read(lambda c: jobs_repo.get(c, agent.name, job_id))

    async def wait_for_job(
        self,
        cluster: str,
        job_id: str,
        *,
        states: Sequence[str] = (),
        timeout: float = 300.0,
        on_tick: Callable[[float, str], Awaitable[None]] | None = None,
    ) -> WaitResult:
        """Wait until a job reaches one of `states` (default: any finished state) or the timeout passes.

        Waiting reads the shared snapshot and sleeps until an agent reports a change, so a
        waiting caller adds no load on the cluster: it only keeps the normal polling alive.
        """
        if not 0 <= timeout <= MAX_WAIT_SEC:
            raise InvalidInput(f"timeout must be between 0 and {MAX_WAIT_SEC} seconds")
        wanted = state_filter(states)
        agent = await self._board.agent(cluster)
        started = time.monotonic()
        deadline = started + timeout
        refreshed = False
        while True:
            agent.touch()
            generation = self._board.generation
            row = await self.find_row(agent, job_id)
            if row is None and not refreshed:
                refreshed = True  # a job submitted a moment ago may not be in the last snapshot yet
                await agent.refresh()
                row = await self.find_row(agent, job_id) or await agent.lookup(job_id)
            if row is None:
                raise NotFound(f"job {job_id} is not known on {cluster}", hint="not in the queue and not in history")
            reached = _matches(row.state, wanted) if wanted else is_terminal(row.state)
            remaining = deadline - time.monotonic()
            if on_tick is not None and not reached:
                await on_tick(time.monotonic() - started, row.state)
            if reached and bucket(base_state(row.state)) == "failed" and row.crash_kind is None:
                row = await self._with_crash_class(agent, row)
            if reached or remaining <= 0:
                return WaitResult(
                    cluster=cluster,
                    job_id=job_id,
                    reached=reached,
                    state=row.state,
                    waited_sec=round(time.monotonic() - started, 2),
                    job=await self._brief(cluster, row),
                )
            if self._board.polling:
                await self._board.wait_for_change(generation, min(remaining, WAKE_EVERY_SEC))
            else:  # a one-shot process (the CLI) has no refresh loop: refresh at the normal interval
                await asyncio.sleep(min(remaining, float(self._settings.get_int("poll_interval_sec"))))
                await agent.refresh()

    async def _with_crash_class(self, agent: ClusterAgent, row: JobRow) -> JobRow:
        """The record once the log read started by the refresh that saw the job fail has classified it.

        That read is already under way (it costs nothing extra); waiting a moment for it saves
        the caller a get_job_log call just to learn why the job died.
        """
        try:
            await asyncio.wait_for(agent.inspected(), CRASH_WAIT_SEC)
        except TimeoutError:
            return row
        return await self.find_row(agent, row.job_id) or row

    async def _brief(self, cluster: str, row: JobRow) -> JobBrief:
        board = await self._board.read(clusters=[cluster])
        for project, run, job in walk(board):
            if job.job_id == row.job_id:
                return job_brief(job, project, run)
        return _row_brief(row)

    async def summary_text(self) -> str:
        """A few lines per cluster: what runs, waits and failed. The jobs://summary resource."""
        board = await self._board.read(wait_first=True)
        lines = []
        for cluster in board.clusters:
            c = cluster.counts
            age = f", {cluster.status.age_sec:.0f} s old" if cluster.status.age_sec is not None else ""
            error = f" — {cluster.status.error}" if cluster.status.error else ""
            lines.append(
                f"{cluster.name} ({cluster.status.state}{age}){error}: {c.running} running ({c.gpus_running} GPUs), "
                f"{c.pending} pending ({c.gpus_pending} GPUs), {c.failed} failed, {c.completed} completed, "
                f"{c.cancelled} cancelled"
            )
            failed = [
                (p, j)
                for p, _, j in walk(board.model_copy(update={"clusters": [cluster]}))
                if bucket(j.state) == "failed"
            ]
            for project, job in failed[:5]:
                why = f" — {job.crash.kind}" if job.crash else (f" — {job.reason}" if job.reason else "")
                lines.append(f"  failed: {job.job_id} {job.name} [{project}] {job.state}{why}")
            if len(failed) > 5:
                lines.append(f"  … and {len(failed) - 5} more failed (list_jobs with state='failed')")
        since = time.time() - 86400
        recent = await self._db.read(lambda c: jobs_repo.recent_failures_off_board(c, since, sorted(FAILED_STATES)))
        if recent:
            counts = ", ".join(f"{n} on {cluster}" for cluster, n in recent)
            lines.append(f"history: failed in the last 24 h and not on the board: {counts} (see get_history)")
        return "\n".join(lines) if lines else "no clusters configured (add one with add_cluster_config)"
