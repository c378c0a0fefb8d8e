"""Item 4: the body limit counts bytes as they arrive, so a chunked body cannot bypass it."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import psutil

from clausius.web.security import MAX_BODY_BYTES
from tests.api.conftest import LiveServer


def _chunks(total: int, size: int = 1 << 20) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b"[" + b"1," * ((piece - 2) // 2) + b"1]" if piece >= 4 else b"1" * piece


def read_reply(sock: socket.socket) -> bytes:
    """One HTTP/1.1 reply: the head, then as many body bytes as its Content-Length says."""
    reply = b""
    while b"\r\n\r\n" not in reply and (data := sock.recv(65536)):
        reply += data
    head, _, body = reply.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
        0,
    )
    while len(body) < length and (data := sock.recv(65536)):
        body += data
    return head + b"\r\n\r\n" + body


def _raw_chunked_put(live: LiveServer, path: str, total: int) -> tuple[int, bytes]:
    """Send a chunked body by hand (no Content-Length), stopping as soon as the server answers."""
    head = (
        f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nAuthorization: Bearer {live.token}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", live.port), timeout=30) as sock:
        sock.sendall(head)
        sent_all = True
        try:
            for chunk in _chunks(total):
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            sent_all = False  # the server stopped reading and closed: what we want
        assert sent_all or total > MAX_BODY_BYTES, "the server hung up on a body within the limit"
        reply = read_reply(sock)
    status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1") else 0
    return status, reply


def test_a_chunked_body_over_the_limit_is_413_without_being_read_whole(live: LiveServer) -> None:
    process = psutil.Process()  # the live server runs in this process's thread
    before = process.memory_info().rss
    status, reply = _raw_chunked_put(live, "/api/settings/theme", 64 * 1024 * 1024)
    grown = process.memory_info().rss - before
    assert status == 413, reply[:300]
    assert b"request body too large" in reply
    assert grown < 4 * MAX_BODY_BYTES, f"memory grew by {grown / 2**20:.0f} MiB while refusing"


def test_a_chunked_body_under_the_limit_still_works(live: LiveServer) -> None:
    body = b'{"value": "dark"}'
    head = (
        f"PUT /api/settings/theme HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nAuthorization: Bearer {live.token}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        sock.sendall(head + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
        reply = read_reply(sock)
    assert reply.startswith(b"HTTP/1.1 200"), reply[:300]
    assert live.services.settings.get_str("theme") == "dark"


def test_the_mcp_endpoint_refuses_an_oversized_chunked_body_too(live: LiveServer) -> None:
    status, _ = _raw_chunked_put(live, "/mcp", 32 * 1024 * 1024)
    assert status in (405, 413)  # PUT is not an MCP method; what matters is that it is not read whole
