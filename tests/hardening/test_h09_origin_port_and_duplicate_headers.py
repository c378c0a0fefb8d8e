"""Item 9: Origin must match scheme, host and port; two Origin or Host headers are refused."""

from __future__ import annotations

import socket

import pytest

from tests.api.conftest import LiveServer
from tests.hardening.test_h04_chunked_body_limit import read_reply

INIT_MCP = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:8888", "http://127.0.0.1:1", "https://127.0.0.1:{port}", "http://127.0.0.1", "null"],
)
def test_an_origin_on_another_port_or_scheme_is_refused(live: LiveServer, origin: str) -> None:
    origin = origin.format(port=live.port)
    with live.client() as http:
        response = http.post(
            "/api/team", json={"username": "mallory"}, headers={"X-CSRF-Token": live.csrf, "Origin": origin}
        )
        assert response.status_code == 403, origin
        mcp = http.post(
            "/mcp",
            json=INIT_MCP,
            headers={
                "Origin": origin,
                "Accept": "application/json, text/event-stream",
                "Authorization": f"Bearer {live.token}",
            },
        )
        assert mcp.status_code == 403, origin
        assert http.get("/api/team").json() == []


def test_our_own_origin_is_accepted(live: LiveServer) -> None:
    with live.client() as http:
        response = http.post(
            "/api/team", json={"username": "alice"}, headers={"X-CSRF-Token": live.csrf, "Origin": live.url}
        )
        assert response.status_code == 201


def _raw(live: LiveServer, headers: list[str]) -> bytes:
    body = b'{"username": "mallory"}'
    lines = [
        "POST /api/team HTTP/1.1",
        *headers,
        f"Authorization: Bearer {live.token}",
        f"X-CSRF-Token: {live.csrf}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        return read_reply(sock)


def test_two_origin_headers_are_refused_whatever_their_order(live: LiveServer) -> None:
    host = f"Host: 127.0.0.1:{live.port}"
    for pair in (["Origin: http://evil.example", f"Origin: {live.url}"], [f"Origin: {live.url}", "Origin: evil"]):
        reply = _raw(live, [host, *pair])
        assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
        assert b"more than one origin header" in reply


def test_two_host_headers_are_refused(live: LiveServer) -> None:
    reply = _raw(live, ["Host: evil.example", f"Host: 127.0.0.1:{live.port}"])
    assert reply.startswith((b"HTTP/1.1 400", b"HTTP/1.1 421")), reply[:200]
    with live.client() as http:
        assert http.get("/api/team").json() == []
