"""Latency of the configuration API on a real server: p50/p99 per endpoint, printed as tables.

    .venv/bin/python bench/api_latency.py [--requests 500] [--concurrency 20]

Starts `clausius serve` in its own process on a free loopback port with a scratch data
directory, registers a few clusters, then measures reads and writes under concurrency, and
one request at a time on a kept-alive connection against a fresh connection per request (the
two must be close: a gap of ~40 ms is Nagle's algorithm meeting the delayed ACK).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from clausius.bootstrap import Bootstrap
from clausius.core.config_models import ClusterSpec
from clausius.services.app import Services


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _sequential(url: str, headers: dict[str, str], path: str, n: int, *, keep_alive: bool) -> list[float]:
    timings: list[float] = []
    limits = httpx.Limits(max_keepalive_connections=1 if keep_alive else 0)
    with httpx.Client(base_url=url, headers=headers, timeout=30, limits=limits) as http:
        http.get(path).raise_for_status()  # the first connection is opened outside the timings
        for _ in range(n):
            start = time.perf_counter()
            http.get(path).raise_for_status()
            timings.append((time.perf_counter() - start) * 1000)
    return sorted(timings)


async def _measure(
    url: str, headers: dict[str, str], method: str, path: str, body: object, n: int, conc: int
) -> list[float]:
    sem = asyncio.Semaphore(conc)
    timings: list[float] = []
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:

        async def one(i: int) -> None:
            async with sem:
                start = time.perf_counter()
                payload = {"value": 10 + i % 50} if body == "setting" else None
                response = await http.request(method, path, json=payload)
                timings.append((time.perf_counter() - start) * 1000)
                response.raise_for_status()

        await asyncio.gather(*(one(i) for i in range(n)))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        boot = Bootstrap(Path(tmp) / "data", _free_port(), "bench", Path(tmp) / "k", None)
        services = Services.open(boot)
        for i in range(20):
            asyncio.run(services.clusters.add(ClusterSpec(name=f"c{i}", host=f"login{i}.example.com")))
        services.close()
        # The server runs in its own process, as in real use, so client and server do not share a GIL.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSIUS_")}
        env.update(CLAUSIUS_DATA_DIR=str(boot.data_dir), HOME=tmp)
        server = subprocess.Popen(
            [sys.executable, "-m", "clausius", "serve", "--port", str(boot.port), "--mcp-port", "0"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{boot.port}"
        try:
            token = _wait_for_token(url, boot.data_dir)
            headers = {"Authorization": f"Bearer {token}"}  # a bearer request needs no CSRF token
            cases = [
                ("GET", "/api/clusters", None),
                ("GET", "/api/settings", None),
                ("PUT", "/api/settings/ssh_timeout", "setting"),
                ("GET", "/api/health", None),
            ]
            table = Table(title=f"config API, {args.requests} requests, concurrency {args.concurrency}")
            for column in ("endpoint", "p50 ms", "p99 ms", "max ms", "req/s"):
                table.add_column(column, justify="right" if column != "endpoint" else "left")
            for method, path, body in cases:
                start = time.perf_counter()
                timings = asyncio.run(_measure(url, headers, method, path, body, args.requests, args.concurrency))
                elapsed = time.perf_counter() - start
                timings.sort()
                p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
                table.add_row(
                    f"{method} {path}",
                    f"{statistics.median(timings):.1f}",
                    f"{p99:.1f}",
                    f"{timings[-1]:.1f}",
                    f"{args.requests / elapsed:.0f}",
                )
            reuse = Table(title=f"one request at a time, {args.requests} each: kept-alive vs fresh connection")
            for column in ("endpoint", "connection", "p50 ms", "p99 ms"):
                reuse.add_column(column, justify="left" if column in ("endpoint", "connection") else "right")
            for path in ("/api/health", "/api/clusters"):
                for keep_alive in (True, False):
                    timings = _sequential(url, headers, path, args.requests, keep_alive=keep_alive)
                    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
                    shown = "kept alive" if keep_alive else "fresh"
                    reuse.add_row(f"GET {path}", shown, f"{statistics.median(timings):.2f}", f"{p99:.2f}")
        finally:
            server.terminate()
            server.wait(timeout=30)
        console = Console(width=120)
        console.print(table)
        console.print(reuse)


def _wait_for_token(url: str, data_dir: Path) -> str:
    """The access token, once the server answers (it writes the token at first start)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return (data_dir / "access-token").read_text().strip()
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not start")


if __name__ == "__main__":
    main()
