"""A real `clausius` server on a free loopback port, in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from clausius.bootstrap import Bootstrap
from clausius.services.app import Services
from clausius.web.app import create_app
from clausius.web.auth import load_or_create_token
from clausius.web.security import SecurityConfig
from clausius.web.server import build_security


@dataclass
class LiveServer:
    url: str
    port: int
    boot: Bootstrap
    services: Services
    csrf: str
    token: str | None = None
    security: SecurityConfig | None = None

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def anonymous(self, **kwargs: object) -> httpx.Client:
        """A client with no credentials at all: what another user of the machine has."""
        return httpx.Client(base_url=self.url, timeout=10, **kwargs)  # type: ignore[arg-type]

    def client(self, **kwargs: object) -> httpx.Client:
        """A client logged in the way a browser is: a session cookie from /api/login (no bearer)."""
        cookies: dict[str, str] = {}
        if self.token:
            with self.anonymous() as login:
                response = login.post("/api/login", json={"token": self.token}, headers={"Origin": self.url})
                assert response.status_code == 204, response.text
                cookies = dict(response.cookies)
        return self.anonymous(cookies=cookies, **kwargs)

    def writer(self) -> httpx.Client:
        """A client that behaves like our page: same Origin, CSRF header."""
        return self.client(headers={"X-CSRF-Token": self.csrf, "Origin": self.url})


# Every test server has an access token, as `clausius serve` does. Clients that know only a URL
# (the MCP tests' sessions) find the token of the server behind it here.
KNOWN_TOKENS: dict[str, str] = {}


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def remember_token(url: str, token: str | None) -> None:
    if token:
        KNOWN_TOKENS[_origin_of(url)] = token


def token_for(url: str) -> str | None:
    return KNOWN_TOKENS.get(_origin_of(url))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    tmp_path: Path, token: str | None = None, *, auth: bool = True, ssh_config: Path | None = None
) -> tuple[uvicorn.Server, threading.Thread, LiveServer]:
    """Like `clausius serve`: the data directory's generated token unless `token` is given or `auth` is off.

    `ssh_config` is the OpenSSH client config the server resolves cluster hosts with (none by default).
    """
    boot = Bootstrap(
        data_dir=tmp_path / "data",
        port=free_port(),
        ssh_user="tester",
        ssh_key=tmp_path / "key",
        source_file=None,
        ssh_config=ssh_config,
    )
    services = Services.open(boot)
    if auth and token is None:
        token = load_or_create_token(boot.data_dir)
    security = build_security(boot.data_dir, "127.0.0.1", token if auth else None)
    app = create_app(services, security, background=[lambda s: s.settings.watch_external_changes(0.2)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=boot.port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    url = f"http://127.0.0.1:{boot.port}"
    remember_token(url, security.access_token)
    return (
        server,
        thread,
        LiveServer(
            url=url,
            port=boot.port,
            boot=boot,
            services=services,
            csrf=security.csrf_token,
            token=security.access_token,
            security=security,
        ),
    )


@contextmanager
def serving(
    tmp_path: Path, token: str | None = None, *, auth: bool = True, ssh_config: Path | None = None
) -> Iterator[LiveServer]:
    """A live server for the duration of the block; stopped and closed after."""
    server, thread, info = start_server(tmp_path, token=token, auth=auth, ssh_config=ssh_config)
    try:
        yield info
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        info.services.close()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    with serving(tmp_path) as info:
        yield info
