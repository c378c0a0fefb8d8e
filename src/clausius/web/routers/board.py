"""The live board: JSON with ETag, server-sent events, and job actions (all POST)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from clausius.services.board import CancelOutcome
from clausius.services.board_models import AgentReport, Board, PriorityFactors
from clausius.web.bodies import RequestBody
from clausius.web.deps import ServicesDep
from clausius.web.responses import CLUSTER, error_responses

router = APIRouter(prefix="/api", tags=["board"], responses=error_responses(404, *CLUSTER))

NameParam = Annotated[str, Path(max_length=64)]
JobParam = Annotated[str, Path(max_length=64)]
KEEPALIVE_SEC = 15.0


class CancelRequest(RequestBody):
    job_ids: list[str] = Field(min_length=1, max_length=1000, description='Job ids, e.g. ["123", "45_7"].')


class Changed(BaseModel):
    changed: int


@router.get("/board", response_model=Board, responses={304: {"description": "Not modified"}})
async def board(
    request: Request, services: ServicesDep, force: bool = False, cluster: Annotated[list[str] | None, Query()] = None
) -> Response:
    current, body = await services.board.read_with_json(clusters=cluster, force=force)
    etag = f'"{current.version}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type="application/json", headers={"ETag": etag, "Cache-Control": "no-cache"})


@router.get("/agents")
async def agents(services: ServicesDep) -> list[AgentReport]:
    """Per-cluster agent status and cost counters (refreshes, SSH connections, commands)."""
    return await services.board.reports()


# One `board` event per change; `: keepalive` comments in between are not events.
BOARD_EVENT = {
    "type": "object",
    "required": ["event", "id", "data"],
    "properties": {
        "event": {"const": "board"},
        "id": {"type": "string", "description": "The board's version (its ETag without quotes)."},
        "data": {"type": "string", "description": "The whole board as JSON, as GET /api/board returns it."},
    },
}


# response_class without a media type: the stream's own type is declared below, and the
# error responses stay application/json (FastAPI files them under the class's media type).
@router.get(
    "/board/stream",
    response_class=StreamingResponse,
    responses={
        200: {"description": "Server-sent events.", "content": {"text/event-stream": {"itemSchema": BOARD_EVENT}}}
    },
)
async def board_stream(request: Request, services: ServicesDep) -> StreamingResponse:
    """Server-sent events: a `board` event with the whole board whenever its content changes."""

    async def events() -> AsyncIterator[str]:
        last_version = ""
        generation = services.board.generation
        while not await request.is_disconnected():
            current, body = await services.board.read_with_json()  # an open stream is demand: keeps polling on
            if current.version != last_version:
                last_version = current.version
                yield f"event: board\nid: {current.version}\ndata: {body.decode()}\n\n"
            else:
                yield ": keepalive\n\n"
            generation = await services.board.wait_for_change(generation, KEEPALIVE_SEC)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


@router.get("/clusters/{name}/jobs/{job_id}/pending")
async def pending_details(name: NameParam, job_id: JobParam, services: ServicesDep) -> PriorityFactors:
    """Why a pending job waits: reason, start estimate and sprio factors (asked for this job only)."""
    return await services.board.pending_details(name, job_id)


@router.post("/clusters/{name}/jobs/cancel")
async def cancel_jobs(name: NameParam, body: CancelRequest, services: ServicesDep) -> CancelOutcome:
    return await services.board.cancel(name, body.job_ids)


@router.post("/clusters/{name}/jobs/{job_id}/cancel")
async def cancel_job(name: NameParam, job_id: JobParam, services: ServicesDep) -> CancelOutcome:
    return await services.board.cancel(name, [job_id])


@router.post("/clusters/{name}/jobs/{job_id}/dismiss")
async def dismiss_job(name: NameParam, job_id: JobParam, services: ServicesDep) -> Changed:
    return Changed(changed=await services.board.dismiss(name, [job_id]))


@router.post("/clusters/{name}/clear/{kind}")
async def clear_jobs(
    name: NameParam, kind: Literal["failed", "completed", "cancelled"], services: ServicesDep
) -> Changed:
    return Changed(changed=await services.board.clear(name, kind))
