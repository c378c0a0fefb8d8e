"""`clausius status` reports what the running service knows (it used to say `never`, 0 jobs)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.labkit import Lab
from tests.served import Served, serve_on_lab

pytestmark = pytest.mark.lab


@pytest.fixture
def served(lab: Lab, tmp_path: Path) -> Iterator[Served]:
    with serve_on_lab(lab, tmp_path) as running:
        yield running


def test_status_shows_the_services_view(served: Served) -> None:
    deadline = time.monotonic() + 60
    while True:  # someone looks at the board: the service's agents refresh both clusters
        board = httpx.get(f"{served.url}/api/board", headers=served.bearer, timeout=30).json()
        if all(c["status"]["state"] == "live" for c in board["clusters"] if c["name"] != "local"):
            break
        assert time.monotonic() < deadline, board["clusters"]
        time.sleep(1)

    result = served.cli("status", "--json")
    assert result.returncode == 0, result.stderr
    by_name = {c["cluster"]: c for c in json.loads(result.stdout)}
    for name in ("alpha", "beta"):
        assert by_name[name]["state"] == "live", by_name[name]
        assert by_name[name]["refreshes"] >= 1 and by_name[name]["polling"] is True

    table = served.cli("status", "alpha")
    assert table.returncode == 0 and f"as the service at {served.url} sees them" in table.stdout, table.stdout
    assert "live" in table.stdout and "beta" not in table.stdout

    unknown = served.cli("status", "nope")
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: ") and "nope" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_status_without_a_service_says_it_looked_itself(lab: Lab, tmp_path: Path) -> None:
    from tests.served import lab_env, register_lab_clusters

    served = Served(url="http://127.0.0.1:1", env=lab_env(lab, tmp_path), root=tmp_path)
    register_lab_clusters(served)
    result = served.cli("status")
    assert result.returncode == 0, result.stderr
    assert "no service is running" in result.stdout
