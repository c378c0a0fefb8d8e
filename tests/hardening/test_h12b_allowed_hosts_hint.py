"""Item 12 (Host names): a refused Host says how to allow it, and so does a wildcard bind at start-up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.conftest import LiveServer, free_port
from tests.api.test_security import wait_healthy
from tests.hardening.test_h00_login_links import _serve


def test_a_refused_host_names_the_setting_that_allows_it(live: LiveServer) -> None:
    with live.client() as http:
        response = http.get("/api/clusters", headers={"Host": "workstation.lan:7272"})
    assert response.status_code == 421
    message = response.json()["error"]
    assert "CLAUSIUS_ALLOWED_HOSTS" in message and "workstation.lan" in message


def test_serving_on_all_interfaces_names_the_hosts_it_answers_to(tmp_path: Path) -> None:
    port = free_port()
    proc = _serve(tmp_path, "--host", "0.0.0.0", "--port", str(port))
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        token = (tmp_path / "data" / "access-token").read_text().strip()
        own_name = socket.gethostname()
        answered = httpx.get(
            f"http://127.0.0.1:{port}/api/clusters",
            headers={"Host": f"{own_name}:{port}", "Authorization": f"Bearer {token}"},
        )
        assert answered.status_code == 200, "the machine's own name is accepted on a wildcard bind"
        link = subprocess.run(
            [sys.executable, "-m", "clausius", "open", "--print-only"],
            env={**os.environ, "CLAUSIUS_DATA_DIR": str(tmp_path / "data")},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        assert link.startswith(f"http://127.0.0.1:{port}/login?ticket=")  # not 0.0.0.0, which no Host check allows
        assert httpx.get(link).status_code == 200
        time.sleep(0.3)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "CLAUSIUS_ALLOWED_HOSTS" in err and own_name.lower() in err.lower()
