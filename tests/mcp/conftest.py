"""MCP tests: the official MCP client (ClientSession) against real servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from tests.api.conftest import token_for
from tests.labkit import Lab, require_lab
from tests.served import Served, serve_on_lab


@pytest.fixture(scope="module")
def lab() -> Lab:
    return require_lab()


@pytest.fixture(scope="module")
def served(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`clausius serve` on the lab with a dedicated MCP port, one per test module."""
    with serve_on_lab(lab, tmp_path_factory.mktemp("mcp-lab"), mcp=True) as running:
        yield running


@asynccontextmanager
async def mcp_session(url: str, *, token: str | None = None) -> AsyncIterator[ClientSession]:
    """A session with the server's own token unless `token` says otherwise ("" sends none)."""
    token = token_for(url) if token is None else token
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    timeout = httpx2.Timeout(30.0, read=300.0)
    async with (
        httpx2.AsyncClient(headers=headers, timeout=timeout) as client,
        streamable_http_client(url, http_client=client) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def structured(result: CallToolResult) -> dict[str, Any]:
    """The structured answer of a successful call (fails the test with the error text otherwise)."""
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def tool_error(result: CallToolResult) -> dict[str, Any]:
    """The structured error of a failed call."""
    assert result.is_error, f"expected an error, got {result.structured_content}"
    assert result.structured_content is not None, result.content
    error: dict[str, Any] = result.structured_content["error"]
    assert error["message"], error
    return error
