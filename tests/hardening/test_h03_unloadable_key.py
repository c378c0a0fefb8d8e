"""Item 3: a key that cannot be loaded is the cluster's error everywhere, never a 500 or a traceback."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.labkit import Lab, require_lab
from tests.mcp.conftest import mcp_session, tool_error
from tests.served import Served, serve_on_lab

pytestmark = pytest.mark.lab


def _keys(folder: Path) -> dict[str, tuple[Path, str]]:
    folder.mkdir()
    locked = folder / "locked"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "secret-pass", "-f", str(locked)], check=True)
    garbage = folder / "garbage"
    garbage.write_bytes(b"\x00not a key at all\xff" * 10)
    return {
        "locked": (locked, "passphrase-protected (add it to ssh-agent)"),
        "public": (Path(f"{locked}.pub"), "it is a public key"),
        "garbage": (garbage, "not a private key file"),
    }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    lab: Lab = require_lab()
    with serve_on_lab(lab, tmp_path_factory.mktemp("h03"), mcp=True) as running:
        yield running


def test_add_and_update_refuse_an_unloadable_key_at_once(served: Served, tmp_path: Path) -> None:
    for path, reason in _keys(tmp_path / "keys").values():
        added = served.cli("add-cluster", "gamma", "--host", "alpha-login", "--key", str(path))
        assert added.returncode == 2, added.stderr
        assert f"this SSH key cannot be loaded: {reason}" in added.stderr and "Traceback" not in added.stderr
        assert str(path) not in added.stderr  # key paths are never shown
        with httpx.Client(base_url=served.url, headers=served.bearer, timeout=30) as http:
            api = http.patch("/api/clusters/alpha", json={"key": str(path)})
            assert api.status_code == 422 and reason in api.json()["error"] and str(path) not in api.text


def test_a_key_broken_after_registration_is_the_clusters_error(served: Served, tmp_path: Path) -> None:
    keys = _keys(tmp_path / "keys")
    key = tmp_path / "alpha-key"
    key.write_bytes(Path(served.env["CLAUSIUS_SSH_KEY"]).read_bytes())
    key.chmod(0o600)
    assert served.cli("update-cluster", "alpha", "--key", str(key)).returncode == 0
    key.write_bytes(keys["locked"][0].read_bytes())  # replaced later by a passphrase-protected key
    reason = "passphrase-protected (add it to ssh-agent)"

    log_cli = served.cli("log", "alpha", "1")
    assert log_cli.returncode == 1 and reason in log_cli.stderr, log_cli.stderr
    assert "internal error" not in log_cli.stderr and len(log_cli.stderr.strip().splitlines()) <= 2
    status_cli = served.cli("status", "--check", "--json")
    assert status_cli.returncode == 0 and reason in status_cli.stdout, status_cli.stdout + status_cli.stderr
    with httpx.Client(base_url=served.url, headers=served.bearer, timeout=60) as http:
        check = http.get("/api/clusters/alpha/ping")
        assert check.status_code in (502, 503) and reason in check.json()["error"], check.text
        assert "the cluster's SSH key (--key)" in check.json()["error"] and str(key) not in check.text
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = {c["cluster"]: c for c in http.get("/api/cluster-status").json()}["alpha"]
            if status["error"]:
                break
            http.get("/api/board")
            time.sleep(0.5)
        assert status["state"] != "never" or status["error"], status
        assert reason in (status["error"] or ""), status
        log = http.get("/api/jobs/alpha/1/log")
        assert log.status_code in (502, 503) and reason in log.json()["error"], log.text
        assert {c["cluster"]: c for c in http.get("/api/cluster-status").json()}["beta"]["error"] is None

    async def over_mcp() -> dict[str, Any]:
        assert served.mcp_url is not None
        async with mcp_session(f"{served.mcp_url}?groups=all") as session:
            return tool_error(await session.call_tool("get_job_log", {"cluster": "alpha", "job_id": "1"}))

    error = asyncio.run(over_mcp())
    assert reason in str(error["message"]) and error["code"] != "internal_error"
    serve_log = (served.root / "serve.log").read_text()
    assert "Task exception was never retrieved" not in serve_log and "Traceback" not in serve_log
