"""The configuration API over real HTTP, checked against what the CLI sees in the same database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.api.conftest import LiveServer


def cli_json(live: LiveServer, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSIUS_")}
    env.update(CLAUSIUS_DATA_DIR=str(live.boot.data_dir), HOME=str(live.boot.data_dir.parent))
    out = subprocess.run(
        [sys.executable, "-m", "clausius", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)


CLUSTER = {
    "name": "eos",
    "host": "login.eos.example.com",
    "port": 2222,
    "user": "alice",
    "key": "/home/alice/.ssh/eos",
    "data_host": "dc.eos.example.com",
    "gpu_type": "H100",
    "gpus_per_node": 8,
    "gpu_mem_gb": 80,
    "account": "my_ppp",
    "mount_paths": ["/shared/storage/$USER", "/lustre/fs1"],
    "team_quota": 64,
}


def test_cluster_crud_round_trip_matches_the_cli(live: LiveServer) -> None:
    with live.writer() as http:
        created = http.post("/api/clusters", json=CLUSTER)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["key_configured"] is True and "key" not in body
        assert "/home/alice/.ssh/eos" not in created.text
        assert http.post("/api/clusters", json=CLUSTER).status_code == 409

        patched = http.patch("/api/clusters/eos", json={"gpu_type": "H200", "data_host": None})
        assert patched.status_code == 200
        after = patched.json()
        assert after["gpu_type"] == "H200" and after["data_host"] is None
        assert after["mount_paths"] == CLUSTER["mount_paths"] and after["account"] == "my_ppp"  # merge, not replace
        assert after["key_configured"] is True

        listing = http.get("/api/clusters").json()
        assert listing == cli_json(live, "list-clusters")
        assert http.get("/api/clusters/eos").json() == listing[0]

        missing = http.get("/api/clusters/nope")
        assert missing.status_code == 404 and "eos" in missing.json()["hint"]
        assert http.delete("/api/clusters/eos").json() == {"removed": "eos"}
        assert http.delete("/api/clusters/eos").status_code == 404
        assert cli_json(live, "list-clusters") == []


def test_team_accounts_paths_filters_projects_round_trip(live: LiveServer) -> None:
    with live.writer() as http:
        assert http.post("/api/team", json={"username": "alice", "display_name": "Alice"}).status_code == 201
        assert http.post("/api/accounts", json={"name": "my_ppp", "lustre_id": 12345}).status_code == 201
        assert http.patch("/api/accounts/my_ppp", json={"description": "main"}).json()["lustre_id"] == 12345
        path = http.post("/api/paths", json={"kind": "log_search", "path": "/lustre/logs"}).json()
        flt = http.post("/api/filters", json={"mode": "include", "pattern": "python train.py"}).json()
        project = http.post("/api/projects", json={"name": "hle"}).json()
        assert project["prefix"] == "hle_" and project["color"].startswith("#")
        assert http.patch("/api/projects/hle", json={"emoji": "🧪"}).json()["emoji"] == "🧪"

        assert http.get("/api/team").json() == cli_json(live, "list-team")
        assert http.get("/api/accounts").json() == cli_json(live, "list-ppp")
        assert http.get("/api/paths").json() == cli_json(live, "list-paths")
        assert http.get("/api/paths", params={"kind": "nemo_run"}).json() == []
        assert http.get("/api/filters").json() == cli_json(live, "list-filters")
        assert http.get("/api/projects").json() == cli_json(live, "list-projects")

        assert http.delete(f"/api/paths/{path['id']}").status_code == 200
        assert http.delete(f"/api/filters/{flt['id']}").status_code == 200
        assert http.delete("/api/team/alice").status_code == 200
        assert http.delete("/api/accounts/my_ppp").status_code == 200
        assert http.delete("/api/projects/hle").status_code == 200
        for kind in ("list-team", "list-ppp", "list-paths", "list-filters", "list-projects"):
            assert cli_json(live, kind) == []


def test_settings_api_and_cli_agree_and_cli_changes_reach_the_server(live: LiveServer) -> None:
    with live.writer() as http:
        put = http.put("/api/settings/ssh_timeout", json={"value": 21})
        assert put.status_code == 200 and put.json()["value"] == 21
        assert cli_json(live, "get", "ssh_timeout")["value"] == 21
        bad = http.put("/api/settings/ssh_timeout", json={"value": 0})
        assert bad.status_code == 422 and "at least 5" in bad.json()["error"]
        assert http.put("/api/settings/nope", json={"value": 1}).status_code == 404
        assert http.delete("/api/settings/ssh_timeout").json()["value"] == 8
        listing = http.get("/api/settings").json()
        assert [s["key"] for s in listing] == [s["key"] for s in cli_json(live, "settings")]

    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSIUS_")}
    env.update(CLAUSIUS_DATA_DIR=str(live.boot.data_dir), HOME=str(live.boot.data_dir.parent))
    subprocess.run(
        [sys.executable, "-m", "clausius", "set", "poll_interval_sec", "42"],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    with live.client() as http:
        for _ in range(50):  # the server notices another process's commit within its watch interval
            if http.get("/api/settings/poll_interval_sec").json()["value"] == 42:
                break
            time.sleep(0.1)
        assert http.get("/api/settings/poll_interval_sec").json()["value"] == 42


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "fragment"),
    [
        ("post", "/api/clusters", {"name": "Bad", "host": "x"}, 422, "invalid cluster name"),
        ("post", "/api/clusters", {"name": "ok"}, 422, "host"),
        ("post", "/api/clusters", {"name": "ok", "host": "x", "port": "ssh"}, 422, "port"),
        ("post", "/api/clusters", {"name": "ok", "host": "x", "surprise": 1}, 422, "unknown field"),
        ("post", "/api/clusters", [1, 2], 422, ""),
        ("patch", "/api/clusters/nope", {"gpu_type": "A100"}, 404, "unknown cluster"),
        ("post", "/api/team", {"username": "a b"}, 422, "invalid user name"),
        ("post", "/api/paths", {"kind": "x", "path": "/a"}, 422, "kind"),
        ("post", "/api/paths", {"kind": "log_search", "path": "/a/../b"}, 422, ".."),
        ("post", "/api/filters", {"mode": "include", "pattern": ""}, 422, "pattern"),
        ("post", "/api/projects", {"name": "p", "color": "blue"}, 422, "colour"),
        ("delete", "/api/paths/abc", None, 422, "path_id"),
        ("get", "/api/no/such/route", None, 404, "not found"),
        ("put", "/api/clusters", None, 405, "method not allowed"),
    ],
)
def test_bad_input_gets_one_clear_4xx(
    live: LiveServer, method: str, path: str, body: Any, status: int, fragment: str
) -> None:
    with live.writer() as http:
        kwargs = {} if body is None else {"json": body}
        response = getattr(http, method)(path, **kwargs) if method != "delete" else http.delete(path)
        assert response.status_code == status, response.text
        assert fragment in response.json()["error"]


def test_malformed_json_is_a_422_not_a_500(live: LiveServer) -> None:
    with live.writer() as http:
        response = http.post("/api/clusters", content=b"{not json", headers={"Content-Type": "application/json"})
        assert response.status_code == 422
        assert response.json()["error"]


def test_health_and_index_page(live: LiveServer) -> None:
    with live.writer() as http:
        http.post("/api/clusters", json={"name": "eos", "host": "eos-login", "key": "/secret/key/path"})
    with live.client() as http:
        health = http.get("/api/health").json()
        assert health["status"] == "ok" and health["clusters"] == 1
        page = http.get("/config")
        assert page.status_code == 200 and "eos-login" in page.text
        assert live.csrf in page.text  # the page carries its CSRF token
        assert "/secret/key/path" not in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        css = http.get("/static/app.css")
        assert css.status_code == 200 and "--accent" in css.text
        assert http.get("/static/app.js").status_code == 200


def test_audit_log_records_who_changed_what(live: LiveServer) -> None:
    with live.writer() as http:
        http.post("/api/clusters", json={"name": "eos", "host": "eos-login"})
        http.put("/api/settings/sdk_ingest_token", json={"value": "x" * 20})
    cli_json(live, "list-clusters")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSIUS_")}
    env.update(CLAUSIUS_DATA_DIR=str(live.boot.data_dir), HOME=str(live.boot.data_dir.parent))
    subprocess.run(
        [sys.executable, "-m", "clausius", "remove-cluster", "eos"],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    with live.client() as http:
        entries = http.get("/api/audit", params={"limit": 10}).json()
        assert http.get("/api/audit", params={"limit": 0}).status_code == 422
    assert [(e["interface"], e["action"], e["target"]) for e in entries] == [
        ("cli", "remove_cluster", "eos"),
        ("web", "set_setting", "sdk_ingest_token"),
        ("web", "add_cluster", "eos"),
    ]
    assert "x" * 20 not in str(entries)
    assert entries == cli_json(live, "audit", "--limit", "10")
