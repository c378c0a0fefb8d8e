"""/mcp follows the web API's security model: loopback by default, bearer token when exposed."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mcp.shared.exceptions import MCPError

from tests.api.conftest import LiveServer, free_port, serving
from tests.api.test_security import wait_healthy
from tests.mcp.conftest import mcp_session, structured

TOKEN = "a-long-enough-access-token-123"
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
def protected(tmp_path: Path) -> Iterator[LiveServer]:
    with serving(tmp_path, token=TOKEN) as info:
        yield info


@pytest.fixture
def plain(tmp_path: Path) -> Iterator[LiveServer]:
    with serving(tmp_path) as info:
        yield info


def test_mcp_needs_the_bearer_token_when_one_is_configured(protected: LiveServer) -> None:
    with protected.client() as http:
        assert http.post("/mcp", json=INIT, headers=HEADERS).status_code == 401
        wrong = {**HEADERS, "Authorization": "Bearer not-the-token-at-all-000"}
        assert http.post("/mcp", json=INIT, headers=wrong).status_code == 401

        refused = http.post("/mcp", json=INIT, headers=wrong)
        # A JSON-RPC error body, so MCP clients show the reason rather than "error response".
        assert refused.json()["error"] == {"code": -32001, "message": refused.json()["error"]["message"]}
        assert "access token" in refused.json()["error"]["message"]
        assert http.get("/mcp", headers={"Accept": "text/event-stream"}).status_code == 401  # not a login redirect

    async def scenario() -> int:
        async with mcp_session(f"{protected.url}/mcp", token=TOKEN) as session:
            return len((await session.list_tools()).tools)

    assert asyncio.run(scenario()) > 10

    async def without_token() -> None:
        async with mcp_session(f"{protected.url}/mcp", token="") as session:
            await session.list_tools()

    with pytest.raises((MCPError, httpx.HTTPError, Exception)):  # the client refuses to start without a session
        asyncio.run(without_token())


def test_mcp_refuses_foreign_origins_and_non_json_bodies_but_needs_no_csrf_token(plain: LiveServer) -> None:
    with plain.anonymous(headers=plain.bearer) as http:  # the agent's bearer token, no cookie
        evil = http.post("/mcp", json=INIT, headers={**HEADERS, "Origin": "http://evil.example"})
        assert evil.status_code == 403
        form = http.post(
            "/mcp", content=json.dumps(INIT), headers={**HEADERS, "Content-Type": "text/plain"}
        )  # what a cross-site <form> or simple fetch could send
        assert form.status_code == 415
        ok = http.post("/mcp", json=INIT, headers=HEADERS)  # no cookie, no CSRF token: agents are not browsers
        assert ok.status_code == 200, ok.text
        rebinding = http.post("/mcp", json=INIT, headers={**HEADERS, "Host": "attacker.example"})
        assert rebinding.status_code == 421


def test_the_mcp_port_answers_only_mcp_and_the_web_port_serves_both(tmp_path: Path) -> None:
    port, mcp_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSIUS_")}
    env.update(CLAUSIUS_DATA_DIR=str(tmp_path / "data"), HOME=str(tmp_path), CLAUSIUS_MCP_PORT=str(mcp_port))
    proc = subprocess.Popen(
        [sys.executable, "-m", "clausius", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        token = (tmp_path / "data" / "access-token").read_text().strip()
        bearer = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"http://127.0.0.1:{mcp_port}/", headers=bearer).status_code == 404
        assert httpx.get(f"http://127.0.0.1:{mcp_port}/api/clusters", headers=bearer).status_code == 404
        assert httpx.get(f"http://127.0.0.1:{mcp_port}/api/health").status_code == 200
        service = json.loads((tmp_path / "data" / "service.json").read_text())
        assert service["mcp_url"] == f"http://127.0.0.1:{mcp_port}/mcp" and service["pid"] == proc.pid

        async def scenario(url: str) -> list[str]:
            async with mcp_session(url, token=token) as session:
                settings = structured(await session.call_tool("list_app_settings", {"category": "agents"}))
                return [s["key"] for s in settings["result"]]

        for url in (f"http://127.0.0.1:{mcp_port}/mcp", f"http://127.0.0.1:{port}/mcp"):
            assert "allow_run_script" in asyncio.run(scenario(url))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert not (tmp_path / "data" / "service.json").exists(), "service.json must go when the server stops"


def test_serve_names_the_busy_mcp_port(tmp_path: Path) -> None:
    with __import__("socket").socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSIUS_")}
        env.update(CLAUSIUS_DATA_DIR=str(tmp_path / "data"), HOME=str(tmp_path))
        result = subprocess.run(
            [sys.executable, "-m", "clausius", "serve", "--port", str(free_port()), "--mcp-port", str(taken)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2, result.stderr
    assert f"127.0.0.1:{taken} for MCP" in result.stderr and "--mcp-port" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
