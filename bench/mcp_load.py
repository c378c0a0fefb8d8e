"""What polling agents cost: N MCP clients calling list_jobs back to back against `clausius serve` on the lab.

Prints, per number of clients: calls, calls/s, per-call latency (p50/p99), refreshes per
cluster, squeue RPCs counted by alpha's slurmctld (sdiag) and errors. Needs the lab
(`sudo scripts/slurm-lab up`); run from the repository root:

    .venv/bin/python bench/mcp_load.py [--seconds 30] [--clients 1 10 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.labkit import Lab, require_lab
from tests.mcp.conftest import mcp_session
from tests.served import serve_on_lab


async def agent(url: str, until: float, latencies: list[float]) -> int:
    errors = 0
    async with mcp_session(url) as session:
        while time.monotonic() < until:
            started = time.perf_counter()
            result = await session.call_tool("list_jobs", {"limit": 20})
            latencies.append(time.perf_counter() - started)
            errors += int(result.is_error)
    return errors


def refreshes(url: str) -> dict[str, int]:
    return {a["cluster"]: a["refreshes"] for a in httpx.get(f"{url}/api/agents", timeout=10).json()}


def measure(lab: Lab, web: str, mcp: str, clients: int, seconds: float) -> list[str]:
    before, rpcs = refreshes(web), lab.squeue_rpcs("alpha")
    latencies: list[float] = []

    async def run() -> int:
        until = time.monotonic() + seconds
        return sum(await asyncio.gather(*(agent(mcp, until, latencies) for _ in range(clients))))

    errors = asyncio.run(run())
    after, rpcs_after = refreshes(web), lab.squeue_rpcs("alpha")
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return [
        str(clients),
        str(len(latencies)),
        f"{len(latencies) / seconds:.0f}",
        f"{statistics.median(ordered) * 1000:.1f}",
        f"{p99 * 1000:.1f}",
        str(after["alpha"] - before["alpha"]),
        str(after["beta"] - before["beta"]),
        str(rpcs_after - rpcs),
        str(errors),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10, 20])
    args = parser.parse_args()
    lab = require_lab()
    with tempfile.TemporaryDirectory() as tmp, serve_on_lab(lab, Path(tmp), mcp=True) as served:
        assert served.mcp_url is not None
        measure(lab, served.url, served.mcp_url, 1, 2.0)  # warm up: connections and first refresh
        table = Table(title=f"list_jobs over MCP for {args.seconds:g} s each (poll interval 5 s)")
        for column in ("clients", "calls", "calls/s", "p50 ms", "p99 ms", "refr. alpha", "refr. beta",
                       "squeue RPCs alpha", "errors"):  # fmt: skip
            table.add_column(column, justify="right")
        for clients in args.clients:
            table.add_row(*measure(lab, served.url, served.mcp_url, clients, args.seconds))
        Console().print(table)


if __name__ == "__main__":
    main()
