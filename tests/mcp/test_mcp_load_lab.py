"""Agents poll: ten MCP clients calling list_jobs for 30 s cost the clusters what one viewer costs."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

from tests.labkit import Lab
from tests.mcp.conftest import mcp_session, structured
from tests.served import Served, lab_env, register_lab_clusters

pytestmark = [pytest.mark.lab, pytest.mark.slow]
PHASE_SEC = 30.0


def refreshes(served: Served) -> dict[str, int]:
    return {
        a["cluster"]: a["refreshes"]
        for a in httpx.get(f"{served.url}/api/agents", headers=served.bearer, timeout=10).json()
    }


async def poll_list_jobs(url: str, until: float) -> tuple[int, int]:
    """One agent calling list_jobs back to back; returns (calls, errors)."""
    calls = errors = 0
    async with mcp_session(url) as session:
        while time.monotonic() < until:
            result = await session.call_tool("list_jobs", {"limit": 20})
            calls += 1
            errors += int(result.is_error or not structured(result)["clusters"])
    return calls, errors


def phase(
    served: Served, lab: Lab, clients: int, seconds: float = PHASE_SEC
) -> tuple[dict[str, int], int, list[int], int]:
    """Run `clients` agents for PHASE_SEC; refreshes per cluster, alpha's squeue RPCs, calls, errors."""
    assert served.mcp_url is not None
    url = f"{served.mcp_url}?groups=jobs"
    before, rpcs_before = refreshes(served), lab.squeue_rpcs("alpha")

    async def run() -> list[tuple[int, int]]:
        until = time.monotonic() + seconds
        return list(await asyncio.gather(*(poll_list_jobs(url, until) for _ in range(clients))))

    outcomes = asyncio.run(run())
    after, rpcs_after = refreshes(served), lab.squeue_rpcs("alpha")
    delta = {c: after[c] - before.get(c, 0) for c in ("alpha", "beta")}
    return delta, rpcs_after - rpcs_before, [c for c, _ in outcomes], sum(e for _, e in outcomes)


def test_ten_polling_agents_cause_no_more_refreshes_than_one(served: Served, lab: Lab) -> None:
    phase(served, lab, 1, seconds=2)  # warm up: connections open, first refresh done
    one, one_rpcs, one_calls, one_errors = phase(served, lab, 1)
    ten, ten_rpcs, ten_calls, ten_errors = phase(served, lab, 10)
    assert one_errors == 0 and ten_errors == 0
    assert min(ten_calls) >= PHASE_SEC, ten_calls  # every one of the ten kept asking (well over once a second)
    for cluster in ("alpha", "beta"):
        assert 1 <= ten[cluster] <= one[cluster] + 1, (cluster, one, ten)  # one refresh per interval either way
    assert ten_rpcs <= one_rpcs + 2, (one_rpcs, ten_rpcs)  # slurmctld agrees: no extra squeue calls
    print(f"\n1 agent: {sum(one_calls)} calls, refreshes {one}, {one_rpcs} squeue RPCs on alpha")
    print(f"10 agents: {sum(ten_calls)} calls, refreshes {ten}, {ten_rpcs} squeue RPCs on alpha")


def test_stdio_without_a_service_becomes_the_service_and_later_clients_share_it(lab: Lab, tmp_path: Path) -> None:
    env = lab_env(lab, tmp_path)
    register_lab_clusters(Served(url="", env=env, root=tmp_path))
    params = StdioServerParameters(command=sys.executable, args=["-m", "clausius", "mcp", "--stdio"], env=env)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], str]:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as first:
            await first.initialize()
            page = structured(await first.call_tool("list_jobs", {"cluster": "alpha"}))
            async with stdio_client(params) as (read2, write2), ClientSession(read2, write2) as second:
                await second.initialize()  # relays to the first: one poller, one set of connections
                status = structured(await second.call_tool("get_cluster_status", {"cluster": "alpha"}))
            serve = await asyncio.to_thread(
                Served(url="", env=env, root=tmp_path).cli, "serve", "--port", "1", "--mcp-port", "0"
            )
            return page, status, serve.stderr

    page, status, serve_error = asyncio.run(scenario())
    assert page["clusters"][0]["name"] == "alpha" and page["clusters"][0]["state"] == "live"
    alpha = status["clusters"][0]
    assert alpha["state"] == "live" and alpha["refreshes"] >= 1 and alpha["connections_opened"] >= 1
    assert "mcp --stdio" in serve_error and "already in use" in serve_error  # one owner per data directory
    assert not (tmp_path / "data" / "service.json").exists()
