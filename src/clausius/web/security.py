"""Request guards: Host allow-list, access token, Origin check and CSRF token.

Implemented as plain ASGI middleware (not BaseHTTPMiddleware) so streaming
responses such as server-sent events pass through untouched.

Rules:
- Every request must carry a Host header naming this server (DNS-rebinding defence).
- With an access token configured (required when binding beyond loopback), every
  request must carry it: `Authorization: Bearer <token>` or the session cookie set
  by POST /api/login. Only the login page, its assets and /api/health are open.
- Every state-changing request (anything but GET/HEAD/OPTIONS) from a browser must
  come from our own Origin and carry the CSRF token; bearer-token requests are
  exempt because browsers never attach that header on their own.
- /mcp (agents, not browsers) uses no cookie and no CSRF token: it needs the bearer
  token when one is configured, refuses any foreign Origin (the MCP spec's DNS-rebinding
  rule), and takes POST bodies only as JSON, which a cross-site page cannot send
  without a CORS preflight that is never granted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException  # FastAPI re-raises its own kind from body parsing (others become 400)

from clausius.web.auth import TicketBook
from clausius.web.sessions import SessionStore

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "clausius_session"
CSRF_HEADER = b"x-csrf-token"
MCP_UNAUTHORIZED = -32001  # JSON-RPC server-defined error: the access token is missing or wrong
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
OPEN_PATHS = frozenset({"/login", "/api/login", "/api/health", "/favicon.ico"})
MCP_PATH = "/mcp"
MAX_BODY_BYTES = 8 * 1024 * 1024
BODY_TOO_LARGE = f"request body too large (limit {MAX_BODY_BYTES} bytes)"
SINGLE_HEADERS = (b"host", b"origin", b"authorization", b"x-csrf-token", b"content-length")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
    ),
]


def session_cookie(headers: dict[bytes, bytes]) -> str | None:
    """The session cookie's value, or None (a malformed Cookie header is no session, not an error)."""
    try:
        morsel = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1")).get(SESSION_COOKIE)
    except CookieError:
        return None
    return None if morsel is None else morsel.value


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def load_or_create_secret(data_dir: Path) -> bytes:
    """A per-installation secret (0600) so CSRF tokens and sessions survive restarts."""
    path = data_dir / "server-secret"
    if path.exists():
        value = path.read_bytes()
        if len(value) >= 32:
            return value
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_bytes(32)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_bytes(value)
    return value


@dataclass
class SecurityConfig:
    secret: bytes
    allowed_hosts: frozenset[str]
    access_token: str | None = None
    token_file: Path | None = None  # followed while serving (rotation); None: the token cannot change
    sessions: SessionStore = field(default_factory=SessionStore)
    tickets: TicketBook = field(init=False)
    _csrf: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self._csrf = hmac.new(self.secret, b"csrf-v1", hashlib.sha256).hexdigest()
        self.tickets = TicketBook(self.secret)

    @property
    def csrf_token(self) -> str:
        return self._csrf

    # Every comparison is of bytes: header values arrive as arbitrary latin-1 text, and
    # compare_digest refuses non-ASCII str (a 500 on every path, found by a probe).
    def token_matches(self, candidate: str) -> bool:
        return self.access_token is not None and hmac.compare_digest(
            candidate.encode("utf-8"), self.access_token.encode("utf-8")
        )

    def session_matches(self, candidate: str) -> bool:
        return self.access_token is not None and self.sessions.is_valid(candidate)

    def csrf_matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode("utf-8"), self._csrf.encode("utf-8"))


def allowed_hosts_for(bind_host: str, extra: list[str] | None = None) -> frozenset[str]:
    hosts = set(LOOPBACK_HOSTS)
    if bind_host not in ("0.0.0.0", "::"):  # noqa: S104 - compared, not bound
        hosts.add(bind_host)
    hosts.update(h.strip().lower() for h in (extra or []) if h.strip())
    return frozenset(hosts)


def _normalised_origin(scheme: str, netloc: str) -> str:
    netloc = netloc.strip().lower()
    default = {"http": ":80", "https": ":443"}.get(scheme)
    if default and netloc.endswith(default):
        netloc = netloc[: -len(default)]
    return f"{scheme}://{netloc}"


def _same_origin(origin: str, scheme: str, host_header: str) -> bool:
    """Scheme, host and port of the Origin must be those the request was sent to."""
    parts = urlsplit(origin.strip())
    if parts.path or parts.query or not parts.netloc:
        return False
    return _normalised_origin(parts.scheme.lower(), parts.netloc) == _normalised_origin(scheme, host_header)


def _host_only(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class BodyTooLarge(HTTPException):
    """Raised while reading a body that outgrows the limit; the app's HTTP error handler answers 413."""

    def __init__(self) -> None:
        super().__init__(413, BODY_TOO_LARGE)


def _limited(receive: Receive) -> Receive:
    """Count body bytes as they arrive, whatever Content-Length said (or a chunked body did not)."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise BodyTooLarge
        return message

    return counted


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, config: SecurityConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        problem = self._check(scope, headers)
        if problem is not None:
            status, message = problem
            await self._reject(scope, send, status, message)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                existing = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in existing
                ]
            await send(message)

        try:
            await self.app(scope, _limited(receive), send_with_headers)
        except BodyTooLarge:
            if started:
                raise
            await self._reject(scope, send, 413, BODY_TOO_LARGE)

    def _check(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[int, str] | None:
        names = [k.lower() for k, _ in scope.get("headers", [])]
        for name in SINGLE_HEADERS:
            if names.count(name) > 1:
                # Two values would let one check read the first and another the last.
                return 400, f"more than one {name.decode()} header"
        host_header = headers.get(b"host", b"").decode("latin-1")
        host = _host_only(host_header)
        if host not in self.config.allowed_hosts:
            shown = host[:80] or "(none)"
            return 421, (
                f"unrecognised Host header {shown!r}: this server answers only to its own addresses; "
                "to allow another name, add it to CLAUSIUS_ALLOWED_HOSTS (comma-separated) and restart"
            )
        length = headers.get(b"content-length", b"0")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return 413, BODY_TOO_LARGE
        origin = headers.get(b"origin", b"").decode("latin-1")
        foreign = bool(origin) and not _same_origin(origin, str(scope.get("scheme", "http")), host_header)

        path: str = scope.get("path", "")
        method: str = scope.get("method", "GET")
        if path == MCP_PATH or path.startswith(MCP_PATH + "/"):
            return self._check_mcp(method, headers, foreign)
        bearer = False
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.lower().startswith("bearer "):
            if not self.config.token_matches(auth[7:].strip()):
                return 401, "invalid access token"
            bearer = True

        if self.config.access_token is not None and not bearer:
            value = session_cookie(headers)
            session_ok = value is not None and self.config.session_matches(value)
            if not session_ok and path not in OPEN_PATHS and not path.startswith("/static/"):
                return 401, "authentication required: log in at /login or send a bearer token"

        if method not in SAFE_METHODS and not bearer:
            if foreign:
                return 403, "cross-origin request refused"
            if path != "/api/login":
                token = headers.get(CSRF_HEADER, b"").decode("latin-1")
                if not token or not self.config.csrf_matches(token):
                    return 403, "missing or invalid CSRF token (reload the page, or send X-CSRF-Token)"
        return None

    def _check_mcp(self, method: str, headers: dict[bytes, bytes], foreign: bool) -> tuple[int, str] | None:
        if foreign:
            return 403, "cross-origin request refused"
        if self.config.access_token is not None:
            auth = headers.get(b"authorization", b"").decode("latin-1")
            if not auth.lower().startswith("bearer ") or not self.config.token_matches(auth[7:].strip()):
                return 401, "MCP needs the access token: send Authorization: Bearer <token>"
        if method == "POST":
            content_type = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
            if content_type != "application/json":
                return 415, "MCP messages must be sent as application/json"
        return None

    async def _reject(self, scope: Scope, send: Send, status: int, message: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        path: str = scope.get("path", "")
        mcp = path == MCP_PATH or path.startswith(MCP_PATH + "/")
        if status == 401 and not path.startswith("/api/") and not mcp and scope.get("method") == "GET":
            await send(
                {"type": "http.response.start", "status": 303, "headers": [(b"location", b"/login"), *SECURITY_HEADERS]}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        body = json.dumps(_mcp_error(status, message) if mcp else {"error": message}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *SECURITY_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _mcp_error(status: int, message: str) -> dict[str, Any]:
    """A refusal on /mcp as a JSON-RPC error, so MCP clients show our message (not "error response")."""
    code = MCP_UNAUTHORIZED if status == 401 else -32600  # -32600: invalid request
    return {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}


class McpPortGuard:
    """On the dedicated MCP port only the MCP endpoint (and health) answer; the UI stays on its own port."""

    def __init__(self, app: ASGIApp, mcp_port: int) -> None:
        self.app = app
        self.mcp_port = mcp_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server")
        path: str = scope.get("path", "")
        if (
            scope["type"] == "http"
            and server is not None
            and server[1] == self.mcp_port
            and path not in (MCP_PATH, "/api/health")
        ):
            body = json.dumps({"error": f"this port serves only {MCP_PATH}"}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
