"""HTTP routes for history (thin: each calls one service function).

Query parameters are validated by `HistoryQuery` itself (through `parse_query`), so the
HTTP API, the CLI and MCP give the same message for the same bad value.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import Field

from clausius.core.validation import STORE_INT_MAX
from clausius.services.history import (
    CleanupResult,
    HistoryJob,
    HistoryPage,
    HistoryQuery,
    ProjectSummary,
    parse_query,
)
from clausius.web.bodies import RequestBody
from clausius.web.deps import ServicesDep
from clausius.web.responses import error_responses

router = APIRouter(prefix="/api", tags=["history"], responses=error_responses(404))

NameParam = Annotated[str, Path(max_length=128)]
JobParam = Annotated[str, Path(max_length=64)]


def _doc(field: str) -> str:
    """The service model's description, so the OpenAPI page says what agents and the CLI say."""
    return HistoryQuery.model_fields[field].description or ""


class CleanupRequest(RequestBody):
    older_than_days: int = Field(
        le=STORE_INT_MAX, description="Delete finished jobs that ended more than this many days ago (>= 1)."
    )
    cluster: str | None = Field(default=None, max_length=64, description="Only this cluster; all clusters when absent.")
    states: list[str] | None = Field(
        default=None,
        max_length=32,
        description="Only these finished states, e.g. ['COMPLETED']; absent: all finished states.",
    )
    dry_run: bool = Field(default=True, description="Only count what would be deleted (the default).")


@router.get("/history")
async def history(
    services: ServicesDep,
    cluster: Annotated[str | None, Query(description=_doc("cluster"))] = None,
    project: Annotated[str | None, Query(description=_doc("project"))] = None,
    campaign: Annotated[str | None, Query(description=_doc("campaign"))] = None,
    state: Annotated[list[str] | None, Query(description=_doc("states") + " Repeat the parameter for several.")] = None,
    partition: Annotated[str | None, Query(description=_doc("partition"))] = None,
    account: Annotated[str | None, Query(description=_doc("account"))] = None,
    search: Annotated[str | None, Query(description=_doc("search"))] = None,
    days: Annotated[int | None, Query(le=STORE_INT_MAX, description=_doc("days"))] = None,
    limit: Annotated[int, Query(le=STORE_INT_MAX, description=_doc("limit"))] = 50,
    offset: Annotated[int, Query(le=STORE_INT_MAX, description=_doc("offset"))] = 0,
) -> HistoryPage:
    """Recorded jobs matching the filters, newest activity first, one page at a time."""
    query = parse_query(
        cluster=cluster,
        project=project,
        campaign=campaign,
        states=state or [],
        partition=partition,
        account=account,
        search=search,
        days=days,
        limit=limit,
        offset=offset,
    )
    return await services.history.query(query)


@router.get("/history/projects")
async def history_projects(services: ServicesDep) -> list[ProjectSummary]:
    """Every configured project with its job counts over the whole history."""
    return await services.history.project_summaries()


@router.get("/history/projects/{project}/jobs")
async def history_project_jobs(
    project: NameParam,
    services: ServicesDep,
    cluster: Annotated[str | None, Query(description=_doc("cluster"))] = None,
    limit: Annotated[int, Query(le=STORE_INT_MAX, description=_doc("limit"))] = 50,
    offset: Annotated[int, Query(le=STORE_INT_MAX, description=_doc("offset"))] = 0,
) -> HistoryPage:
    return await services.history.project_jobs(project, cluster=cluster, limit=limit, offset=offset)


@router.get("/history/{cluster}/{job_id}")
async def history_job(cluster: NameParam, job_id: JobParam, services: ServicesDep) -> HistoryJob:
    return await services.history.get_job(cluster, job_id)


@router.post("/history/cleanup")
async def cleanup_history(body: CleanupRequest, services: ServicesDep) -> CleanupResult:
    """Delete old finished jobs from the history (never pinned or unfinished ones); a dry run unless told."""
    return await services.history.cleanup(
        body.older_than_days, cluster=body.cluster, states=body.states, dry_run=body.dry_run
    )
