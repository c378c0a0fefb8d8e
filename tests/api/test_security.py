"""Security defaults: CSRF + Origin on writes, Host allow-list, token when exposed, no secrets out."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import LiveServer, free_port, serving

TOKEN = "sdk-ingest-token-abcdefghijkl"
ACCESS = "access-token-0123456789abcdef"


# What clausius observed on clusters (a read may refresh it, like a cache), not what anyone changed.
OBSERVATIONS = ('INSERT INTO "cluster_sync"', 'INSERT INTO "jobs"', 'INSERT INTO "runs"')


def _dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [line for line in conn.iterdump() if not line.startswith(OBSERVATIONS)]


def test_post_without_csrf_token_is_refused(live: LiveServer) -> None:
    with live.client() as http:
        response = http.post("/api/team", json={"username": "mallory"})
        assert response.status_code == 403 and "CSRF" in response.json()["error"]
        wrong = http.post("/api/team", json={"username": "mallory"}, headers={"X-CSRF-Token": "0" * 64})
        assert wrong.status_code == 403
        for method in ("put", "patch", "delete"):
            assert http.request(method.upper(), "/api/settings/ssh_timeout", json={"value": 9}).status_code == 403
        assert http.get("/api/team").json() == []


def test_post_from_a_foreign_origin_is_refused_even_with_the_token(live: LiveServer) -> None:
    with live.client() as http:
        response = http.post(
            "/api/team",
            json={"username": "mallory"},
            headers={"X-CSRF-Token": live.csrf, "Origin": "http://evil.example"},
        )
        assert response.status_code == 403 and "cross-origin" in response.json()["error"]
        ok = http.post(
            "/api/team",
            json={"username": "alice"},
            headers={"X-CSRF-Token": live.csrf, "Origin": live.url},
        )
        assert ok.status_code == 201
        assert [m["username"] for m in http.get("/api/team").json()] == ["alice"]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.nip.io", "10.0.0.5"])
def test_a_foreign_host_header_is_refused(live: LiveServer, host: str) -> None:
    with live.client() as http:
        response = http.get("/api/health", headers={"Host": host})
        assert response.status_code == 421
        assert "Host" in response.json()["error"]
        assert http.get("/", headers={"Host": host}).status_code == 421


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]"])
def test_loopback_host_names_are_accepted(live: LiveServer, host: str) -> None:
    with live.client() as http:
        assert http.get("/api/health", headers={"Host": f"{host}:{live.port}"}).status_code == 200


def test_get_never_mutates(live: LiveServer) -> None:
    with live.writer() as http:
        http.post("/api/clusters", json={"name": "eos", "host": "eos-login"})
        http.post("/api/projects", json={"name": "hle"})
    with live.client() as http:  # logging in writes a session: before the snapshot
        before = _dump(live.boot.db_path)
        spec = http.get("/api/openapi.json").json()
        # /ping reaches out to the cluster; it is exercised against the lab, not an unresolvable host
        # /ping reaches the cluster and /stream never ends; both are exercised elsewhere
        gets = [p for p, ops in spec["paths"].items() if "get" in ops and not p.endswith(("/ping", "/stream"))]
        assert "/api/clusters" in gets and "/api/settings" in gets
        for path in gets:
            concrete = path.replace("{name}", "eos").replace("{key}", "ssh_timeout")
            assert http.get(concrete).status_code < 500
        for page in ("/", "/config", "/login", "/api/docs"):
            assert http.get(page).status_code < 500
    assert _dump(live.boot.db_path) == before


def test_no_response_contains_the_ingest_token(live: LiveServer) -> None:
    with live.writer() as http:
        assert http.put("/api/settings/sdk_ingest_token", json={"value": TOKEN}).status_code == 200
        http.post("/api/clusters", json={"name": "eos", "host": "eos-login", "key": "/home/me/.ssh/eos_key"})
        bodies = [http.put("/api/settings/sdk_ingest_token", json={"value": TOKEN}).text]
    with live.client() as http:
        spec = http.get("/api/openapi.json").json()
        for path, ops in spec["paths"].items():
            if "get" in ops and not path.endswith(("/ping", "/stream")):
                bodies.append(http.get(path.replace("{name}", "eos").replace("{key}", "sdk_ingest_token")).text)
        bodies += [http.get("/").text, http.get("/config").text, http.get("/api/settings").text]
    assert live.services.settings.verify_secret("sdk_ingest_token", TOKEN)  # it is stored (as a hash)...
    for body in bodies:
        assert TOKEN not in body  # ...but never shown
        assert "eos_key" not in body


@pytest.fixture
def protected(tmp_path: Path) -> Iterator[LiveServer]:
    with serving(tmp_path, token=ACCESS) as info:
        yield info


def test_access_token_guards_everything_but_login(protected: LiveServer) -> None:
    with protected.anonymous() as http:
        assert http.get("/api/clusters").status_code == 401
        assert http.get("/", follow_redirects=False).headers["location"] == "/login"
        assert http.get("/login").status_code == 200
        assert http.get("/api/health").status_code == 200
        assert http.get("/api/clusters", headers={"Authorization": "Bearer wrong-token-xxxxxxxx"}).status_code == 401
        bearer = {"Authorization": f"Bearer {ACCESS}"}
        assert http.get("/api/clusters", headers=bearer).status_code == 200
        # bearer requests need no CSRF token: browsers never attach that header by themselves
        assert http.post("/api/team", json={"username": "bob"}, headers=bearer).status_code == 201

        assert http.post("/api/login", json={"token": "wrong"}).status_code == 401
        login = http.post("/api/login", json={"token": ACCESS})
        assert login.status_code == 204
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert ACCESS not in login.headers["set-cookie"]
        assert http.get("/api/team").status_code == 200  # the session cookie now authenticates
        assert http.post("/api/team", json={"username": "eve"}).status_code == 403  # ...but writes still need CSRF
        assert (
            http.post("/api/team", json={"username": "carol"}, headers={"X-CSRF-Token": protected.csrf}).status_code
            == 201
        )


def _serve(tmp_path: Path, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSIUS_")}
    env.update(CLAUSIUS_DATA_DIR=str(tmp_path / "data"), HOME=str(tmp_path), CLAUSIUS_MCP_PORT="0", **(extra_env or {}))
    return subprocess.Popen(
        [sys.executable, "-m", "clausius", "serve", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_serve_on_all_interfaces_without_token_refuses_to_start(tmp_path: Path) -> None:
    proc = _serve(tmp_path, "--host", "0.0.0.0", "--port", str(free_port()), "--no-auth")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "refusing to listen on 0.0.0.0 without an access token" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_serve_with_a_short_token_refuses(tmp_path: Path) -> None:
    proc = _serve(
        tmp_path, "--host", "0.0.0.0", "--port", str(free_port()), extra_env={"CLAUSIUS_ACCESS_TOKEN": "short"}
    )
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "at least 16" in err


def wait_healthy(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"{url} did not become healthy")


def test_second_server_on_the_same_data_dir_refuses(tmp_path: Path) -> None:
    port = free_port()
    first = _serve(tmp_path, "--port", str(port))
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        second = _serve(tmp_path, "--port", str(free_port()))
        _, err = second.communicate(timeout=60)
        assert second.returncode == 1 and "already in use" in err
    finally:
        first.terminate()
        first.communicate(timeout=30)
