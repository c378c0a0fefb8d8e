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
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "clausius_session"
CSRF_HEADER = b"x-csrf-token"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
OPEN_PATHS = frozenset({"/login", "/api/login", "/api/health", "/favicon.ico"})
MCP_PATH = "/mcp"
MAX_BODY_BYTES = 8 * 1024 * 1024

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
    _csrf: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self._csrf = hmac.new(self.secret, b"csrf-v1", hashlib.sha256).hexdigest()

    @property
    def csrf_token(self) -> str:
        return self._csrf

    def session_value(self) -> str:
        assert self.access_token is not None
        return hmac.new(self.secret, b"session-v1:" + self.access_token.encode(), hashlib.sha256).hexdigest()

    def token_matches(self, candidate: str) -> bool:
        return self.access_token is not None and hmac.compare_digest(candidate.encode(), self.access_token.encode())

    def session_matches(self, candidate: str) -> bool:
        return self.access_token is not None and hmac.compare_digest(candidate, self.session_value())

    def csrf_matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self._csrf.encode())


def allowed_hosts_for(bind_host: str, extra: list[str] | None = None) -> frozenset[str]:
    hosts = set(LOOPBACK_HOSTS)
    if bind_host not in ("0.0.0.0", "::"):  # noqa: S104 - compared, not bound
        hosts.add(bind_host)
    hosts.update(h.strip().lower() for h in (extra or []) if h.strip())
    return frozenset(hosts)


def _host_only(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


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

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in existing
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _check(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[int, str] | None:
        host = _host_only(headers.get(b"host", b"").decode("latin-1"))
        if host not in self.config.allowed_hosts:
            return 421, "unrecognised Host header: this server only answers to its own address"
        length = headers.get(b"content-length", b"0")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return 413, f"request body too large (limit {MAX_BODY_BYTES} bytes)"

        path: str = scope.get("path", "")
        method: str = scope.get("method", "GET")
        if path == MCP_PATH or path.startswith(MCP_PATH + "/"):
            return self._check_mcp(method, headers)
        bearer = False
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.lower().startswith("bearer "):
            if not self.config.token_matches(auth[7:].strip()):
                return 401, "invalid access token"
            bearer = True

        if self.config.access_token is not None and not bearer:
            cookie = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1"))
            morsel = cookie.get(SESSION_COOKIE)
            session_ok = morsel is not None and self.config.session_matches(morsel.value)
            if not session_ok and path not in OPEN_PATHS and not path.startswith("/static/"):
                return 401, "authentication required: log in at /login or send a bearer token"

        if method not in SAFE_METHODS and not bearer:
            origin = headers.get(b"origin", b"").decode("latin-1")
            if origin and _host_only(urlsplit(origin).netloc) not in self.config.allowed_hosts:
                return 403, "cross-origin request refused"
            if path != "/api/login":
                token = headers.get(CSRF_HEADER, b"").decode("latin-1")
                if not token or not self.config.csrf_matches(token):
                    return 403, "missing or invalid CSRF token (reload the page, or send X-CSRF-Token)"
        return None

    def _check_mcp(self, method: str, headers: dict[bytes, bytes]) -> tuple[int, str] | None:
        origin = headers.get(b"origin", b"").decode("latin-1")
        if origin and _host_only(urlsplit(origin).netloc) not in self.config.allowed_hosts:
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
        if status == 401 and not path.startswith("/api/") and scope.get("method") == "GET":
            await send(
                {"type": "http.response.start", "status": 303, "headers": [(b"location", b"/login"), *SECURITY_HEADERS]}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        body = json.dumps({"error": message}).encode()
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
