"""Health, session (CSRF token) and login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from clausius import __version__
from clausius.errors import ClausiusError
from clausius.services.app import AuditEntry, Health
from clausius.web.bodies import RequestBody
from clausius.web.deps import SecurityDep, ServicesDep
from clausius.web.responses import ErrorBody, error_responses
from clausius.web.security import SESSION_COOKIE, session_cookie

router = APIRouter(prefix="/api", tags=["system"], responses=error_responses())


class Session(BaseModel):
    csrf_token: str = Field(description="Send as X-CSRF-Token on every state-changing request.")
    auth_required: bool
    version: str


class LoginRequest(RequestBody):
    token: str | None = Field(default=None, min_length=1, max_length=512, description="The access token.")
    ticket: str | None = Field(
        default=None, min_length=1, max_length=512, description="A one-time login ticket (from a login link)."
    )


class LogoutRequest(RequestBody):
    everywhere: bool = Field(default=False, description="End every browser session, not only this one.")


class Unauthorized(ClausiusError):
    http_status = 401


@router.get("/health")
async def health(services: ServicesDep) -> Health:
    return await services.health()


@router.get("/audit")
async def audit_log(services: ServicesDep, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[AuditEntry]:
    return await services.audit_log(limit)


@router.get("/session")
async def session(security: SecurityDep) -> Session:
    return Session(csrf_token=security.csrf_token, auth_required=security.access_token is not None, version=__version__)


# A route's own `responses` entry replaces the router's for that status: it names the model again.
@router.post(
    "/login",
    status_code=204,
    responses={401: {"model": ErrorBody, "description": "Wrong token, or a used or expired ticket."}},
)
async def login(body: LoginRequest, request: Request, security: SecurityDep) -> Response:
    """Exchange the access token or a one-time ticket for a session cookie."""
    if security.access_token is None:
        return Response(status_code=204)
    if body.ticket is not None:
        if not security.tickets.redeem(body.ticket):
            raise Unauthorized(
                "this login link was already used or has expired",
                hint="run `clausius open`, or log in with the token from the data directory's access-token file",
            )
    elif body.token is None or not security.token_matches(body.token):
        raise Unauthorized("wrong access token")
    session_id = await security.sessions.create()
    response = Response(status_code=204)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=int(security.sessions.ttl_sec),
        path="/",
    )
    return response


@router.post("/logout", status_code=204)
async def logout(request: Request, security: SecurityDep, body: LogoutRequest | None = None) -> Response:
    """End this browser session on the server (the old cookie stops working at once)."""
    if body is not None and body.everywhere:
        await security.sessions.revoke_all()
    else:
        value = session_cookie({b"cookie": request.headers.get("cookie", "").encode("latin-1")})
        if value is not None:
            await security.sessions.revoke(value)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
