"""A real `clausius` server on a free loopback port, in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from clausius.bootstrap import Bootstrap
from clausius.services.app import Services
from clausius.web.app import create_app
from clausius.web.server import build_security


@dataclass
class LiveServer:
    url: str
    port: int
    boot: Bootstrap
    services: Services
    csrf: str

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kwargs)  # type: ignore[arg-type]

    def writer(self) -> httpx.Client:
        """A client that behaves like our page: same Origin, CSRF header."""
        return self.client(headers={"X-CSRF-Token": self.csrf, "Origin": self.url})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(tmp_path: Path, token: str | None = None) -> tuple[uvicorn.Server, threading.Thread, LiveServer]:
    boot = Bootstrap(
        data_dir=tmp_path / "data", port=free_port(), ssh_user="tester", ssh_key=tmp_path / "key", source_file=None
    )
    services = Services.open(boot)
    security = build_security(boot.data_dir, "127.0.0.1", token)
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
    return server, thread, LiveServer(url=url, port=boot.port, boot=boot, services=services, csrf=security.csrf_token)


@contextmanager
def serving(tmp_path: Path, token: str | None = None) -> Iterator[LiveServer]:
    """A live server for the duration of the block; stopped and closed after."""
    server, thread, info = start_server(tmp_path, token=token)
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
