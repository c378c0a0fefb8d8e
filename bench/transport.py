"""SSH cost per refresh on the lab: a fresh `ssh host squeue` vs the transport over an open connection.

    sudo .venv/bin/python bench/transport.py [--cluster alpha] [--runs 20]

Prints medians of N runs and how many TCP connections each approach opened,
counted both by the transport and on the sshd side (its log's
"Accepted publickey" lines). Needs the lab (`scripts/slurm-lab up`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from clausius.remote.endpoint import SshEndpoint
from clausius.remote.ssh import SshTransport
from clausius.slurm.refresh import build_refresh_script, parse_refresh

ROOT = Path(__file__).resolve().parents[1]


def _lab_env() -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "slurm-lab"), "env", "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if proc.returncode != 0:
        raise SystemExit("the lab is not available: run `sudo scripts/slurm-lab up`")
    data: dict[str, object] = json.loads(proc.stdout)
    return data


def _accepted(log: Path) -> int:
    return log.read_text(errors="replace").count("Accepted publickey for") if log.exists() else 0


def _fresh_ssh(config: str, alias: str, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            ["ssh", "-F", config, f"alice@{alias}", "squeue", "-h", "-u", "alice"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        timings.append(time.perf_counter() - start)
    return timings


async def _transport(endpoint: SshEndpoint, runs: int) -> tuple[list[float], list[float], int, int]:
    transport = SshTransport(endpoint)
    try:
        plain, refresh = [], []
        await transport.run(["true"], timeout=30)  # open the connection first; measure steady state
        for _ in range(runs):
            start = time.perf_counter()
            await transport.run(["squeue", "-h", "-u", "alice"], timeout=30)
            plain.append(time.perf_counter() - start)
        jobs = 0
        for _ in range(runs):
            script = build_refresh_script("alice", time.time() - 3600, 0)
            start = time.perf_counter()
            result = await transport.run_script(script.text, timeout=30)
            refresh.append(time.perf_counter() - start)
            parsed = parse_refresh(result.stdout, result.stderr, script.nonce)
            jobs = len(parsed.squeue_jobs or ()) + len(parsed.sacct_jobs or ())
        return plain, refresh, transport.stats().connections_opened, jobs
    finally:
        await transport.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", default="alpha")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    env = _lab_env()
    clusters = env["clusters"]
    assert isinstance(clusters, dict)
    info = clusters[args.cluster]
    log = Path(info["sshd_log"])
    config = str(env["ssh_config"])

    before = _accepted(log)
    fresh = _fresh_ssh(config, info["login_alias"], args.runs)
    fresh_conns = _accepted(log) - before

    endpoint = SshEndpoint(
        cluster=args.cluster,
        host=info["login_alias"],
        user="alice",
        config_files=[Path(config)],
        known_hosts=Path(str(env["known_hosts"])),
    )
    before = _accepted(log)
    plain, refresh, opened, jobs = asyncio.run(_transport(endpoint, args.runs))
    transport_conns = _accepted(log) - before

    table = Table(title=f"{args.cluster}: {args.runs} runs each (median; sshd-side connection count)")
    for column in ("approach", "median ms", "min ms", "max ms", "TCP connections"):
        table.add_column(column, justify="left" if column == "approach" else "right")
    table.add_row("fresh `ssh host squeue` (OpenSSH)", *_ms(fresh), str(fresh_conns))
    table.add_row("transport: squeue on open connection", *_ms(plain), "")
    table.add_row(f"transport: refresh script ({jobs} jobs)", *_ms(refresh), f"{transport_conns} (transport: {opened})")
    Console(width=120).print(table)


def _ms(values: list[float]) -> tuple[str, str, str]:
    return (f"{statistics.median(values) * 1000:.1f}", f"{min(values) * 1000:.1f}", f"{max(values) * 1000:.1f}")


if __name__ == "__main__":
    main()
