"""What schemathesis found in the HTTP API, one plain test per bug, so each stays fixed without it.

Each of these failed before its fix (see tests/api/test_schemathesis.py for the fuzzing itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.conftest import LiveServer, free_port

ERROR_BODY_REF = "#/components/schemas/ErrorBody"


@pytest.fixture
def http(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, headers=live.bearer, timeout=10) as client:
        yield client


@pytest.fixture
def document(http: httpx.Client) -> dict[str, Any]:
    answer = http.get("/api/openapi.json")
    assert answer.status_code == 200
    doc: dict[str, Any] = answer.json()
    return doc


def _responses(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    responses: dict[str, Any] = document["paths"][path][method]["responses"]
    return responses


def _error_schema(document: dict[str, Any], method: str, path: str, status: int) -> str:
    return str(_responses(document, method, path)[str(status)]["content"]["application/json"]["schema"]["$ref"])


def test_every_error_response_is_documented_as_the_error_body_the_api_sends(document: dict[str, Any]) -> None:
    # The document promised FastAPI's {"detail": [...]} for 422, a body this API never sends.
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert set(document["components"]["schemas"]["ErrorBody"]["properties"]) == {"error", "hint"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": ERROR_BODY_REF}, f"{method.upper()} {path} {status}"


def test_invalid_input_answers_the_documented_422(http: httpx.Client, document: dict[str, Any]) -> None:
    answer = http.post("/api/clusters", json={"name": "x"})
    assert answer.status_code == 422
    assert answer.json() == {"error": "host: Field required"}
    assert _error_schema(document, "post", "/api/clusters", 422) == ERROR_BODY_REF


def test_unknown_names_answer_a_documented_404(http: httpx.Client, document: dict[str, Any]) -> None:
    # 404 was in no operation's responses, though every lookup by name can answer it.
    assert http.get("/api/clusters/nope").status_code == 404
    assert _error_schema(document, "get", "/api/clusters/{name}", 404) == ERROR_BODY_REF
    assert http.get("/api/board", params={"cluster": "nope"}).status_code == 404
    assert "404" in _responses(document, "get", "/api/board")


def test_a_duplicate_answers_a_documented_409(http: httpx.Client, document: dict[str, Any]) -> None:
    spec = {"pattern": "train.py", "mode": "include"}
    assert http.post("/api/filters", json=spec).status_code == 201
    assert http.post("/api/filters", json=spec).status_code == 409
    assert _error_schema(document, "post", "/api/filters", 409) == ERROR_BODY_REF


def test_an_unreachable_cluster_answers_a_documented_502(http: httpx.Client, document: dict[str, Any]) -> None:
    closed_port = free_port()  # nothing listens there: the connection is refused at once
    added = http.post("/api/clusters", json={"name": "gone", "host": "127.0.0.1", "port": closed_port})
    assert added.status_code == 201, added.text
    answer = http.get("/api/clusters/gone/ping")
    assert answer.status_code == 502, answer.text
    assert "gone" in answer.json()["error"]
    for path in ("/api/clusters/{name}/ping", "/api/jobs/{cluster}/{job_id}/logs"):
        assert {"502", "504"} <= set(_responses(document, "get", path)), path


def test_the_board_stream_is_documented_as_an_event_stream(document: dict[str, Any]) -> None:
    # It was documented as application/json, which it never is.
    content = _responses(document, "get", "/api/board/stream")["200"]["content"]
    assert list(content) == ["text/event-stream"]
    assert content["text/event-stream"]["itemSchema"]["properties"]["event"] == {"const": "board"}


def test_a_body_that_is_not_text_is_invalid_input_with_one_clear_line(http: httpx.Client) -> None:
    # Was 400 "There was an error parsing the body", a status no operation documented.
    answer = http.post("/api/login", content=b"g\r\xff]??\xff", headers={"Content-Type": "application/json"})
    assert answer.status_code == 422
    assert answer.json() == {"error": "request body is not valid JSON: it is not UTF-8 text"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b"{not json",
            "request body is not valid JSON: Expecting property name enclosed in double quotes at character 1",
        ),
        (b"", "request body is missing: send a JSON object (Content-Type: application/json)"),
        (b"[]", "request body must be a JSON object (Content-Type: application/json)"),
    ],
)
def test_a_malformed_body_gets_one_clear_line(http: httpx.Client, body: bytes, message: str) -> None:
    # Were "1: JSON decode error", "Field required" and pydantic's "valid dictionary or object" wording.
    answer = http.post("/api/clusters", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422
    assert answer.json() == {"error": message}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/logout", {"everywhere": 0}, "everywhere"),  # was accepted as false: only this session ended
        ("/api/history/cleanup", {"older_than_days": 30, "dry_run": "no"}, "dry_run"),
        ("/api/login", {"token": "x", "extra": True}, "extra"),
    ],
)
def test_request_bodies_take_only_their_documented_json_types(
    http: httpx.Client, path: str, body: dict[str, Any], field: str
) -> None:
    answer = http.post(path, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"].startswith(f"{field}: ")


def test_a_length_limit_holds_for_the_value_as_sent(http: httpx.Client) -> None:
    # Padded with whitespace past its maxLength, a pattern was stripped first and then accepted.
    padded = " " * 5 + "x" * 200
    answer = http.post("/api/filters", json={"mode": "include", "pattern": padded})
    assert answer.status_code == 422, answer.text
    assert answer.json() == {"error": "pattern: String should have at most 200 characters"}
    stripped = http.post("/api/filters", json={"mode": "include", "pattern": "  train.py  "})
    assert stripped.status_code == 201 and stripped.json()["pattern"] == "train.py"  # still stripped
