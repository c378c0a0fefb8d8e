"""Job history: queries over every job clausius has recorded, project summaries, clean-up.

History is the `jobs` table: every job ever observed, kept after Slurm has forgotten it
and after its cluster was removed. Reading it never contacts a cluster.
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from clausius.core.job_record import JobRow
from clausius.core.job_states import ACTIVE_STATES, TERMINAL_STATES
from clausius.core.job_states import bucket as state_bucket
from clausius.errors import InvalidInput, NotFound, from_validation_error
from clausius.services.interface import current_interface
from clausius.services.local_agent import LOCAL
from clausius.services.projects import ProjectService
from clausius.services.settings import SettingsService
from clausius.store import config_repo, history_repo, jobs_repo
from clausius.store.database import Database

KNOWN_STATES: frozenset[str] = ACTIVE_STATES | TERMINAL_STATES
MAX_CLEANUP_DAYS = 36_500  # a century: beyond it the cutoff stops being a meaningful time
_DAY_SEC = 86_400


def _state_names(values: Any, allowed: frozenset[str], what: str) -> list[str]:
    """Upper-cased, de-duplicated state names; `a,b` inside one value counts as two."""
    items = [values] if isinstance(values, str) else list(values or [])
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError("state names must be text")  # ValueError: pydantic reports it, a TypeError escapes
        for part in item.split(","):
            name = part.strip().upper()
            if not name:
                continue
            if name not in allowed:
                raise ValueError(f"unknown {what} {part.strip()!r}; valid: {', '.join(sorted(allowed))}")
            if name not in names:
                names.append(name)
    return names


class HistoryQuery(BaseModel):
    """Which recorded jobs to show; every filter is optional and they combine with AND."""

    model_config = ConfigDict(extra="forbid")

    cluster: str | None = Field(
        default=None, max_length=64, description="Only this cluster (a configured one, or one that still has history)."
    )
    project: str | None = Field(
        default=None, max_length=128, description="Only jobs of this project (by project name)."
    )
    campaign: str | None = Field(
        default=None,
        max_length=128,
        description="Only this campaign: the second part of `<project>_<campaign>_...` names.",
    )
    states: list[str] = Field(
        default_factory=list,
        max_length=32,
        description="Only these Slurm states, e.g. ['FAILED', 'TIMEOUT'] (case-insensitive). Empty: any state.",
    )
    partition: str | None = Field(default=None, max_length=128, description="Only jobs submitted to this partition.")
    account: str | None = Field(default=None, max_length=128, description="Only jobs charged to this Slurm account.")
    search: str | None = Field(
        default=None,
        max_length=200,
        description="Case-insensitive text the job name contains, or an exact job id. No wildcards.",
    )
    days: int | None = Field(
        default=None, ge=1, le=3650, description="Only jobs submitted or ended within the last N days (1..3650)."
    )
    limit: int = Field(default=50, ge=1, le=500, description="Page size, 1..500.")
    offset: int = Field(
        default=0, ge=0, le=10_000_000, description="How many matching jobs to skip (from `next_offset`)."
    )

    @field_validator("cluster", "project", "campaign", "partition", "account", "search", mode="before")
    @classmethod
    def _blank_is_no_filter(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @field_validator("states", mode="before")
    @classmethod
    def _states(cls, value: Any) -> list[str]:
        return _state_names(value, KNOWN_STATES, "state")


def parse_query(**fields: Any) -> HistoryQuery:
    """Build a query from loose input (HTTP parameters, tool arguments); a bad value is one InvalidInput."""
    try:
        return HistoryQuery(**fields)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


class HistoryJob(BaseModel):
    """One recorded job, whether or not Slurm still knows it."""

    cluster: str
    job_id: str = Field(description="As Slurm shows it: 123, 13_1 (array task), 123+0 (het job).")
    name: str
    state: str = Field(description="Slurm state word, e.g. COMPLETED, FAILED, RUNNING.")
    state_detail: str | None = Field(description="Full state text when it says more, e.g. 'CANCELLED by 1001'.")
    exit_code: int | None
    crash_kind: str | None = Field(description="Crash class found in the logs (oom, segfault, traceback, ...).")
    crash_line: str | None = Field(description="The log line the crash class was recognised from.")
    project: str | None
    campaign: str | None
    run_id: str | None = Field(description="The run (dependency chain / rerun group) this job belongs to.")
    user: str | None
    account: str | None
    partition: str | None
    nodes: int | None
    gpus: int | None
    gpu_type: str | None
    submit_time: float | None = Field(description="Epoch seconds (UTC).")
    start_time: float | None = Field(description="Epoch seconds (UTC); for a pending job, Slurm's estimate.")
    end_time: float | None = Field(description="Epoch seconds (UTC).")
    elapsed_sec: int | None
    time_limit_sec: int | None
    std_out: str | None = Field(description="Path of the job's stdout file on the cluster, when known.")
    std_err: str | None
    work_dir: str | None
    dependencies: list[tuple[str, str]] = Field(description="[[type, job_id], ...], e.g. [['afterok', '122']].")
    pinned: bool = Field(description="Finished while watched and still shown on the live board.")

    @classmethod
    def from_row(cls, row: JobRow) -> HistoryJob:
        return cls(
            cluster=row.cluster,
            job_id=row.job_id,
            name=row.name,
            state=row.state,
            state_detail=row.state_detail,
            exit_code=row.exit_code,
            crash_kind=row.crash_kind,
            crash_line=row.crash_line,
            project=row.project,
            campaign=row.campaign,
            run_id=row.run_id,
            user=row.user,
            account=row.account,
            partition=row.partition,
            nodes=row.nodes,
            gpus=row.gpus,
            gpu_type=row.gpu_type,
            submit_time=row.submit_time,
            start_time=row.start_time,
            end_time=row.end_time,
            elapsed_sec=row.elapsed_sec,
            time_limit_sec=row.time_limit_sec,
            std_out=row.std_out,
            std_err=row.std_err,
            work_dir=row.work_dir,
            dependencies=list(row.dependencies),
            pinned=row.pinned,
        )


class HistoryPage(BaseModel):
    jobs: list[HistoryJob]
    total: int = Field(description="How many jobs match the filters (all pages).")
    offset: int
    limit: int
    next_offset: int | None = Field(description="Offset of the next page; null when this is the last one.")


class ProjectSummary(BaseModel):
    name: str
    prefix: str
    color: str
    emoji: str
    jobs_total: int = Field(description="Every recorded job of the project, in any state.")
    running: int
    pending: int
    completed: int
    failed: int
    cancelled: int
    last_submit: float | None = Field(description="Newest submit time among the project's jobs (epoch seconds).")


class CleanupResult(BaseModel):
    matched: int = Field(description="Finished, unpinned jobs older than the cutoff.")
    deleted: int = Field(description="Jobs actually deleted (0 on a dry run).")
    dry_run: bool
    older_than_days: int
    cluster: str | None
    oldest_end: float | None = Field(description="Oldest end time among the matched jobs (epoch seconds).")
    newest_end: float | None = Field(description="Newest end time among the matched jobs (epoch seconds).")


def _job_filter(q: HistoryQuery, now: float) -> history_repo.JobFilter:
    return history_repo.JobFilter(
        cluster=q.cluster,
        project=q.project,
        campaign=q.campaign,
        states=tuple(q.states),
        partition=q.partition,
        account=q.account,
        search=q.search,
        since=None if q.days is None else now - q.days * _DAY_SEC,
    )


def _unknown_cluster(conn: sqlite3.Connection, name: str) -> NotFound:
    known = sorted({*history_repo.known_clusters(conn), LOCAL})
    return NotFound(f"unknown cluster {name!r}; known clusters: {', '.join(known)}", choices=known)


def _unknown_project(conn: sqlite3.Connection, name: str) -> NotFound:
    known = history_repo.known_projects(conn)
    listing = f"known projects: {', '.join(known)}" if known else "no projects are configured yet"
    return NotFound(f"unknown project {name!r}; {listing}", choices=known)


def _check_names(conn: sqlite3.Connection, cluster: str | None, project: str | None) -> None:
    """Unknown names are errors rather than empty pages, so a typo is not mistaken for 'no jobs'."""
    if cluster is not None and cluster != LOCAL and not history_repo.cluster_known(conn, cluster):
        raise _unknown_cluster(conn, cluster)
    if project is not None and not history_repo.project_known(conn, project):
        raise _unknown_project(conn, project)


class HistoryService:
    def __init__(self, db: Database, settings: SettingsService, projects: ProjectService) -> None:
        self._db = db
        self._settings = settings
        self._projects = projects

    async def query(self, q: HistoryQuery) -> HistoryPage:
        """Matching jobs, newest activity first, one page at a time."""
        # Re-validate: a caller may have built the model with model_construct or mutated it.
        q = parse_query(**q.model_dump())
        job_filter = _job_filter(q, time.time())

        def read(conn: sqlite3.Connection) -> tuple[int, list[JobRow]]:
            _check_names(conn, q.cluster, q.project)
            total = history_repo.count_jobs(conn, job_filter)
            return total, history_repo.list_jobs(conn, job_filter, q.limit, q.offset)

        total, rows = await self._db.read(read)
        shown_until = q.offset + len(rows)
        return HistoryPage(
            jobs=[HistoryJob.from_row(r) for r in rows],
            total=total,
            offset=q.offset,
            limit=q.limit,
            next_offset=shown_until if rows and shown_until < total else None,
        )

    async def get_job(self, cluster: str, job_id: str) -> HistoryJob:
        def read(conn: sqlite3.Connection) -> JobRow:
            row = jobs_repo.get(conn, cluster, job_id)
            if row is not None:
                return row
            if cluster != LOCAL and not history_repo.cluster_known(conn, cluster):
                raise _unknown_cluster(conn, cluster)
            raise NotFound(f"job {job_id} on cluster {cluster!r} is not in the history")

        return HistoryJob.from_row(await self._db.read(read))

    async def project_summaries(self) -> list[ProjectSummary]:
        """Every configured project with its job counts by board bucket (jobs of no project are left out)."""
        projects = await self._projects.list()
        counts = await self._db.read(history_repo.project_state_counts)
        summaries = {
            p.name: ProjectSummary(
                name=p.name,
                prefix=p.prefix,
                color=p.color,
                emoji=p.emoji,
                jobs_total=0,
                running=0,
                pending=0,
                completed=0,
                failed=0,
                cancelled=0,
                last_submit=None,
            )
            for p in projects
        }
        for group in counts:
            summary = summaries.get(group.project)
            if summary is None:
                continue
            summary.jobs_total += group.jobs
            bucket = state_bucket(group.state)
            if bucket != "other":
                setattr(summary, bucket, getattr(summary, bucket) + group.jobs)
            if group.last_submit is not None and (
                summary.last_submit is None or group.last_submit > summary.last_submit
            ):
                summary.last_submit = group.last_submit
        return list(summaries.values())

    async def project_jobs(
        self, project: str, *, cluster: str | None = None, limit: int = 50, offset: int = 0
    ) -> HistoryPage:
        """One project's jobs, newest first (an unknown project is NotFound, not an empty page)."""
        if not project.strip():
            raise InvalidInput("project name is empty")
        return await self.query(parse_query(project=project, cluster=cluster, limit=limit, offset=offset))

    async def cleanup(
        self,
        older_than_days: int,
        *,
        cluster: str | None = None,
        states: list[str] | None = None,
        dry_run: bool = True,
    ) -> CleanupResult:
        """Delete finished, unpinned jobs that ended more than `older_than_days` ago (a dry run only counts)."""
        if isinstance(older_than_days, bool) or not isinstance(older_than_days, int):
            raise InvalidInput("older_than_days must be a whole number of days")
        if not 1 <= older_than_days <= MAX_CLEANUP_DAYS:
            raise InvalidInput(f"older_than_days must be between 1 and {MAX_CLEANUP_DAYS}")
        cluster = (cluster or "").strip() or None
        chosen = _cleanup_states(states)
        cleanup_filter = history_repo.CleanupFilter(
            cutoff=time.time() - older_than_days * _DAY_SEC, states=tuple(chosen), cluster=cluster
        )

        def check_and_count(conn: sqlite3.Connection) -> history_repo.CleanupMatch:
            _check_names(conn, cluster, None)
            return history_repo.cleanup_match(conn, cleanup_filter)

        if dry_run:
            match = await self._db.read(check_and_count)
            return _cleanup_result(match, 0, older_than_days, cluster, dry_run=True)

        interface = current_interface.get()

        def delete(conn: sqlite3.Connection) -> tuple[history_repo.CleanupMatch, int]:
            match = check_and_count(conn)
            jobs_deleted, runs_deleted = history_repo.delete_old_jobs(conn, cleanup_filter)
            detail = {
                "older_than_days": older_than_days,
                "states": chosen,
                "jobs_deleted": jobs_deleted,
                "runs_deleted": runs_deleted,
            }
            config_repo.audit(conn, interface, "cleanup_history", cluster or "all clusters", json.dumps(detail))
            return match, jobs_deleted

        match, deleted = await self._db.write(delete)
        return _cleanup_result(match, deleted, older_than_days, cluster, dry_run=False)


def _cleanup_states(states: list[str] | None) -> list[str]:
    if not states:
        return sorted(TERMINAL_STATES)
    try:
        chosen = _state_names(states, KNOWN_STATES, "state")
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    active = [s for s in chosen if s not in TERMINAL_STATES]
    if active:
        raise InvalidInput(
            f"only finished jobs can be cleaned up, not {', '.join(active)}; "
            f"finished states: {', '.join(sorted(TERMINAL_STATES))}"
        )
    return chosen or sorted(TERMINAL_STATES)


def _cleanup_result(
    match: history_repo.CleanupMatch, deleted: int, older_than_days: int, cluster: str | None, *, dry_run: bool
) -> CleanupResult:
    return CleanupResult(
        matched=match.jobs,
        deleted=deleted,
        dry_run=dry_run,
        older_than_days=older_than_days,
        cluster=cluster,
        oldest_end=match.oldest_end,
        newest_end=match.newest_end,
    )
