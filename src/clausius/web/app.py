"""The FastAPI application factory."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from clausius import __version__
from clausius.errors import ClausiusError, from_validation_error
from clausius.mcp.server import MCP_PATH, McpEndpoint
from clausius.services.app import Services
from clausius.services.interface import current_interface
from clausius.web import docs, pages
from clausius.web.auth import follow_token_file
from clausius.web.routers import board, config, history, jobs, logs, settings, system
from clausius.web.security import ASGIApp, McpPortGuard, Receive, Scope, SecurityConfig, SecurityMiddleware, Send

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
# Pinned third-party browser assets, copied here at set-up by scripts/install-vendor (git-ignored).
VENDOR_DIR = STATIC_DIR / "vendor"
# FastAPI's detail when a body cannot be decoded at all (json.loads of bytes that are not UTF-8/16/32).
UNREADABLE_BODY = "There was an error parsing the body"


def _error(status: int, message: str, hint: str | None = None) -> JSONResponse:
    body: dict[str, str] = {"error": message}
    if hint:
        body["hint"] = hint
    return JSONResponse(body, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ClausiusError)
    async def clausius_error(_: Request, exc: ClausiusError) -> JSONResponse:
        return _error(exc.http_status, exc.message, exc.hint)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, from_validation_error(exc).message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == UNREADABLE_BODY:
            # A body that is not even text is invalid input like malformed JSON: the same status, one clear line.
            return _error(422, "request body is not valid JSON: it is not UTF-8 text")
        message = {404: "not found", 405: "method not allowed"}.get(exc.status_code, str(exc.detail))
        return _error(exc.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(500, "internal error (see the server log)")


class MarkWebInterface:
    """Audit entries of a request say "web". Plain ASGI: BaseHTTPMiddleware would wrap errors raised while
    the body is read (a body over the limit) in exception groups, and buffer streams."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            current_interface.set("web")
        await self.app(scope, receive, send)


BackgroundTask = Callable[[Services], Awaitable[None]]


def default_background_tasks() -> list[BackgroundTask]:
    return [
        lambda s: s.settings.watch_external_changes(),
        lambda s: s.backups.run_scheduler(),
        lambda s: s.board.start_polling(),
    ]


def create_app(
    services: Services,
    security: SecurityConfig,
    background: list[BackgroundTask] | None = None,
    *,
    mcp_port: int | None = None,
) -> FastAPI:
    """Build the app around already-open services; `background` tasks run while serving.

    The MCP endpoint is part of the app at /mcp. When the same server also listens on
    `mcp_port`, requests arriving on that port may reach only /mcp and /api/health.
    """
    tasks_to_start = default_background_tasks() if background is None else background
    mcp = McpEndpoint(services)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        current_interface.set("system")  # background work is nobody's request; tasks copy this context
        # Under the board's supervisor: a crash is logged with its traceback and the task restarts.
        supervisor = services.board.supervisor
        names = [f"service-task-{i}" for i in range(len(tasks_to_start))]
        for name, factory in zip(names, tasks_to_start, strict=True):
            supervisor.start(name, functools.partial(factory, services))
        supervisor.start("follow-token-file", functools.partial(follow_token_file, security))
        try:
            async with mcp.running():
                yield
        finally:
            for name in [*names, "follow-token-file"]:
                await supervisor.stop(name)
            await services.aclose()

    app = FastAPI(
        title="clausius",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # FastAPI's page needs a CDN and an inline script: web/docs.py serves it locally
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.services = services
    app.state.security = security
    security.sessions.attach(services.db)
    app.state.vendor_dir = VENDOR_DIR

    _install_error_handlers(app)
    app.include_router(system.router)
    app.include_router(config.router)
    app.include_router(settings.router)
    app.include_router(board.router)
    app.include_router(history.router)
    app.include_router(jobs.router)
    app.include_router(logs.router)
    app.include_router(pages.router)
    app.include_router(docs.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.router.routes.append(Route(MCP_PATH, endpoint=mcp.asgi))
    app.state.mcp = mcp
    app.add_middleware(MarkWebInterface)
    if mcp_port is not None:
        app.add_middleware(McpPortGuard, mcp_port=mcp_port)
    app.add_middleware(SecurityMiddleware, config=security)
    return app
