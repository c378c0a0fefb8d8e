"""The live board: agents for every cluster, the board view, change notification, actions."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel

from clausius.core.config_models import Project
from clausius.core.job_record import JobRow, as_run_job
from clausius.core.job_states import FAILED_STATES, is_terminal, shown_reason, state_rank
from clausius.core.job_states import bucket as state_bucket
from clausius.core.naming import StageSuffixes, compile_stage_suffixes, is_background
from clausius.core.pending import explain_reason
from clausius.core.processes import parse_process_job_id
from clausius.core.reconcile import is_aggregate
from clausius.core.runs import group_runs
from clausius.errors import ClausiusError, InvalidInput, NotFound
from clausius.services.agent import ClusterAgent
from clausius.services.board_models import (
    AgentReport,
    Board,
    BoardCluster,
    BoardJob,
    BoardProject,
    BoardRun,
    ClusterStatus,
    Counts,
    JobCrash,
    PendingInfo,
    PriorityFactors,
)
from clausius.services.clusters import ClusterService
from clausius.services.deadlines import Deadlines
from clausius.services.inspection import LivePeek
from clausius.services.interface import current_interface
from clausius.services.local_agent import LOCAL, LocalAgent
from clausius.services.memo import Memo
from clausius.services.projects import ProjectService
from clausius.services.registry import RegistryService
from clausius.services.settings import SettingsService
from clausius.services.supervisor import Supervisor
from clausius.services.transports import TransportRegistry
from clausius.slurm.commands import build_scancel, build_sprio
from clausius.slurm.errors import SlurmParseError
from clausius.slurm.scancel import parse_scancel
from clausius.slurm.shares import parse_sprio
from clausius.store import config_repo, jobs_repo
from clausius.store.database import Database

log = logging.getLogger(__name__)
NO_PROJECT = Project(name="other", prefix="", color="#eceff1", emoji="·", created_at=0)
CLEAR_KINDS = {
    "failed": tuple(sorted(FAILED_STATES)),
    "completed": ("COMPLETED",),
    "cancelled": ("CANCELLED",),
}


class CancelOutcome(BaseModel):
    cluster: str
    cancelled: list[str]
    errors: dict[str, str]


class BoardService:
    def __init__(
        self,
        db: Database,
        settings: SettingsService,
        transports: TransportRegistry,
        clusters: ClusterService,
        projects: ProjectService,
        registry: RegistryService,
    ) -> None:
        self._db = db
        self._settings = settings
        self._deadlines = Deadlines(settings)
        self._transports = transports
        self._clusters = clusters
        self._projects = projects
        self._registry = registry
        self.agents: dict[str, ClusterAgent] = {}
        self._cache: dict[tuple[str, ...], tuple[object, Board, bytes]] = {}
        self._building: dict[tuple[tuple[str, ...], object], asyncio.Future[tuple[Board, bytes]]] = {}
        self.supervisor = Supervisor()  # owns every agent's loop: a crash is logged, shown, restarted
        self._polling = False
        self._changed = asyncio.Condition()
        self._generation = 0
        self._pending_memo: Memo[PriorityFactors] = Memo(lambda: float(settings.get_int("cache_fresh_sec")))

    # -- agents ---------------------------------------------------------------------------------------

    async def sync_agents(self) -> dict[str, ClusterAgent]:
        names = {*await self._clusters.names(), LOCAL}
        for name in names - set(self.agents):
            if name == LOCAL:
                self.agents[name] = LocalAgent(
                    self._registry, self._db, self._settings, self._transports, self._projects, self._notify
                )
            else:
                self.agents[name] = ClusterAgent(
                    name, self._db, self._settings, self._transports, self._projects, self._notify
                )
            if self._polling:
                self._supervise(self.agents[name])
        for name in set(self.agents) - names:
            del self.agents[name]
            await self.supervisor.stop(f"agent-{name}")
        return self.agents

    def _supervise(self, agent: ClusterAgent) -> None:
        self.supervisor.start(f"agent-{agent.name}", agent.run, on_crash=agent.crashed)

    async def start_polling(self) -> None:
        """Run every agent's demand-driven loop (the serving process only)."""
        self._polling = True
        for agent in (await self.sync_agents()).values():
            self._supervise(agent)

    async def stop(self) -> None:
        """Stop polling and any log inspection under way, so closing the connections waits for nothing."""
        await asyncio.gather(
            self.supervisor.stop_all(), *(a.stop_inspecting() for a in self.agents.values()), return_exceptions=True
        )

    async def agent(self, cluster: str) -> ClusterAgent:
        agents = await self.sync_agents()
        if cluster not in agents:
            known = sorted(agents, key=lambda n: (n == LOCAL, n))
            raise NotFound(f"unknown cluster {cluster!r}", hint=f"known clusters: {', '.join(known)}", choices=known)
        return agents[cluster]

    def _notify(self, _cluster: str) -> None:
        self._generation += 1
        asyncio.get_running_loop().create_task(self._wake())

    async def _wake(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for_change(self, generation: int, timeout: float) -> int:
        """Block until something changed after `generation` (or the timeout); returns the new generation."""
        async with self._changed:
            if self._generation == generation:
                try:
                    await asyncio.wait_for(self._changed.wait(), timeout)
                except TimeoutError:
                    return self._generation
        return self._generation

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def polling(self) -> bool:
        """True in the serving process, where every agent runs its own refresh loop."""
        return self._polling

    # -- reading --------------------------------------------------------------------------------------

    async def read(
        self, *, clusters: Sequence[str] | None = None, force: bool = False, wait_first: bool = False
    ) -> Board:
        """The board from memory (never waits on SSH unless `force`); reading registers demand."""
        return (await self.read_with_json(clusters=clusters, force=force, wait_first=wait_first))[0]

    async def read_with_json(
        self, *, clusters: Sequence[str] | None = None, force: bool = False, wait_first: bool = False
    ) -> tuple[Board, bytes]:
        """The board and its JSON, rebuilt only when something it shows changed.

        Building a board of thousands of jobs takes a while, so it runs in a worker thread
        and its result is reused until an agent reports a change, a cluster's status
        changes, projects change or a display setting changes.
        """
        agents = await self.sync_agents()
        chosen = (
            [agents[c] if c in agents else await self.agent(c) for c in clusters]
            if clusters
            else [agents[n] for n in sorted(agents, key=lambda n: (n == LOCAL, n))]
        )
        for agent in chosen:
            agent.touch()
        pending = [a for a in chosen if force or (wait_first and a.snapshot.fetched_at is None)]
        if pending:
            deadline = self._deadlines.reader
            await asyncio.wait([asyncio.ensure_future(a.refresh()) for a in pending], timeout=deadline)
        project_list = await self._projects.list()
        key = (
            self._generation,
            tuple((p.name, p.color, p.emoji) for p in project_list),
            tuple(self._settings.get_list("stage_suffixes")),
            tuple(self._settings.get_list("background_run_suffixes")),
            tuple((a.name, a.status().state, a.status().error) for a in chosen),
        )
        names = tuple(a.name for a in chosen)
        cached = self._cache.get(names)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        building = self._building.get((names, key))
        if building is None:  # single flight: readers arriving during a build share it
            projects = {p.name: p for p in project_list}
            building = asyncio.ensure_future(self._build_and_encode(chosen, projects))
            self._building[(names, key)] = building
            building.add_done_callback(lambda _: self._building.pop((names, key), None))
        board, encoded = await asyncio.shield(building)
        self._cache[names] = (key, board, encoded)
        return board, encoded

    async def _build_and_encode(
        self, chosen: Sequence[ClusterAgent], projects: dict[str, Project]
    ) -> tuple[Board, bytes]:
        board = await asyncio.to_thread(self._build, chosen, projects)
        encoded = await asyncio.to_thread(board.model_dump_json)
        return board, encoded.encode()

    def _build(self, agents: Sequence[ClusterAgent], projects: dict[str, Project]) -> Board:
        suffixes = compile_stage_suffixes(self._settings.get_list("stage_suffixes"))
        background = self._settings.get_list("background_run_suffixes")
        total = Counts()
        clusters = []
        for agent in agents:
            status = agent.status()
            rows = _board_rows(agent.snapshot.live, agent.snapshot.pinned)
            counts = _count(rows)
            _add(total, counts)
            clusters.append(
                BoardCluster(
                    name=agent.name,
                    counts=counts,
                    status=ClusterStatus(
                        state=status.state,
                        age_sec=status.age_sec,
                        error=status.error,
                        last_success_at=status.last_success_at,
                    ),
                    projects=_projects(rows, projects, suffixes, background, agent.peeks),
                )
            )
        content = [(c.name, c.status.state, c.status.error, [p.model_dump() for p in c.projects]) for c in clusters]
        version = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:20]
        return Board(version=version, generated_at=time.time(), counts=total, clusters=clusters)

    async def reports(self) -> list[AgentReport]:
        """Per-cluster counters; reading them is not demand (it contacts nobody)."""
        cached = self._transports.cached()
        result = []
        for name, agent in sorted((await self.sync_agents()).items()):
            status = agent.status()
            stats = cached[name].stats() if name in cached else None
            result.append(
                AgentReport(
                    cluster=name,
                    state=status.state,
                    refreshes=status.refreshes,
                    failures=status.failures,
                    connections_opened=stats.connections_opened if stats else 0,
                    commands_run=stats.commands_run if stats else 0,
                    commands_failed=stats.commands_failed if stats else 0,
                    polling=agent.wanted(),
                    crashes=self.supervisor.crashes(f"agent-{name}") + agent.refresh_crashes + agent.inspection_crashes,
                )
            )
        return result

    async def pending_details(self, cluster: str, job_id: str) -> PriorityFactors:
        """On demand (a tooltip or an agent asking): one sprio for one pending job, not on every refresh.

        Shared for `cache_fresh_sec`, so a polling agent costs one sprio per interval.
        """
        await self.agent(cluster)
        return await self._pending_memo.get((cluster, job_id), lambda: self._pending_details(cluster, job_id))

    async def _pending_details(self, cluster: str, job_id: str) -> PriorityFactors:
        agent = await self.agent(cluster)
        row = next((r for r in agent.snapshot.live if r.job_id == job_id), None)
        if row is None:
            raise NotFound(f"job {job_id} is not in {cluster}'s queue")
        view = _job_view(row, 0, [], [], None)
        details = PriorityFactors(cluster=cluster, job_id=job_id, state=row.state, pending=view.pending)
        if row.state != "PENDING" or is_aggregate(job_id):
            return details.model_copy(update={"note": "priority factors exist only for single pending jobs"})
        transport = await self._transports.get(cluster)
        result = await transport.run(build_sprio(job_ids=[job_id]), timeout=self._deadlines.command)
        try:
            factors = next((f for f in parse_sprio(result.stdout) if f.job_id == job_id), None)
        except SlurmParseError:
            factors = None
        if factors is None:
            note = (result.stderr.strip() or "sprio reported nothing (no multifactor priority?)")[:200]
            return details.model_copy(update={"note": note})
        return details.model_copy(
            update={
                "priority": factors.priority,
                "age": factors.age,
                "fairshare": factors.fairshare,
                "jobsize": factors.jobsize,
                "partition": factors.partition_factor,
                "qos": factors.qos_factor,
            }
        )

    # -- actions --------------------------------------------------------------------------------------

    async def cancel(self, cluster: str, job_ids: Sequence[str]) -> CancelOutcome:
        """Cancel jobs with one scancel; the board shows the result after one refresh."""
        if not job_ids:
            raise InvalidInput("no job ids given")
        if len(job_ids) > 1000:
            raise InvalidInput("at most 1000 jobs per cancel")
        agent = await self.agent(cluster)
        if isinstance(agent, LocalAgent) and any(parse_process_job_id(j) is not None for j in job_ids):
            return await self._kill_local(agent, job_ids)
        argv = build_scancel(job_ids)  # validates every id before anything runs
        transport = await self._transports.get(cluster)
        result = await transport.run(argv, timeout=self._deadlines.refresh)
        outcome = parse_scancel(job_ids, result.rc, result.stderr)
        interface = current_interface.get()
        cancelled = [r.job_id for r in outcome if r.ok]
        errors = {r.job_id: r.error or "failed" for r in outcome if not r.ok}

        def record(conn: sqlite3.Connection) -> None:
            config_repo.audit(conn, interface, "cancel", cluster, json.dumps({"ok": cancelled, "errors": errors}))

        await self._db.write(record)
        agent.touch()
        await agent.refresh()
        return CancelOutcome(cluster=cluster, cancelled=cancelled, errors=errors)

    async def _kill_local(self, agent: LocalAgent, job_ids: Sequence[str]) -> CancelOutcome:
        cancelled: list[str] = []
        errors: dict[str, str] = {}
        for job_id in job_ids:
            try:
                if await agent.kill(job_id):
                    cancelled.append(job_id)
                else:
                    errors[job_id] = "already ended"
            except ClausiusError as exc:
                errors[job_id] = exc.message
        interface = current_interface.get()
        await self._db.write(lambda c: config_repo.audit(c, interface, "kill_local", LOCAL, json.dumps(cancelled)))
        await agent.refresh()
        return CancelOutcome(cluster=LOCAL, cancelled=cancelled, errors=errors)

    async def dismiss(self, cluster: str, job_ids: Sequence[str]) -> int:
        agent = await self.agent(cluster)
        count = await self._db.write(lambda c: jobs_repo.unpin(c, cluster, job_ids=list(job_ids)))
        await agent.reload_pinned()
        return count

    async def clear(self, cluster: str, kind: str) -> int:
        if kind not in CLEAR_KINDS:
            raise InvalidInput(f"unknown kind {kind!r}: use failed, completed or cancelled")
        agent = await self.agent(cluster)
        count = await self._db.write(lambda c: jobs_repo.unpin(c, cluster, states=CLEAR_KINDS[kind]))
        await agent.reload_pinned()
        return count


# -- building the view (pure helpers) -------------------------------------------------------------------


def _board_rows(live: Iterable[JobRow], pinned: Iterable[JobRow]) -> list[JobRow]:
    rows = {r.job_id: r for r in pinned}
    rows.update({r.job_id: r for r in live})  # the queue is the most recent truth
    return list(rows.values())


def _count(rows: Iterable[JobRow]) -> Counts:
    counts = Counts()
    for row in rows:
        bucket = state_bucket(row.state)
        setattr(counts, bucket, getattr(counts, bucket) + 1)
        if bucket == "running":
            counts.gpus_running += row.gpus or 0
        elif bucket == "pending":
            counts.gpus_pending += row.gpus or 0
    return counts


def _add(total: Counts, part: Counts) -> None:
    for name in Counts.model_fields:
        setattr(total, name, getattr(total, name) + getattr(part, name))


def _job_view(
    row: JobRow, depth: int, parents: list[str], background: Sequence[str], peek: LivePeek | None
) -> BoardJob:
    pending = None
    if row.state == "PENDING" and row.reason:
        info = explain_reason(row.reason)
        pending = PendingInfo(
            code=info.code, short=info.short, detail=info.detail, blocker=info.blocker, estimated_start=row.start_time
        )
    terminal = is_terminal(row.state)
    return BoardJob(
        cluster=row.cluster,
        job_id=row.job_id,
        name=row.name,
        state=row.state,
        bucket=state_bucket(row.state),
        reason=shown_reason(row.state, row.state_detail, row.reason),
        user=row.user,
        account=row.account,
        partition=row.partition,
        nodes=row.nodes,
        gpus=row.gpus,
        gpu_type=row.gpu_type,
        node_list=row.node_list,
        submit_time=row.submit_time,
        start_time=row.start_time,
        end_time=row.end_time,
        elapsed_sec=row.elapsed_sec,
        time_limit_sec=row.time_limit_sec,
        exit_code=row.exit_code,
        depends_on=parents,
        dependencies=list(row.dependencies),
        depth=depth,
        pinned=row.pinned,
        background=is_background(row.name, background),
        # a crash class that only repeats the state (TIMEOUT/timeout, CANCELLED/cancelled) adds nothing
        crash=JobCrash(kind=row.crash_kind, line=row.crash_line)
        if row.crash_kind and row.crash_kind != row.state.lower()
        else None
        if row.crash_kind
        else (JobCrash(kind=peek.crash_kind, line=peek.crash_line) if peek and peek.crash_kind else None),
        progress=peek.progress if peek and row.state == "RUNNING" else None,
        pending=pending,
        can_cancel=not terminal,
        can_dismiss=terminal and row.pinned,
    )


def _projects(
    rows: list[JobRow],
    projects: dict[str, Project],
    suffixes: StageSuffixes,
    background: Sequence[str],
    peeks: Mapping[str, LivePeek],
) -> list[BoardProject]:
    by_project: dict[str, list[JobRow]] = defaultdict(list)
    for row in rows:
        by_project[row.project if row.project in projects else NO_PROJECT.name].append(row)
    result = []
    for name in sorted(by_project, key=lambda n: (n == NO_PROJECT.name, n)):
        project = projects.get(name, NO_PROJECT)
        members = by_project[name]
        by_id = {r.job_id: r for r in members}
        groups = group_runs(
            [as_run_job(r) for r in members],
            suffixes,
        )
        runs = []
        for group in groups:
            jobs = [
                _job_view(by_id[j], group.depth.get(j, 0), list(group.parents.get(j, ())), background, peeks.get(j))
                for j in group.job_ids
                if j in by_id
            ]
            group_rows = [by_id[j] for j in group.job_ids if j in by_id]
            runs.append(
                BoardRun(
                    run_id=group.run_id,
                    label=group.label,
                    campaign=group_rows[0].campaign,
                    counts=_count(group_rows),
                    jobs=jobs,
                )
            )
        runs.sort(key=lambda r: (min(state_rank(j.state) for j in r.jobs), -max((j.submit_time or 0) for j in r.jobs)))
        result.append(
            BoardProject(name=project.name, color=project.color, emoji=project.emoji, counts=_count(members), runs=runs)
        )
    return result
