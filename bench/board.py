"""Board costs on the lab: API latency at 2 × 5,000 jobs, and what watching costs the clusters.

    sudo .venv/bin/python bench/board.py [--seconds 60] [--jobs 5000]

1. Latency: `GET /api/board` (full body and 304) with 2 clusters, each holding the
   lab's live jobs plus N finished jobs pinned on the board: real array jobs
   (`--array`, 1,000 tasks each: Slurm's default MaxArraySize) run on the lab while
   the board watches (or, with --synthetic, N stored rows per cluster).
2. Cost of watching, per cluster per minute, with 1 viewer vs 5 tabs + 3 readers:
   SSH connections opened (sshd log), remote commands (the agent's counters),
   slurmctld RPCs by type (sdiag deltas), and job steps created (sdiag
   REQUEST_JOB_STEP_CREATE).
Runs `clausius serve` in its own process, on a scratch data directory.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from clausius.core.job_record import JobRow
from clausius.store import jobs_repo
from clausius.store.database import Database

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "scripts" / "slurm-lab"
CLUSTERS = ("alpha", "beta")


def lab_env() -> dict[str, object]:
    out = subprocess.run([sys.executable, str(LAB), "env", "--json"], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit("the lab is not available: run `sudo scripts/slurm-lab up`")
    data: dict[str, object] = json.loads(out.stdout)
    return data


def sdiag(cluster: str) -> dict[str, int]:
    out = subprocess.run([sys.executable, str(LAB), "sdiag", cluster], capture_output=True, text=True, check=True)
    return {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"^\s+([A-Z_]+)\s+\(\s*\d+\)\s+count:(\d+)", out.stdout, re.MULTILINE)
    }


def accepted(log: Path) -> int:
    return log.read_text(errors="replace").count("Accepted publickey for") if log.exists() else 0


def submit_arrays(env: dict[str, object], per_cluster: int) -> None:
    """Real array jobs of tiny tasks on both clusters; they finish while the board watches."""
    clusters = env["clusters"]
    assert isinstance(clusters, dict)
    for cluster in CLUSTERS:
        conf = clusters[cluster]["slurm_conf"]
        for start in range(0, per_cluster, 1000):
            last = min(start + 1000, per_cluster) - 1
            subprocess.run(
                [
                    "runuser",
                    "-u",
                    "alice",
                    "--",
                    "env",
                    f"SLURM_CONF={conf}",
                    "sbatch",
                    "--parsable",
                    "-D",
                    "/home/alice/jobs",
                    "-J",
                    "bench_sweep_tiny",
                    "-p",
                    "debug",
                    "-c",
                    "1",
                    "--mem=10M",
                    "-t",
                    "1",
                    "-o",
                    "/dev/null",
                    f"--array=0-{last - start}",
                    "--wrap",
                    "true",
                ],
                check=True,
                capture_output=True,
            )


def wait_for_pinned(url: str, per_cluster: int, limit: float) -> dict[str, int]:
    deadline = time.monotonic() + limit
    counts: dict[str, int] = {}
    with httpx.Client(timeout=120) as http:
        while time.monotonic() < deadline:
            board = http.get(f"{url}/api/board").json()
            counts = {c["name"]: c["counts"]["completed"] + c["counts"]["failed"] for c in board["clusters"]}
            if all(counts.get(c, 0) >= per_cluster for c in CLUSTERS):
                break
            time.sleep(10)
    return counts


def seed_history(db_path: Path, per_cluster: int) -> None:
    """Pinned finished jobs, as a busy user's board would hold after a large sweep."""
    db = Database.open(db_path)
    now = time.time()
    for cluster in CLUSTERS:
        rows = [
            JobRow(
                cluster=cluster,
                job_id=str(900000 + i),
                name=f"sweep_grid_lr{i % 50}-seed{i // 50}",
                state="COMPLETED" if i % 7 else "FAILED",
                exit_code=0 if i % 7 else 1,
                gpus=8,
                gpu_type="h100",
                partition="gpu",
                submit_time=now - 3600 - i,
                start_time=now - 3000 - i,
                end_time=now - 60,
                elapsed_sec=2940,
                time_limit_sec=14400,
                project="sweep",
                campaign="grid",
                pinned=True,
                first_seen=now - 3600,
                last_seen=now - 60,
                finalised_at=now - 60,
            )
            for i in range(per_cluster)
        ]
        db.write_sync(lambda c, rows=rows: jobs_repo.upsert(c, rows))
    db.close()


class Watchers:
    """SSE viewers and polling readers, in threads, for the duration of a scenario."""

    def __init__(self, url: str, viewers: int, readers: int) -> None:
        self.url, self.viewers, self.readers = url, viewers, readers
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def _view(self) -> None:
        with (
            httpx.Client(timeout=httpx.Timeout(30, read=60)) as http,
            http.stream("GET", f"{self.url}/api/board/stream") as stream,
        ):
            for _ in stream.iter_lines():
                if self.stop.is_set():
                    return

    def _read(self) -> None:
        with httpx.Client(timeout=30) as http:
            while not self.stop.is_set():
                http.get(f"{self.url}/api/board")
                self.stop.wait(2)

    def __enter__(self) -> Watchers:
        for target, count in ((self._view, self.viewers), (self._read, self.readers)):
            for _ in range(count):
                thread = threading.Thread(target=target, daemon=True)
                thread.start()
                self.threads.append(thread)
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()


def measure(
    url: str, env: dict[str, object], seconds: float, viewers: int, readers: int
) -> dict[str, dict[str, float]]:
    clusters = env["clusters"]
    assert isinstance(clusters, dict)
    logs = {c: Path(clusters[c]["sshd_log"]) for c in CLUSTERS}
    with httpx.Client(timeout=30) as http:
        before_agents = {a["cluster"]: a for a in http.get(f"{url}/api/agents").json()}
    before = {c: (accepted(logs[c]), sdiag(c)) for c in CLUSTERS}
    with Watchers(url, viewers, readers):
        time.sleep(seconds)
    after = {c: (accepted(logs[c]), sdiag(c)) for c in CLUSTERS}
    with httpx.Client(timeout=30) as http:
        after_agents = {a["cluster"]: a for a in http.get(f"{url}/api/agents").json()}
    per_minute = 60.0 / seconds
    result = {}
    for c in CLUSTERS:
        rpc = {k: (after[c][1].get(k, 0) - before[c][1].get(k, 0)) * per_minute for k in after[c][1]}
        result[c] = {
            "ssh connections": (after[c][0] - before[c][0]) * per_minute,
            "remote commands": (after_agents[c]["commands_run"] - before_agents[c]["commands_run"]) * per_minute,
            "refreshes": (after_agents[c]["refreshes"] - before_agents[c]["refreshes"]) * per_minute,
            "slurmctld RPCs": sum(v for k, v in rpc.items() if k.startswith("REQUEST_")),
            "job steps created": rpc.get("REQUEST_JOB_STEP_CREATE", 0.0),
            **{f"  {k}": v for k, v in sorted(rpc.items(), key=lambda kv: -kv[1]) if v and k.startswith("REQUEST_")},
        }
    return result


def latency(url: str, n: int) -> tuple[list[float], list[float], int]:
    full, cached = [], []
    with httpx.Client(timeout=60) as http:
        body = http.get(f"{url}/api/board")
        etag = body.headers["etag"]
        for _ in range(n):
            start = time.perf_counter()
            http.get(f"{url}/api/board")
            full.append((time.perf_counter() - start) * 1000)
        for _ in range(n):
            start = time.perf_counter()
            http.get(f"{url}/api/board", headers={"If-None-Match": etag})
            cached.append((time.perf_counter() - start) * 1000)
    return full, cached, len(body.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--synthetic", action="store_true", help="store N rows instead of running array jobs")
    args = parser.parse_args()
    env = lab_env()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        run_env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSIUS_")}
        run_env.update(
            CLAUSIUS_DATA_DIR=str(data),
            HOME=tmp,
            CLAUSIUS_SSH_CONFIG=str(env["ssh_config"]),
            CLAUSIUS_KNOWN_HOSTS=str(env["known_hosts"]),
            CLAUSIUS_SSH_USER="alice",
            CLAUSIUS_SSH_KEY=str(env["ssh_key"]),
        )
        for cluster in CLUSTERS:
            subprocess.run(
                [sys.executable, "-m", "clausius", "add-cluster", cluster, "--host", f"{cluster}-login"],
                env=run_env,
                check=True,
                capture_output=True,
            )
        if args.synthetic:
            seed_history(data / "history.db", args.jobs)
        port = 7390
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "clausius", "serve", "--port", str(port), "--mcp-port", "0"],
            env=run_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            httpx.get(f"{url}/api/board?force=true", timeout=60)
            pinned: dict[str, int] = {}
            if not args.synthetic:
                with Watchers(url, viewers=1, readers=0):
                    submit_arrays(env, args.jobs)
                    pinned = wait_for_pinned(url, args.jobs, limit=900)
            time.sleep(3)
            one = measure(url, env, args.seconds, viewers=1, readers=0)
            many = measure(url, env, args.seconds, viewers=5, readers=3)
            full, cached, size = latency(url, args.requests)
        finally:
            server.terminate()
            server.wait(timeout=30)

    console = Console(width=130)
    source = "stored rows" if args.synthetic else f"finished array tasks, pinned: {pinned}"
    table = Table(
        title=f"GET /api/board, 2 clusters × (live lab jobs + {args.jobs} {source}), body {size / 1e6:.1f} MB"
    )
    for column in ("request", "p50 ms", "p99 ms"):
        table.add_column(column, justify="left" if column == "request" else "right")
    for label, values in (("full board", full), ("If-None-Match (304)", cached)):
        values.sort()
        table.add_row(
            label, f"{statistics.median(values):.1f}", f"{values[min(len(values) - 1, int(len(values) * 0.99))]:.1f}"
        )
    console.print(table)
    cost = Table(title=f"per cluster per minute, watched for {args.seconds:.0f} s")
    cost.add_column("measure")
    for cluster in CLUSTERS:
        cost.add_column(f"{cluster}: 1 viewer", justify="right")
        cost.add_column(f"{cluster}: 5 tabs + 3 readers", justify="right")
    keys = list(dict.fromkeys([*one["alpha"], *many["alpha"], *one["beta"], *many["beta"]]))
    for key in keys:
        cost.add_row(key, *(f"{scenario[c].get(key, 0):.1f}" for c in CLUSTERS for scenario in (one, many)))
    console.print(cost)


if __name__ == "__main__":
    main()
