"""Health, session (CSRF token) and login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from clausius import __version__
from clausius.errors import ClausiusError
from clausius.services.app import AuditEntry, Health
from clausius.web.deps import SecurityDep, ServicesDep
from clausius.web.security import SESSION_COOKIE

router = APIRouter(prefix="/api", tags=["system"])


class Session(BaseModel):
    csrf_token: str = Field(description="Send as X-CSRF-Token on every state-changing request.")
    auth_required: bool
    version: str


class LoginRequest(BaseModel):
    token: str = Field(min_length=1, max_length=512)


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


@router.post("/login", status_code=204)
async def login(body: LoginRequest, security: SecurityDep) -> Response:
    if security.access_token is None:
        return Response(status_code=204)
    if not security.token_matches(body.token):
        raise Unauthorized("wrong access token")
    response = Response(status_code=204)
    response.set_cookie(
        SESSION_COOKIE, security.session_value(), httponly=True, samesite="strict", max_age=30 * 24 * 3600, path="/"
    )
    return response


@router.post("/logout", status_code=204)
async def logout() -> Response:
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
