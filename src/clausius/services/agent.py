"""One agent per cluster: the shared snapshot, single-flight refresh, demand-driven polling.

Readers never wait on SSH: they get the last snapshot (and register demand).
The agent polls only while someone has asked within the demand window (an SSE
viewer, or an API/MCP/CLI read), so with nobody looking no login node is
contacted. However many readers ask at once, one remote round trip runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from clausius.core.config_models import Project, ProjectSpec
from clausius.core.job_record import JobRow, as_run_job
from clausius.core.job_states import ACTIVE_STATES, is_terminal
from clausius.core.naming import compile_stage_suffixes
from clausius.core.reconcile import is_aggregate, is_incomplete_record, reconcile
from clausius.core.runs import group_runs
from clausius.errors import ClausiusError
from clausius.remote.base import Transport
from clausius.services.deadlines import Deadlines
from clausius.services.inspection import LivePeek, assess_finished, lookup_paths, peek_running, plan_path_queries
from clausius.services.projects import ProjectService
from clausius.services.settings import SettingsService
from clausius.services.transports import TransportRegistry
from clausius.slurm.commands import build_sacct_jobs
from clausius.slurm.errors import SlurmParseError
from clausius.slurm.models import SacctJob
from clausius.slurm.refresh import RefreshResult, build_refresh_script, parse_refresh
from clausius.slurm.sacct import parse_sacct
from clausius.store import jobs_repo
from clausius.store.database import Database

log = logging.getLogger(__name__)
FIRST_WINDOW_SEC = 24 * 3600  # a cluster seen for the first time: import the last day of history
CLOCK_MARGIN_SEC = 120  # overlap between sacct windows, for clock skew and accounting lag
LOOKUP_ATTEMPTS = 5  # sacct tries for one job by id while its record is still incomplete
MAX_ASSESSED = 200  # finished jobs whose logs one inspection reads; the rest wait for the next
MAX_INSIGHT_TRIES = 3  # failed inspections a finished job waits through before it goes unclassified
MAX_AWAITING_INSIGHT = 5000  # finished jobs kept waiting for insight (a huge sweep drops its oldest)

AgentState = Literal["never", "live", "stale", "unreachable", "idle"]


@dataclass
class Snapshot:
    live: list[JobRow] = field(default_factory=list)
    pinned: list[JobRow] = field(default_factory=list)
    fetched_at: float | None = None  # our clock, after the last good refresh
    remote_clock: float | None = None
    utc_offset: int = 0
    just_finished: list[JobRow] = field(default_factory=list)  # finalised by this refresh


@dataclass
class AgentStatus:
    state: AgentState
    age_sec: float | None
    error: str | None
    last_success_at: float | None
    refreshes: int
    failures: int


class ClusterAgent:
    def __init__(
        self,
        name: str,
        db: Database,
        settings: SettingsService,
        transports: TransportRegistry,
        projects: ProjectService,
        on_change: Callable[[str], None],
    ) -> None:
        self.name = name
        self._db = db
        self._settings = settings
        self._deadlines = Deadlines(settings)
        self._transports = transports
        self._projects = projects
        self._on_change = on_change
        self.snapshot = Snapshot()
        self._inflight: asyncio.Task[Snapshot] | None = None
        self._last_demand = 0.0
        self._demand = asyncio.Event()
        self._error: str | None = None
        self._refreshes = 0
        self._failures = 0
        self._consecutive_failures = 0
        self._last_attempt: float | None = None
        self.peeks: dict[str, LivePeek] = {}  # progress / early crash signs of running jobs, by job id
        self._inspecting: asyncio.Task[None] | None = None
        self.inspection_crashes = 0  # bugs in _inspect: logged with their traceback, never silent
        self.refresh_crashes = 0  # bugs in one refresh (the loop itself goes on)
        self._recheck: set[str] = set()  # ids whose accounting record was still incomplete
        # Finished jobs whose logs are still to be read for a crash class, with failed attempts:
        # kept across refreshes so none is lost to a busy or failed inspection or the lookup cap.
        self._awaiting_insight: dict[str, tuple[JobRow, int]] = {}

    # -- demand ---------------------------------------------------------------------------------------

    def touch(self) -> None:
        """Someone looked: keep (or start) polling for the demand window."""
        self._last_demand = time.monotonic()
        self._demand.set()

    def wanted(self) -> bool:
        return time.monotonic() - self._last_demand < self._settings.get_int("demand_window_sec")

    def status(self) -> AgentStatus:
        age = None if self.snapshot.fetched_at is None else max(0.0, time.time() - self.snapshot.fetched_at)
        state: AgentState
        if self.snapshot.fetched_at is None:
            state = "unreachable" if self._error else "never"
        elif self._error and self._consecutive_failures >= 2:
            state = "unreachable"
        elif not self.wanted():
            state = "idle"
        elif age is not None and age > 2 * self._settings.get_int("poll_interval_sec") + 10:
            state = "stale"
        else:
            state = "live"
        return AgentStatus(
            state=state,
            age_sec=None if age is None else round(age, 1),
            error=self._error,
            last_success_at=self.snapshot.fetched_at,
            refreshes=self._refreshes,
            failures=self._failures,
        )

    # -- refreshing -----------------------------------------------------------------------------------

    async def refresh(self) -> Snapshot:
        """Refresh now, joining a refresh already under way (single flight)."""
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.create_task(self._refresh_once(), name=f"refresh-{self.name}")
        return await asyncio.shield(self._inflight)

    async def _refresh_once(self) -> Snapshot:
        started = self._last_attempt = time.time()
        try:
            snapshot = await self._fetch_and_record()
        except (ClausiusError, SlurmParseError) as exc:
            self._failures += 1
            self._consecutive_failures += 1
            message = self._error = str(exc)
            await self._db.write(lambda c: _record_error(c, self.name, message, started))
            self._on_change(self.name)
            return self.snapshot
        except Exception as exc:  # a bug: logged with its traceback, shown, and the loop goes on
            log.error("%s: refresh failed on an unexpected error", self.name, exc_info=exc)
            self.refresh_crashes += 1
            self.crashed(exc)
            return self.snapshot
        self._refreshes += 1
        self._consecutive_failures = 0
        self._error = None
        self.snapshot = snapshot
        self._await_insight(snapshot.just_finished)
        self._on_change(self.name)
        if self._inspecting is None or self._inspecting.done():
            self._inspecting = asyncio.create_task(self._inspect(snapshot), name=f"inspect-{self.name}")
            self._inspecting.add_done_callback(self._inspection_done)
        return snapshot

    async def _fetch_and_record(self) -> Snapshot:
        sync = await self._db.read(lambda c: jobs_repo.get_sync(c, self.name))
        now = time.time()
        since = (sync.last_clock - CLOCK_MARGIN_SEC) if sync.last_clock else now - FIRST_WINDOW_SEC
        user = await self._transports.remote_user(self.name)
        transport = await self._transports.get(self.name)
        script = build_refresh_script(user, since, sync.utc_offset or 0)
        timeout = self._deadlines.refresh
        result = await transport.run_script(script.text, timeout=timeout)
        parsed = parse_refresh(result.stdout, result.stderr, script.nonce, fallback_utc_offset=sync.utc_offset)
        if parsed.squeue_jobs is None:
            detail = parsed.errors.get("squeue") or result.stderr.strip()[-300:] or f"exit code {result.rc}"
            raise ClausiusError(f"{self.name}: squeue failed: {detail}")
        sacct_ok = parsed.sacct_jobs is not None
        sacct_jobs = self._complete(parsed.sacct_jobs or ())
        projects = await self._projects.list()
        sacct_ids = [j.job_id for j in sacct_jobs]

        def read(conn: sqlite3.Connection) -> tuple[dict[str, JobRow], dict[str, JobRow]]:
            return jobs_repo.active(conn, self.name, sorted(ACTIVE_STATES)), jobs_repo.get_many(
                conn, self.name, sacct_ids
            )

        known, stored = await self._db.read(read)
        final = frozenset(i for i, row in stored.items() if is_terminal(row.state) and i not in known)
        if not sacct_ok:
            known = {}  # without accounting nothing can be finalised this round; just record what is queued
        else:
            sacct_jobs = (*sacct_jobs, *await self._accounting_for_gone(transport, user, known, parsed, sync))
        watched = self.snapshot.fetched_at is not None and now - self.snapshot.fetched_at < 3 * max(
            self._settings.get_int("poll_interval_sec"), self._settings.get_int("cache_fresh_sec")
        )
        outcome = reconcile(
            self.name, known, parsed.squeue_jobs, sacct_jobs, projects, now, already_final=final, watched=watched
        )
        await self._register_projects(outcome.live, projects)
        clock = parsed.clock.epoch if parsed.clock else None
        offset = parsed.clock.utc_offset_sec if parsed.clock else sync.utc_offset

        runs, members = self._grouping(outcome.writes)

        def write(conn: sqlite3.Connection) -> list[JobRow]:
            jobs_repo.upsert(conn, outcome.writes)
            jobs_repo.record_runs(conn, self.name, runs, members, now)
            jobs_repo.put_sync(
                conn,
                jobs_repo.SyncState(
                    cluster=self.name,
                    last_clock=clock if (sacct_ok and clock) else sync.last_clock,
                    utc_offset=offset,
                    last_success_at=now,
                    last_error=None,
                    last_error_at=None,
                ),
            )
            return jobs_repo.pinned(conn, self.name)

        pinned = await self._db.write(write)
        finished = set(outcome.finalised)
        return Snapshot(
            live=outcome.live,
            pinned=pinned,
            fetched_at=time.time(),
            remote_clock=clock,
            utc_offset=offset or 0,
            just_finished=[r for r in pinned if r.job_id in finished],
        )

    async def inspected(self) -> None:
        """Wait for the log inspection started by the last refresh (tests, and callers wanting crash classes)."""
        if self._inspecting is not None:
            await asyncio.shield(self._inspecting)

    def _await_insight(self, finished: list[JobRow]) -> None:
        for row in finished:
            if not is_aggregate(row.job_id):
                self._awaiting_insight[row.job_id] = (row, 0)
        while len(self._awaiting_insight) > MAX_AWAITING_INSIGHT:  # oldest first: dicts keep insertion order
            del self._awaiting_insight[next(iter(self._awaiting_insight))]

    def crashed(self, exc: BaseException) -> None:
        """The supervisor's report of a bug in this agent's loop: shown as the cluster's error until a refresh works."""
        self._failures += 1
        self._consecutive_failures += 1
        self._error = f"internal error in clausius while refreshing ({type(exc).__name__}: {exc}); restarting"
        self._on_change(self.name)

    def _inspection_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        self.inspection_crashes += 1
        log.error("%s: log inspection crashed", self.name, exc_info=task.exception())

    async def stop_inspecting(self) -> None:
        if self._inspecting is not None and not self._inspecting.done():
            self._inspecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._inspecting

    def has_slurm_logs(self, row: JobRow) -> bool:
        """Whether Slurm knows this row's log files (the local agent's processes have none)."""
        return True

    async def _inspect(self, snapshot: Snapshot) -> None:
        """After a refresh: log paths for new jobs, crash classes for finished ones, progress for running ones."""
        for job_id in [j for j, (row, _) in self._awaiting_insight.items() if not self.has_slurm_logs(row)]:
            del self._awaiting_insight[job_id]
        batch = dict(list(self._awaiting_insight.items())[:MAX_ASSESSED])
        finished = [row for row, _ in batch.values()]
        live = [r for r in snapshot.live if self.has_slurm_logs(r)]
        try:
            transport = await self._transports.get(self.name)
            timeout = self._deadlines.command
            nbytes = self._settings.get_int("log_tail_bytes")
            missing = [
                r for r in [*finished, *live] if not is_aggregate(r.job_id) and not r.std_out
            ]  # finished first: scontrol still knows them only for MinJobAge (default 300 s)
            _, asked = plan_path_queries([r.job_id for r in missing])
            paths = await lookup_paths(transport, missing, snapshot.utc_offset, timeout * 2)
            if paths:
                await self._db.write(lambda c: jobs_repo.set_paths(c, self.name, paths))
                snapshot.live = _with_paths(snapshot.live, paths)
                finished = _with_paths(finished, paths)
            # A job whose paths were not asked for yet waits for a later inspection; one that
            # slurmctld has forgotten is judged on its state and exit code alone.
            ready = [r for r in finished if r.std_out or r.std_err or r.job_id in asked]
            verdicts = await assess_finished(transport, ready, nbytes, timeout)
            if verdicts:
                await self._db.write(lambda c: jobs_repo.upsert(c, verdicts))
                snapshot.pinned = await self._db.read(lambda c: jobs_repo.pinned(c, self.name))
            for row in ready:
                if self._awaiting_insight.get(row.job_id, (None, 0))[0] is batch[row.job_id][0]:
                    del self._awaiting_insight[row.job_id]  # (not if a newer record replaced it meanwhile)
            live = [r for r in snapshot.live if self.has_slurm_logs(r)]
            self.peeks = await peek_running(transport, live, nbytes, timeout)
        except ClausiusError as exc:  # insight is best effort; the board itself is already up to date
            log.info("%s: log inspection failed: %s", self.name, exc)
            self._retry_later(batch)
            return
        self._on_change(self.name)

    def _retry_later(self, batch: dict[str, tuple[JobRow, int]]) -> None:
        """After a failed inspection, try its finished jobs again on later ones, a few times."""
        for job_id, (row, tries) in batch.items():
            current = self._awaiting_insight.get(job_id)
            if current is None or current[0] is not row:
                continue
            if tries + 1 >= MAX_INSIGHT_TRIES:
                del self._awaiting_insight[job_id]
            else:
                self._awaiting_insight[job_id] = (row, tries + 1)

    def _grouping(
        self, rows: list[JobRow]
    ) -> tuple[list[tuple[str, str, str | None, str | None, str]], dict[str, str]]:
        """Run groups of the stored rows of this refresh, to persist (jobs keep their first run)."""
        suffixes = compile_stage_suffixes(self._settings.get_list("stage_suffixes"))
        by_id = {r.job_id: r for r in rows}
        groups = group_runs(
            [as_run_job(r) for r in rows],
            suffixes,
        )
        runs, members = [], {}
        for group in groups:
            root = by_id.get(group.root_job_id)
            runs.append(
                (
                    group.run_id,
                    group.label,
                    root.project if root else None,
                    root.campaign if root else None,
                    group.root_job_id,
                )
            )
            members.update(dict.fromkeys(group.job_ids, group.run_id))
        return runs, members

    async def _accounting_for_gone(
        self,
        transport: Transport,
        user: str,
        known: dict[str, JobRow],
        parsed: RefreshResult,
        sync: jobs_repo.SyncState,
    ) -> tuple[SacctJob, ...]:
        """One batched `sacct -j` for known jobs that left the queue but are not in the window's records.

        A `-S` window can miss jobs that were never eligible (cancelled while held or waiting on a
        dependency); asking for them by id finds them. Runs only when such jobs exist.
        """
        in_queue = {j.job_id for j in parsed.squeue_jobs or ()}
        recorded = {j.job_id for j in parsed.sacct_jobs or () if not is_incomplete_record(j)}
        gone = sorted(i for i in known if i not in in_queue and i not in recorded and not is_aggregate(i))
        gone += sorted(self._recheck - set(gone) - in_queue)
        if not gone:
            return ()
        timeout = self._deadlines.refresh
        result = await transport.run(build_sacct_jobs(user, gone[:200]), timeout=timeout)
        if result.rc != 0:
            log.info("%s: sacct for %d gone job(s) failed: %s", self.name, len(gone), result.stderr.strip()[:200])
            return ()
        offset = parsed.clock.utc_offset_sec if parsed.clock else (sync.utc_offset or 0)
        try:
            self._recheck.difference_update(gone[:200])
            return self._complete(parse_sacct(result.stdout, offset))
        except SlurmParseError as exc:
            log.info("%s: sacct output for gone jobs not understood: %s", self.name, exc)
            return ()

    async def lookup(self, job_id: str) -> JobRow | None:
        """A finished job of ours that no refresh has recorded yet: ask accounting by id and record it.

        A job that ends between two refreshes is only in sacct, and slurmdbd may learn its
        times a little late; a caller naming it (waiting for it, asking for its run) should
        not have to wait for the next window. Costs one sacct, only when asked.
        """
        user = await self._transports.remote_user(self.name)
        transport = await self._transports.get(self.name)
        timeout = self._deadlines.refresh
        for attempt in range(LOOKUP_ATTEMPTS):
            result = await transport.run(build_sacct_jobs(user, [job_id]), timeout=timeout)
            if result.rc != 0:
                raise ClausiusError(f"{self.name}: sacct failed: {result.stderr.strip()[:200] or result.rc}")
            try:
                found = [j for j in parse_sacct(result.stdout, self.snapshot.utc_offset) if j.job_id == job_id]
            except SlurmParseError as exc:
                raise ClausiusError(f"{self.name}: sacct output not understood: {exc}") from None
            if not found or not is_incomplete_record(found[0]):
                break
            if attempt + 1 == LOOKUP_ATTEMPTS:
                return None  # slurmdbd is still catching up; the refreshes will record it
            await asyncio.sleep(1.0)  # slurmdbd completes the record within a second or two
        if not found or not is_terminal(found[0].state):
            return None  # unknown, or so new that the next refresh will show it in the queue
        if found[0].user and found[0].user != user:
            raise ClausiusError(
                f"job {job_id} on {self.name} belongs to {found[0].user}; clausius follows {user}'s jobs"
            )
        outcome = reconcile(self.name, {}, (), found, await self._projects.list(), time.time())
        runs, members = self._grouping(outcome.writes)

        def write(conn: sqlite3.Connection) -> None:
            jobs_repo.upsert(conn, outcome.writes)
            jobs_repo.record_runs(conn, self.name, runs, members, time.time())

        await self._db.write(write)
        row = await self._db.read(lambda c: jobs_repo.get(c, self.name, job_id))
        if row is not None:
            with contextlib.suppress(ClausiusError):  # the crash class is insight; the record already stands
                paths = await lookup_paths(transport, [row], self.snapshot.utc_offset, timeout)
                row = _with_paths([row], paths)[0]
                verdicts = await assess_finished(transport, [row], self._settings.get_int("log_tail_bytes"), timeout)

                def record(conn: sqlite3.Connection) -> None:
                    jobs_repo.set_paths(conn, self.name, paths)
                    jobs_repo.upsert(conn, verdicts)

                await self._db.write(record)
                row = verdicts[0] if verdicts else row
        return row

    def _complete(self, jobs: Sequence[SacctJob]) -> tuple[SacctJob, ...]:
        """Accounting records fit to finalise from; incomplete ones are asked for again next refresh."""
        incomplete = {j.job_id for j in jobs if is_incomplete_record(j)}
        self._recheck |= incomplete
        return tuple(j for j in jobs if j.job_id not in incomplete)

    async def _register_projects(self, rows: list[JobRow], known: list[Project]) -> None:
        names = {p.name for p in known}
        for project in sorted({r.project for r in rows if r.project and r.project not in names}):
            try:
                await self._projects.add(ProjectSpec(name=project), if_missing=True)
            except ClausiusError as exc:  # e.g. an odd name that fails validation: the jobs still show
                log.info("not registering project %r: %s", project, exc)

    async def reload_pinned(self) -> None:
        """After a dismiss/clear: re-read the pinned rows without contacting the cluster."""
        self.snapshot.pinned = await self._db.read(lambda c: jobs_repo.pinned(c, self.name))
        self._on_change(self.name)

    # -- polling --------------------------------------------------------------------------------------

    def _next_delay(self) -> float:
        """Seconds until the next refresh is due: the interval after a success, a growing back-off after failures."""
        interval = float(self._settings.get_int("poll_interval_sec"))
        if self._last_attempt is None:
            return 0.0
        wait = interval
        if self._consecutive_failures:
            wait = float(min(interval * 2.0 ** min(self._consecutive_failures - 1, 4), 300.0))
        return max(0.0, wait - (time.time() - self._last_attempt))

    async def run(self) -> None:
        """Poll while wanted; sleep (contacting nobody) otherwise. Runs until cancelled."""
        while True:
            if not self.wanted():
                self._demand.clear()
                await self._demand.wait()
                continue
            delay = self._next_delay()
            if delay > 0:
                self._demand.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._demand.wait(), timeout=delay)
                if self._next_delay() > 0:
                    continue
            await self.refresh()


def _with_paths(rows: list[JobRow], paths: dict[str, tuple[str, str, str]]) -> list[JobRow]:
    return [
        replace(
            r,
            std_out=paths[r.job_id][0] or None,
            std_err=paths[r.job_id][1] or None,
            work_dir=paths[r.job_id][2] or None,
        )
        if r.job_id in paths
        else r
        for r in rows
    ]


def _record_error(conn: sqlite3.Connection, cluster: str, error: str, at: float) -> None:
    sync = jobs_repo.get_sync(conn, cluster)
    sync.last_error = error
    sync.last_error_at = at
    jobs_repo.put_sync(conn, sync)
