"""`clausius mcp --stdio` relaying to `clausius serve` rides out restarts of the service (no lab needed)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError

from tests.api.conftest import free_port
from tests.api.test_security import wait_healthy
from tests.mcp.conftest import structured


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSIUS_")}
    env.update(CLAUSIUS_DATA_DIR=str(tmp_path / "data"), HOME=str(tmp_path))
    return env


def _serve(env: dict[str, str], port: int, mcp_port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "clausius", "serve", "--port", str(port), "--mcp-port", str(mcp_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    wait_healthy(f"http://127.0.0.1:{port}")
    return proc


def _stop(proc: subprocess.Popen[str], *, kill: bool = False) -> None:
    """Stop the service; killed, it leaves service.json behind, naming a port nobody answers on."""
    if kill:
        proc.kill()
    else:
        proc.terminate()
    proc.wait(timeout=30)


async def _members(session: ClientSession) -> list[str]:
    return [m["username"] for m in structured(await session.call_tool("list_team_members", {}))["result"]]


async def _until_answered(session: ClientSession, limit: float = 30) -> tuple[list[str], list[str]]:
    """Call until the relay has found the service again; the errors it gave meanwhile, then the answer."""
    errors: list[str] = []
    deadline = time.monotonic() + limit
    while True:
        try:
            return errors, await _members(session)
        except MCPError as exc:
            errors.append(str(exc))
            assert time.monotonic() < deadline, errors[-3:]
            await asyncio.sleep(0.5)


@pytest.mark.parametrize(
    ("same_port", "kill"),
    [(True, False), (False, False), (True, True)],
    ids=["restart-same-port", "restart-other-port", "killed-leaving-its-address"],
)
def test_the_relay_answers_while_the_service_is_down_and_reconnects_when_it_returns(
    tmp_path: Path, same_port: bool, kill: bool
) -> None:
    env = _env(tmp_path)
    port, mcp_port = free_port(), free_port()
    service = _serve(env, port, mcp_port)
    params = StdioServerParameters(command=sys.executable, args=["-m", "clausius", "mcp", "--stdio"], env=env)

    async def scenario() -> dict[str, Any]:
        nonlocal service  # restarted below; the finally stops whichever runs
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            structured(await session.call_tool("add_team_member", {"username": "relay-ann"}))
            assert await _members(session) == ["relay-ann"]

            await asyncio.to_thread(_stop, service, kill=kill)
            started = time.monotonic()
            with pytest.raises(MCPError) as down:  # (a relay that leaves it hanging fails on the timeout)
                await asyncio.wait_for(session.call_tool("list_team_members", {}), 20)
            await asyncio.sleep(1.5)  # the relay has tried to reconnect in between
            with pytest.raises(MCPError) as still_down:
                await asyncio.wait_for(session.call_tool("list_team_members", {}), 20)
            answered_down_in = time.monotonic() - started

            service = await asyncio.to_thread(_serve, env, port, mcp_port if same_port else free_port())
            errors, members = await _until_answered(session)
            structured(await session.call_tool("add_team_member", {"username": "relay-bob"}))
            return {
                "down": str(down.value),
                "still_down": str(still_down.value),
                "answered_down_in": answered_down_in,
                "errors": errors,
                "members": members,
                "after": await _members(session),
            }

    try:
        outcome = asyncio.run(scenario())
    finally:
        _stop(service)
    assert "clausius service" in outcome["down"], outcome  # it says what happened, not a bare transport error
    assert "clausius service" in outcome["still_down"], outcome
    assert outcome["answered_down_in"] < 15, outcome  # both answered at once, never left hanging
    assert all("clausius service" in e for e in outcome["errors"]), outcome
    assert outcome["members"] == ["relay-ann"], outcome  # the same client session, on the restarted service
    assert outcome["after"] == ["relay-ann", "relay-bob"], outcome
