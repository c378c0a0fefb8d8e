"""Item 0: another user of a shared login node cannot act as you, by default.

On the lab, `bob` (a second unix user of the same machine, so the same loopback) tries every
route of a running service from the OpenAPI document, the pages, and the MCP endpoint on both
ports, and tries to read the token and the database from the data directory.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.labkit import Lab, require_lab
from tests.served import Served, serve_on_lab

pytestmark = pytest.mark.lab
PLACEHOLDERS = {"name": "alpha", "cluster": "alpha", "job_id": "1", "key": "theme", "id": "1", "username": "alice"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    lab: Lab = require_lab()
    root = tmp_path_factory.mktemp("h00")
    root.chmod(0o755)  # bob may walk up to the data directory; what protects it is its own mode
    with serve_on_lab(lab, root, mcp=True) as running:
        yield running


def _as_bob(script: str) -> str:
    proc = subprocess.run(
        ["runuser", "-u", "bob", "--", "bash", "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    return proc.stdout + proc.stderr


def _operations(served: Served) -> list[tuple[str, str]]:
    spec = httpx.get(f"{served.url}/api/openapi.json", headers=served.bearer, timeout=10).json()
    ops = []
    for path, methods in spec["paths"].items():
        concrete = re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDERS.get(m.group(1), "x"), path)
        ops += [(method.upper(), concrete) for method in methods if method in ("get", "post", "put", "patch", "delete")]
    return ops


def test_bob_gets_401_on_every_route_and_the_mcp_endpoint(served: Served) -> None:
    ops = _operations(served)
    assert len(ops) > 40, "the OpenAPI document should list every route"
    assert served.mcp_url is not None
    init = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}})
    lines = [
        f"echo \"{method} {path} $(curl -s -o /dev/null -w '%{{http_code}}' -X {method} "
        f"-H 'Content-Type: application/json' -d '{{}}' '{served.url}{path}')\""
        for method, path in ops
    ]
    for mcp in (served.mcp_url, f"{served.url}/mcp"):
        lines.append(
            f"echo \"MCP {mcp} $(curl -s -o /dev/null -w '%{{http_code}}' -X POST -H 'Content-Type: application/json' "
            f"-H 'Accept: application/json, text/event-stream' -d '{init}' '{mcp}')\""
        )
    guess = "-H 'Authorization: Bearer aaaaaaaaaaaaaaaaaaaaaaaaaaaa'"
    lines.append(f"echo \"GUESS $(curl -s -o /dev/null -w '%{{http_code}}' {guess} '{served.url}/api/clusters')\"")
    results = dict(line.rsplit(" ", 1) for line in _as_bob("\n".join(lines)).strip().splitlines())
    assert len(results) == len(ops) + 3
    health = "GET /api/health"
    wrong = {op: code for op, code in results.items() if code != "401" and op != health}
    assert wrong == {}, f"routes bob could reach: {wrong}"
    assert results[health] == "200"  # liveness only: version and counts, nothing of yours


def test_bob_sees_no_csrf_token_and_no_board_on_the_pages(served: Served) -> None:
    board = _as_bob(f"curl -s -o /dev/null -w '%{{http_code}} %{{redirect_url}}' '{served.url}/'")
    assert board.startswith("303") and board.endswith("/login")
    login = _as_bob(f"curl -s '{served.url}/login'")
    assert 'name="csrf-token" content=""' in login
    assert served.token not in login


def test_bob_cannot_read_the_token_or_the_database(served: Served) -> None:
    data = served.root / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("access-token", "server-secret", "history.db", "service.json"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
        out = _as_bob(f"cat '{data / name}' >/dev/null && echo READ || echo REFUSED")
        assert "REFUSED" in out and "READ\n" not in out, name
    assert "REFUSED" in _as_bob(f"ls '{data}' >/dev/null 2>&1 && echo LISTED || echo REFUSED")


def test_the_owner_gets_in_with_the_token_from_the_data_dir(served: Served) -> None:
    token = Path(served.root / "data" / "access-token").read_text().strip()
    assert len(token) >= 32
    ok = httpx.get(f"{served.url}/api/clusters", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert ok.status_code == 200 and {c["name"] for c in ok.json()} >= {"alpha", "beta"}
    link = served.login_link()
    assert "/login?ticket=" in link and token not in link
