"""Item 6: integers the store cannot hold (>= 2^63) are a 422 / one clear CLI line, never a 500."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import LiveServer

HUGE = "9223372036854775808"  # 2^63
HUGER = "99999999999999999999"


@pytest.mark.parametrize("path", [f"/api/paths/{HUGE}", f"/api/filters/{HUGE}", f"/api/paths/{HUGER}"])
def test_deleting_a_huge_id_is_422(live: LiveServer, path: str) -> None:
    with live.writer() as http:
        response = http.delete(path)
    assert response.status_code == 422, response.text
    assert response.json()["error"]


def test_huge_lustre_ids_offsets_and_days_are_422(live: LiveServer) -> None:
    with live.writer() as http:
        account = http.post("/api/accounts", json={"name": "acct", "lustre_id": int(HUGE)})
        assert account.status_code == 422, account.text
        assert http.get("/api/history", params={"offset": HUGE}).status_code == 422
        assert http.get("/api/history", params={"days": HUGE}).status_code == 422
        assert http.get("/api/jobs", params={"offset": HUGE}).status_code == 422
        cleanup = http.post("/api/history/cleanup", json={"older_than_days": int(HUGE)})
        assert cleanup.status_code == 422, cleanup.text
        assert http.get("/api/accounts").json() == []


@pytest.mark.parametrize(
    "argv",
    [
        ["remove-path", HUGER],
        ["remove-filter", HUGE],
        ["add-ppp", "acct", "--id", HUGE],
        ["history", "--offset", HUGE],
        ["add-cluster", "eos", "--host", "eos-login", "--port", "70000"],
    ],
)
def test_the_cli_says_one_clear_line_with_exit_2(tmp_path: Path, argv: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSIUS_")}
    env.update(CLAUSIUS_DATA_DIR=str(tmp_path / "data"), HOME=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "clausius", *argv], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "internal error" not in proc.stderr
