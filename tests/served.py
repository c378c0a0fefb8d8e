"""A real `clausius serve` subprocess with the lab's clusters registered (for e2e and MCP tests)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import free_port, remember_token
from tests.labkit import Lab


@dataclass
class Served:
    url: str
    env: dict[str, str]
    root: Path
    mcp_url: str | None = None

    @property
    def token(self) -> str:
        return (self.root / "data" / "access-token").read_text().strip()

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def login_link(self) -> str:
        """A one-time login link, from `clausius open --print-only` as a person would get it."""
        result = self.cli("open", "--print-only")
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "clausius", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def lab_env(lab: Lab, root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSIUS_")}
    env.update(
        CLAUSIUS_DATA_DIR=str(root / "data"),
        HOME=str(root),
        CLAUSIUS_SSH_CONFIG=str(lab.ssh_config),
        CLAUSIUS_KNOWN_HOSTS=str(lab.known_hosts),
        CLAUSIUS_SSH_USER="alice",
        CLAUSIUS_SSH_KEY=str(lab.ssh_key),
    )
    return env


def register_lab_clusters(served: Served) -> None:
    for name in ("alpha", "beta"):
        result = served.cli("add-cluster", name, "--host", f"{name}-login")
        assert result.returncode == 0, result.stderr
    assert served.cli("set", "poll_interval_sec", "5").returncode == 0
    assert served.cli("set", "ssh_timeout", "5").returncode == 0


@contextmanager
def serve_on_lab(lab: Lab, root: Path, *, mcp: bool = False) -> Iterator[Served]:
    """Register alpha and beta, start `clausius serve` (with a dedicated MCP port if asked), stop it after."""
    port = free_port()
    mcp_port = free_port() if mcp else 0
    served = Served(
        url=f"http://127.0.0.1:{port}",
        env=lab_env(lab, root),
        root=root,
        mcp_url=f"http://127.0.0.1:{mcp_port}/mcp" if mcp else None,
    )
    register_lab_clusters(served)
    log = (root / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "clausius", "serve", "--port", str(port), "--mcp-port", str(mcp_port)],
        env=served.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{served.url}/api/health", timeout=1).status_code == 200:
                    remember_token(served.url, served.token)
                    if served.mcp_url:
                        remember_token(served.mcp_url, served.token)
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"clausius serve did not start: {(root / 'serve.log').read_text()[-2000:]}")
        yield served
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
