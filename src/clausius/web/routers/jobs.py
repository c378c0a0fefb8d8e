"""Job queries for scripts and agents over HTTP: slim job lists, runs, waiting, cluster status, scripts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import Field

from clausius.core.validation import STORE_INT_MAX
from clausius.services.app import ClusterHealth
from clausius.services.jobs import MAX_WAIT_SEC, JobList, RunInfo, WaitResult
from clausius.services.scripts import MAX_OUTPUT_BYTES, MAX_SCRIPT_BYTES, MAX_TIMEOUT_SEC, Interpreter, ScriptResult
from clausius.web.bodies import RequestBody
from clausius.web.deps import ServicesDep
from clausius.web.responses import CLUSTER, error_responses

router = APIRouter(prefix="/api", tags=["jobs"], responses=error_responses(404, *CLUSTER))

NameParam = Annotated[str, Path(max_length=64)]
JobParam = Annotated[str, Path(max_length=64)]
StatesQuery = Annotated[list[str] | None, Query(max_length=20, description="States or groups (running, failed, ...).")]


class ScriptRequest(RequestBody):
    script: str = Field(min_length=1, max_length=MAX_SCRIPT_BYTES)
    interpreter: Interpreter = "bash"
    timeout_sec: int = Field(default=60, ge=1, le=MAX_TIMEOUT_SEC)
    max_output_bytes: int = Field(default=16384, ge=1, le=MAX_OUTPUT_BYTES)


@router.get("/jobs")
async def list_jobs(
    services: ServicesDep,
    cluster: Annotated[str | None, Query(max_length=64)] = None,
    project: Annotated[str | None, Query(max_length=64)] = None,
    state: StatesQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=STORE_INT_MAX)] = 0,
) -> JobList:
    return await services.jobs.list_jobs(
        cluster=cluster, project=project, states=state or (), limit=limit, offset=offset
    )


@router.get("/jobs/{cluster}/{job_id}/run")
async def run_info(cluster: NameParam, job_id: JobParam, services: ServicesDep) -> RunInfo:
    return await services.jobs.run_info(cluster, job_id)


@router.get("/jobs/{cluster}/{job_id}/wait")
async def wait_for_job(
    cluster: NameParam,
    job_id: JobParam,
    services: ServicesDep,
    state: StatesQuery = None,
    timeout: Annotated[int, Query(ge=0, le=MAX_WAIT_SEC)] = 60,
) -> WaitResult:
    """Read-only long poll: answers when the job reaches a state (default: finished) or the timeout passes."""
    return await services.jobs.wait_for_job(cluster, job_id, states=state or (), timeout=timeout)


@router.get("/cluster-status")
async def cluster_status(
    services: ServicesDep, cluster: Annotated[str | None, Query(max_length=64)] = None, check: bool = False
) -> list[ClusterHealth]:
    return await services.cluster_status(cluster, check=check)


@router.post("/clusters/{cluster}/run-script")
async def run_script(cluster: NameParam, body: ScriptRequest, services: ServicesDep) -> ScriptResult:
    return await services.scripts.run_script(
        cluster,
        body.script,
        interpreter=body.interpreter,
        timeout=body.timeout_sec,
        max_output_bytes=body.max_output_bytes,
    )
