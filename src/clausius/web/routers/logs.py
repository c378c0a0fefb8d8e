"""HTTP routes for logs (thin: each calls one service function)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from clausius.core.validation import STORE_INT_MAX
from clausius.services.logs import DEFAULT_TAIL_BYTES, MAX_TAIL_BYTES, LogFiles, LogTail
from clausius.services.stats import JobStats
from clausius.web.deps import ServicesDep
from clausius.web.responses import CLUSTER, error_responses

router = APIRouter(prefix="/api", tags=["logs"], responses=error_responses(404, *CLUSTER))

ClusterParam = Annotated[str, Path(max_length=64)]
JobParam = Annotated[str, Path(max_length=64)]


@router.get("/jobs/{cluster}/{job_id}/logs")
async def log_files(cluster: ClusterParam, job_id: JobParam, services: ServicesDep) -> LogFiles:
    """The job's stdout/stderr and other files in their directory named after the job."""
    return await services.logs.list_log_files(cluster, job_id)


@router.get("/jobs/{cluster}/{job_id}/log")
async def read_log(
    cluster: ClusterParam,
    job_id: JobParam,
    services: ServicesDep,
    path: Annotated[
        str | None, Query(max_length=4096, description="One of the job's log files (default: stderr, else stdout).")
    ] = None,
    tail_bytes: Annotated[int, Query(ge=1, le=MAX_TAIL_BYTES, description="Bytes to read.")] = DEFAULT_TAIL_BYTES,
    before: Annotated[
        int | None,
        Query(ge=0, le=STORE_INT_MAX, description="Read the bytes ending at this offset (a previous start_offset)."),
    ] = None,
) -> LogTail:
    """A line-aligned piece of one log (its end by default), with crash class and progress."""
    return await services.logs.read_log(cluster, job_id, path=path, tail_bytes=tail_bytes, before=before)


@router.get("/jobs/{cluster}/{job_id}/stats")
async def job_stats(cluster: ClusterParam, job_id: JobParam, services: ServicesDep) -> JobStats:
    """CPU, memory and time use of the job (sstat while it runs, sacct after)."""
    return await services.stats.job_stats(cluster, job_id)
