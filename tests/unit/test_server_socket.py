"""The listening socket `clausius serve` binds gives accepted connections TCP_NODELAY.

Without it (a socket made with proto 0, which asyncio does not recognise as TCP), every response
on a kept-alive connection waited ~40 ms for the client's delayed ACK; bench/api_latency.py shows
kept-alive against fresh-connection latency.
"""

from __future__ import annotations

import asyncio
import socket

from clausius.web.server import bind_socket


def test_accepted_connections_have_nodelay() -> None:
    async def scenario() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        listener = bind_socket("127.0.0.1", 0, "the test", "")
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        try:
            port = listener.getsockname()[1]
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            value = await asyncio.wait_for(accepted, 10)
            writer.close()
            return value
        finally:
            server.close()
            await server.wait_closed()

    assert asyncio.run(scenario()) != 0


def test_the_cli_starts_without_the_web_and_mcp_stacks() -> None:
    """Every `clausius` command pays for what it imports: the web server, FastAPI and the MCP SDK
    (about 0.8 s together) are imported only by the commands that serve or relay."""
    import subprocess
    import sys

    probe = (
        "import sys, clausius.cli; "
        "print(','.join(m for m in ('mcp', 'fastapi', 'uvicorn', 'clausius.web.server') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert loaded.stdout.strip() == ""
