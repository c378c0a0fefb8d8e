"""Log and stats routes over real HTTP, without a lab cluster: errors, validation, the published schema."""

from __future__ import annotations

import pytest

from tests.api.conftest import LiveServer, free_port


def test_unknown_cluster_is_404_naming_the_known_ones(live: LiveServer) -> None:
    with live.client() as http:
        for tail in ("logs", "log", "stats"):
            answer = http.get(f"/api/jobs/nope/42/{tail}")
            assert answer.status_code == 404, answer.text
            body = answer.json()
            assert body["error"] == "unknown cluster 'nope'" and "local" in body["hint"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("tail_bytes=0", "tail_bytes"),
        ("tail_bytes=1048577", "tail_bytes"),
        ("tail_bytes=lots", "tail_bytes"),
        ("before=-1", "before"),
        (f"path={'a' * 4097}", "path"),
    ],
)
def test_bad_query_values_are_422_before_any_remote_call(live: LiveServer, query: str, field: str) -> None:
    with live.client() as http:
        answer = http.get(f"/api/jobs/nope/42/log?{query}")  # validation comes before the cluster lookup
        assert answer.status_code == 422, answer.text
        assert field in answer.json()["error"]


def test_bad_ids_and_local_processes_are_422(live: LiveServer) -> None:
    with live.client() as http:
        assert http.get(f"/api/jobs/{'x' * 65}/42/logs").status_code == 422
        assert http.get(f"/api/jobs/local/{'1' * 65}/stats").status_code == 422
        answer = http.get("/api/jobs/local/pid-1234/log")
        assert answer.status_code == 422 and "logs of local processes are not tracked" in answer.json()["error"]
        answer = http.get("/api/jobs/local/12%3Bls/stats")
        assert answer.status_code == 422 and answer.json()["error"] == "invalid job id: '12;ls'"


def test_unreachable_cluster_is_a_gateway_error_not_an_unknown_job(live: LiveServer) -> None:
    with live.writer() as http:
        created = http.post("/api/clusters", json={"name": "eos", "host": "127.0.0.1", "port": free_port()})
        assert created.status_code == 201, created.text
        for tail in ("logs", "stats"):
            answer = http.get(f"/api/jobs/eos/42/{tail}")
            assert answer.status_code in (502, 503), answer.text  # unreachable, then the circuit breaker
            assert "eos" in answer.json()["error"]


def test_the_schema_tells_agents_what_the_fields_mean(live: LiveServer) -> None:
    with live.client() as http:
        spec = http.get("/api/openapi.json").json()
    for tail in ("logs", "log", "stats"):
        path = f"/api/jobs/{{cluster}}/{{job_id}}/{tail}"
        assert "get" in spec["paths"][path]
    schemas = spec["components"]["schemas"]
    assert "before=start_offset" in schemas["LogTail"]["properties"]["more_before"]["description"]
    assert "sstat" in schemas["JobStats"]["properties"]["source"]["description"]
    assert schemas["LogFile"]["properties"]["role"]["enum"] == ["stdout", "stderr", "stdout+stderr", "other"]
