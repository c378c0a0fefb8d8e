"""Item 0: the one-time login link; `clausius serve` prints one, `--no-auth` is explicit and loud."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from clausius.web.auth import mint_ticket
from tests.api.conftest import LiveServer, free_port
from tests.api.test_security import wait_healthy


def _redeem(live: LiveServer, ticket: str) -> int:
    with live.anonymous() as http:
        return http.post("/api/login", json={"ticket": ticket}, headers={"Origin": live.url}).status_code


def test_a_ticket_logs_in_once(live: LiveServer) -> None:
    assert live.security is not None
    ticket = mint_ticket(live.security.secret)
    assert _redeem(live, ticket) == 204
    assert _redeem(live, ticket) == 401, "a used link must not log in again"
    assert _redeem(live, mint_ticket(live.security.secret, ttl_sec=-1)) == 401, "an expired link"
    assert _redeem(live, mint_ticket(b"x" * 32)) == 401, "a link signed with another secret"
    forged = ticket.rsplit(".", 1)[0] + ".0"
    assert _redeem(live, forged) == 401


def test_the_login_page_renders_the_ticket_but_get_does_not_log_in(live: LiveServer) -> None:
    assert live.security is not None
    ticket = mint_ticket(live.security.secret)
    with live.anonymous() as http:
        page = http.get(f"/login?ticket={ticket}")
        assert page.status_code == 200 and f'data-ticket="{ticket}"' in page.text
        assert "set-cookie" not in page.headers
        assert http.get("/api/clusters").status_code == 401
    assert _redeem(live, ticket) == 204, "the GET did not use the ticket up"


def _serve(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSIUS_")}
    env.update(CLAUSIUS_DATA_DIR=str(tmp_path / "data"), HOME=str(tmp_path), CLAUSIUS_MCP_PORT="0")
    return subprocess.Popen(
        [sys.executable, "-m", "clausius", "serve", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_creates_the_token_and_prints_a_login_link_once(tmp_path: Path) -> None:
    port = free_port()
    proc = _serve(tmp_path, "--port", str(port))
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        token_file = tmp_path / "data" / "access-token"
        assert token_file.stat().st_mode & 0o777 == 0o600
        token = token_file.read_text().strip()
        time.sleep(0.3)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    links = [line for line in out.splitlines() if "/login?ticket=" in line]
    assert len(links) == 1 and f"http://127.0.0.1:{port}/login?ticket=" in links[0]
    assert token not in out


def test_no_auth_is_an_explicit_logged_choice(tmp_path: Path) -> None:
    port = free_port()
    proc = _serve(tmp_path, "--port", str(port), "--no-auth")
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        assert httpx.get(f"http://127.0.0.1:{port}/api/clusters").status_code == 200
        time.sleep(0.3)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "access token turned off (--no-auth)" in err
    assert not (tmp_path / "data" / "access-token").exists()
