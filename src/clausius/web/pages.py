"""Server-rendered pages. The browser renders what the server decided."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from clausius import __version__
from clausius.web.deps import SecurityDep, ServicesDep

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@router.get("/", response_class=HTMLResponse)
async def board(request: Request, services: ServicesDep, security: SecurityDep) -> Response:
    """The live board; its content arrives over server-sent events."""
    clusters = await services.clusters.names()
    return templates.TemplateResponse(
        request,
        "board.html",
        {
            "csrf_token": security.csrf_token,
            "version": __version__,
            "clusters": clusters,
            "theme": services.settings.get_str("theme"),
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/config", response_class=HTMLResponse)
async def config(request: Request, services: ServicesDep, security: SecurityDep) -> Response:
    clusters = await services.clusters.list()
    projects = await services.projects.list()
    health = await services.health()
    return templates.TemplateResponse(
        request,
        "config.html",
        {
            "csrf_token": security.csrf_token,
            "version": __version__,
            "clusters": clusters,
            "projects": projects,
            "settings": services.settings.list(),
            "health": health,
            "theme": services.settings.get_str("theme"),
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, security: SecurityDep, ticket: str | None = None) -> Response:
    """Renders only: a ticket in the link is redeemed by the page's POST, never by this GET."""
    if security.access_token is None:
        return RedirectResponse("/", status_code=303)
    return templates.TemplateResponse(
        request,
        "login.html",
        # No CSRF token here: this page is open to anyone who can reach the port.
        {"csrf_token": "", "version": __version__, "theme": "system", "ticket": (ticket or "")[:512]},
        headers={"Cache-Control": "no-store"},
    )
