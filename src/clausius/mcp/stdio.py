"""`clausius mcp --stdio`: MCP for clients that launch their server as a child process.

It never starts a second poller. If a clausius service already owns the data directory
(`clausius serve`, or another `mcp --stdio` running standalone), this process only
relays MCP messages between stdin/stdout and that service's Streamable HTTP endpoint
(`mcp/relay.py`, which also rides out restarts of the service), so tools run there,
on its snapshot and its SSH connections. Otherwise it becomes the
service itself: it takes the data-directory lock, runs the cluster agents, and also
listens on an ephemeral loopback port so later stdio clients relay to it.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

import anyio
import uvicorn

from clausius.bootstrap import Bootstrap, load_bootstrap
from clausius.errors import ConfigError, Conflict
from clausius.mcp.relay import Relay
from clausius.services.app import Services
from clausius.store.datadir import read_service_info
from clausius.store.lock import DataDirLock
from clausius.web.auth import load_or_create_token

log = logging.getLogger("clausius.mcp")
SERVICE_WAIT_SEC = 10.0


def _service_info(boot: Bootstrap, wait: float) -> dict[str, Any] | None:
    """The running service's addresses, waiting briefly for a server that is still starting."""
    deadline = time.monotonic() + wait
    while True:
        info = read_service_info(boot.data_dir)
        if info is not None:
            return info
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


def _mcp_url(info: dict[str, Any], groups: str | None) -> str:
    return str(info["mcp_url"]) + (f"?groups={groups}" if groups else "")


def run_stdio(groups: str | None, token: str | None, current_token: Callable[[], str | None] | None = None) -> None:
    """`current_token` re-reads the token for each connection of the relay (it may be rotated meanwhile)."""
    boot = load_bootstrap()
    lock = DataDirLock(boot.data_dir, f"mcp --stdio (pid {os.getpid()})", "stop it or use the running service")
    try:
        lock.acquire()
    except Conflict:
        info = _service_info(boot, SERVICE_WAIT_SEC)
        if info is None:
            raise ConfigError(
                f"{boot.data_dir} is in use by {lock.holder()}, which offers no MCP endpoint",
                hint="wait for it to finish, or start `clausius serve`",
            ) from None
        if info.get("token_required") and not token:
            raise ConfigError(
                "the running clausius service requires its access token",
                hint="pass --token-file or set CLAUSIUS_ACCESS_TOKEN (the service was started with another token)",
            ) from None
        print(f"clausius: relaying MCP to the running service at {_mcp_url(info, groups)}", file=sys.stderr)

        def locate() -> str | None:  # the service may restart, even on another port: look each time
            current = _service_info(boot, 0)
            return _mcp_url(current, groups) if current and current.get("mcp_url") else None

        anyio.run(Relay(locate, current_token or (lambda: token)).run)
        return
    from clausius.web.server import bind_socket, write_service_file

    try:
        services = Services.open(boot)
        # Our loopback port is as reachable by other users as a served one: it needs the token too.
        token = token or load_or_create_token(boot.data_dir)
        sock = bind_socket("127.0.0.1", 0, "MCP", "")
        port = int(sock.getsockname()[1])
        service_file = write_service_file(
            boot.data_dir,
            {"pid": os.getpid(), "url": None, "mcp_url": f"http://127.0.0.1:{port}/mcp", "token_required": True},
        )
        print(
            f"clausius: no service running; serving MCP from this process (also at 127.0.0.1:{port})", file=sys.stderr
        )
        try:
            anyio.run(_standalone, services, sock, groups, token)
        finally:
            service_file.unlink(missing_ok=True)
            sock.close()
            services.close()
    finally:
        lock.release()


async def _standalone(services: Services, sock: socket.socket, groups: str | None, token: str) -> None:
    """Be the service: agents, background work, stdio for this client and loopback HTTP for others."""
    from clausius.mcp.catalogue import parse_groups
    from clausius.web.app import create_app
    from clausius.web.server import build_security

    port = int(sock.getsockname()[1])
    app = create_app(services, build_security(services.boot.data_dir, "127.0.0.1", token), mcp_port=port)
    endpoint = app.state.mcp
    if groups:
        endpoint.group_filter.stdio_groups = parse_groups(groups, services.settings.get_list("mcp_tool_groups"))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, server_header=False))
    async with anyio.create_task_group() as tasks:

        async def web() -> None:
            await server.serve([sock])
            tasks.cancel_scope.cancel()  # a signal stopped the server: stop serving stdio too

        tasks.start_soon(web)
        # uvicorn offers only a flag; the MCP session manager starts in the app's lifespan.
        while not server.started:  # noqa: ASYNC110
            await anyio.sleep(0.02)
        await endpoint.run_stdio()
        server.should_exit = True
