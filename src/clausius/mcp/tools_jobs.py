"""Job tools: the live board, history, logs, stats, runs, waiting and job actions."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from clausius.core.validation import STORE_INT_MAX
from clausius.mcp.toolkit import ToolRegistry
from clausius.services.app import ClusterHealth, Services
from clausius.services.board import CancelOutcome
from clausius.services.board_models import PriorityFactors
from clausius.services.history import HistoryPage, HistoryQuery, ProjectSummary
from clausius.services.jobs import JobList, RunInfo, WaitResult
from clausius.services.logs import LogFiles, LogTail
from clausius.services.stats import JobStats

Cluster = Annotated[str, Field(max_length=64, description="Cluster name, as in list_cluster_configs (or 'local').")]
AnyCluster = Annotated[str | None, Field(max_length=64, description="Only this cluster (default: every cluster).")]
JobId = Annotated[str, Field(max_length=64, description="Slurm job id as shown: 123, 45_7 (array task), 9+0.")]
States = Annotated[
    list[str],
    Field(
        max_length=20,
        description="Filter: groups running, pending, completed, failed, cancelled, or Slurm state names "
        "(TIMEOUT, OUT_OF_MEMORY, ...). Empty = all.",
    ),
]
LOG_TAIL_DEFAULT = 8192


class ProjectJobs(BaseModel):
    project: str
    live: JobList = Field(description="The project's jobs on the live board (queued, running, recently finished).")
    history: HistoryPage = Field(description="The project's recorded jobs, newest first.")


class ClearResult(BaseModel):
    cluster: str
    cleared: int = Field(description="Finished jobs taken off the board (they stay in history).")


class ClusterStatusList(BaseModel):
    clusters: list[ClusterHealth]


def register(tools: ToolRegistry, services: Services) -> None:
    @tools.tool(title="List jobs on the live board", read_only=True)
    async def list_jobs(
        cluster: AnyCluster = None,
        project: Annotated[str | None, Field(max_length=64, description="Only this project.")] = None,
        state: States = [],  # noqa: B006 - the SDK copies defaults; a list default keeps the schema an array
        limit: Annotated[int, Field(ge=1, le=500, description="Page size.")] = 50,
        offset: Annotated[int, Field(ge=0, le=STORE_INT_MAX, description="From next_offset of the previous page.")] = 0,
    ) -> JobList:
        """Jobs on the live board of every cluster (or one): queued, running and recently finished.

        Read from clausius's shared snapshot (no cluster is contacted per call; refreshed every
        poll interval). Each job has its project, run, plain-words pending reason, crash class and
        progress. `counts` covers all matching jobs; page with `offset`/`next_offset`. For jobs
        Slurm has forgotten use get_history.
        """
        return await services.jobs.list_jobs(cluster=cluster, project=project, states=state, limit=limit, offset=offset)

    @tools.tool(title="Read the end of a job's log", read_only=True, open_world=True)
    async def get_job_log(
        cluster: Cluster,
        job_id: JobId,
        path: Annotated[
            str | None, Field(description="One of list_log_files' paths; default: the log with the error, else stdout.")
        ] = None,
        tail_bytes: Annotated[
            int, Field(ge=256, le=262144, description="How many bytes from the end to return.")
        ] = LOG_TAIL_DEFAULT,
        before: Annotated[
            int | None,
            Field(
                ge=0,
                le=STORE_INT_MAX,
                description="Read the bytes that end here (start_offset of the previous answer) to page backwards.",
            ),
        ] = None,
    ) -> LogTail:
        """The last part of a job's log, with its crash classification (oom, traceback, segfault, ...) and progress.

        Bounded: returns `tail_bytes` (default 8 KiB). When `more_before` is true, call again with
        before=start_offset to read further back. Only the job's own log files can be read.
        """
        return await services.logs.read_log(cluster, job_id, path=path, tail_bytes=tail_bytes, before=before)

    @tools.tool(title="List a job's log files", read_only=True, open_world=True)
    async def list_log_files(cluster: Cluster, job_id: JobId) -> LogFiles:
        """The job's stdout/stderr files and other files named after its id, with sizes (for get_job_log's path)."""
        return await services.logs.list_log_files(cluster, job_id)

    @tools.tool(title="Job resource use", read_only=True, open_world=True)
    async def get_job_stats(cluster: Cluster, job_id: JobId) -> JobStats:
        """CPU time, efficiency, peak memory per step, elapsed vs limit (sstat while running, sacct after).

        GPU utilisation is not reported yet (`note` says so).
        """
        return await services.stats.job_stats(cluster, job_id)

    tools.spec_tool(
        name="get_history",
        title="Search job history",
        doc="Recorded jobs, including those Slurm has forgotten, newest first, filtered and paged.\n\n"
        "Exact final state, exit code, crash class, run and log paths are kept for every job clausius has "
        "seen. Use `search` for a job-name substring or an exact job id.",
        spec=HistoryQuery,
        returns=HistoryPage,
        call=services.history.query,
        read_only=True,
        defaults={"limit": 20},  # an LLM's context is small: a first page of 20, then next_offset
    )

    @tools.tool(title="List projects", read_only=True)
    async def list_projects() -> list[ProjectSummary]:
        """Every project (job-name prefix) with job counts by state and the last submission time."""
        return await services.history.project_summaries()

    @tools.tool(title="A project's jobs, live and past", read_only=True)
    async def get_project_jobs(
        project: Annotated[str, Field(max_length=64, description="Project name, as in list_projects.")],
        cluster: AnyCluster = None,
        limit: Annotated[int, Field(ge=1, le=200, description="Page size for each part.")] = 50,
    ) -> ProjectJobs:
        """One project's jobs: what is on the live board now, and its recorded history."""
        history = await services.history.project_jobs(project, cluster=cluster, limit=limit)
        live = await services.jobs.list_jobs(cluster=cluster, project=project, limit=limit)
        return ProjectJobs(project=project, live=live, history=history)

    @tools.tool(title="The run a job belongs to", read_only=True)
    async def get_run_info(cluster: Cluster, job_id: JobId) -> RunInfo:
        """Every job of the run (dependency chain / stage group) containing this job, in order, with states."""
        return await services.jobs.run_info(cluster, job_id)

    @tools.tool(title="Why a job is pending", read_only=True, open_world=True)
    async def get_pending_reason(cluster: Cluster, job_id: JobId) -> PriorityFactors:
        """A pending job's reason in plain words, Slurm's start estimate and its priority factors (one sprio)."""
        return await services.board.pending_details(cluster, job_id)

    @tools.tool(title="Wait for a job to finish (or reach a state)", read_only=True)
    async def wait_for_job(
        cluster: Cluster,
        job_id: JobId,
        ctx: Context,
        states: States = [],  # noqa: B006
        timeout_sec: Annotated[int, Field(ge=0, le=3600, description="Give up after this many seconds.")] = 300,
    ) -> WaitResult:
        """Block until the job reaches one of `states` (default: any finished state) or the timeout passes.

        Waits on clausius's shared snapshot: no extra load on the cluster however many wait, so
        prefer this over polling list_jobs. Returns reached=false on timeout; call again to keep waiting.
        A failed job comes back with its crash class (`job.crash`); get_job_log shows the lines around it.
        """

        async def tick(waited: float, state: str) -> None:
            await ctx.report_progress(min(waited, float(timeout_sec)), float(timeout_sec), f"{job_id} is {state}")

        return await services.jobs.wait_for_job(cluster, job_id, states=states, timeout=timeout_sec, on_tick=tick)

    @tools.tool(title="Cancel a job", read_only=False, destructive=True, idempotent=True, open_world=True)
    async def cancel_job(cluster: Cluster, job_id: JobId) -> CancelOutcome:
        """Cancel one Slurm job (scancel). Only when the user asked for it. Array ids cancel that task."""
        return await services.board.cancel(cluster, [job_id])

    @tools.tool(title="Cancel several jobs", read_only=False, destructive=True, idempotent=True, open_world=True)
    async def cancel_jobs(
        cluster: Cluster,
        job_ids: Annotated[list[JobId], Field(min_length=1, max_length=1000, description="Job ids to cancel.")],
    ) -> CancelOutcome:
        """Cancel many jobs on one cluster with a single scancel; per-job errors are returned, not raised."""
        return await services.board.cancel(cluster, job_ids)

    @tools.tool(title="Clear failed jobs from the board", read_only=False, destructive=True, idempotent=True)
    async def clear_failed(cluster: Cluster) -> ClearResult:
        """Take failed/timed-out/OOM jobs off the live board of a cluster. History keeps them."""
        return ClearResult(cluster=cluster, cleared=await services.board.clear(cluster, "failed"))

    @tools.tool(title="Clear completed jobs from the board", read_only=False, destructive=True, idempotent=True)
    async def clear_completed(cluster: Cluster) -> ClearResult:
        """Take completed jobs off the live board of a cluster. History keeps them."""
        return ClearResult(cluster=cluster, cleared=await services.board.clear(cluster, "completed"))

    @tools.tool(title="Cluster status", read_only=True)
    async def get_cluster_status(
        cluster: AnyCluster = None,
        check: Annotated[bool, Field(description="Also run one command on each cluster to test it now.")] = False,
    ) -> ClusterStatusList:
        """Whether each cluster answers (live / stale / unreachable), its last error, job counts and SSH counters."""
        return ClusterStatusList(clusters=await services.cluster_status(cluster, check=check))
