"""Item 0 (rotation): a token that leaked can be replaced without a restart.

`clausius rotate-token` against a running `clausius serve`: the old token and every browser
session stop working within seconds, the new token works, the file stays owner-only, and a
long-lived stdio MCP relay carries on with the new token by itself.
"""

from __future__ import annotations

import asyncio
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError

from tests.api.conftest import free_port
from tests.mcp.test_mcp_relay import _env, _serve, _stop


def _clausius(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clausius", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _status(url: str, token: str | None = None, cookies: dict[str, str] | None = None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{url}/api/clusters", headers=headers, cookies=cookies, timeout=10).status_code


def test_rotating_the_token_ends_the_old_one_and_every_session(tmp_path: Path) -> None:
    env = _env(tmp_path)
    port, mcp_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    service = _serve(env, port, mcp_port)
    token_file = tmp_path / "data" / "access-token"
    try:
        old = token_file.read_text().strip()
        login = httpx.post(f"{url}/api/login", json={"token": old}, headers={"Origin": url}, timeout=10)
        assert login.status_code == 204
        cookies = dict(login.cookies)
        assert _status(url, old) == 200 and _status(url, cookies=cookies) == 200

        rotated = _clausius(env, "rotate-token")
        assert rotated.returncode == 0, rotated.stderr
        assert "new access token written" in rotated.stdout and old not in rotated.stdout
        new = token_file.read_text().strip()
        assert new != old and len(new) >= 32
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600

        deadline = time.monotonic() + 15
        while _status(url, old) != 401:
            assert time.monotonic() < deadline, "the service still accepts the old token"
            time.sleep(0.2)
        assert _status(url, new) == 200
        assert _status(url, cookies=cookies) == 401, "a browser session outlived the rotation"
        assert _clausius(env, "open", "--print-only").returncode == 0  # a fresh login link still works
    finally:
        _stop(service)


def test_the_stdio_relay_follows_a_rotated_token(tmp_path: Path) -> None:
    env = _env(tmp_path)
    port, mcp_port = free_port(), free_port()
    service = _serve(env, port, mcp_port)
    params = StdioServerParameters(command=sys.executable, args=["-m", "clausius", "mcp", "--stdio"], env=env)

    async def scenario() -> tuple[list[str], object]:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            assert not (await session.call_tool("list_team_members", {})).is_error
            assert (await asyncio.to_thread(_clausius, env, "rotate-token")).returncode == 0
            new = (tmp_path / "data" / "access-token").read_text().strip()
            taken_up = time.monotonic() + 15
            while await asyncio.to_thread(_status, f"http://127.0.0.1:{port}", new) != 200:
                assert time.monotonic() < taken_up, "the service did not take up the new token"
                await asyncio.sleep(0.2)
            errors: list[str] = []
            deadline = time.monotonic() + 30
            while True:
                try:
                    result = await session.call_tool("list_team_members", {})
                except MCPError as exc:  # the call that met the new token is answered with an error
                    errors.append(str(exc))
                    assert time.monotonic() < deadline, errors[-3:]
                    await asyncio.sleep(0.5)
                    continue
                if not result.is_error:
                    return errors, result.structured_content
                errors.append(str(result.content))
                assert time.monotonic() < deadline, errors[-3:]
                await asyncio.sleep(0.5)

    try:
        errors, answer = asyncio.run(scenario())
    finally:
        _stop(service)
    assert answer is not None
    assert len(errors) <= 2, errors
