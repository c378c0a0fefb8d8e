"""`clausius serve`: start-up checks, the data-directory lock, uvicorn."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
from pathlib import Path

import uvicorn

from clausius.bootstrap import load_bootstrap
from clausius.errors import ConfigError
from clausius.mcp.server import MCP_PATH
from clausius.services.app import Services
from clausius.store.datadir import SERVICE_FILE, read_service_info, use_private_umask
from clausius.store.lock import DataDirLock
from clausius.web.app import create_app
from clausius.web.auth import mint_ticket, resolve_token, token_source
from clausius.web.security import SecurityConfig, allowed_hosts_for, is_loopback, load_or_create_secret

log = logging.getLogger("clausius")


def read_access_token(token_file: Path | None, data_dir: Path | None = None) -> str | None:
    """What a client of this data directory's service authenticates with (None: the server has none)."""
    return resolve_token(data_dir if data_dir is not None else load_bootstrap().data_dir, token_file, create=False)


def build_security(data_dir: Path, host: str, token: str | None, token_file: Path | None = None) -> SecurityConfig:
    """`token` None means no authentication at all: only for an explicit --no-auth on loopback."""
    if not is_loopback(host) and token is None:
        raise ConfigError(
            f"refusing to listen on {host} without an access token: anyone who can reach it could act as you "
            "on every cluster (drop --no-auth, or bind 127.0.0.1)."
        )
    extra = [h for h in os.environ.get("CLAUSIUS_ALLOWED_HOSTS", "").split(",") if h]
    if host in ("0.0.0.0", "::"):  # noqa: S104 - compared, not bound
        extra.append(socket.gethostname())  # this machine's own name is not an attacker's DNS name
    return SecurityConfig(
        secret=load_or_create_secret(data_dir),
        allowed_hosts=allowed_hosts_for(host, extra),
        access_token=token,
        token_file=token_file if token is not None else None,
    )


def bind_socket(host: str, port: int, what: str, hint: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY on accepted sockets only when it does, and without
    # it every response on a kept-alive connection waited ~40 ms (Nagle against the delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port} for {what}: {exc.strerror}", hint=hint) from None
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


def _reachable(host: str) -> str:
    """The address clients on this machine use: a wildcard bind is reached (and allowed) as 127.0.0.1."""
    return "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - compared, not bound


def _url(host: str, port: int) -> str:
    return f"http://{host if ':' not in host else f'[{host}]'}:{port}"


def write_service_file(data_dir: Path, info: dict[str, object]) -> Path:
    """Where `clausius mcp --stdio` finds the running service (0600: it names our ports, nothing secret)."""
    path = data_dir / SERVICE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.touch(mode=0o600)
    tmp.write_text(json.dumps(info), encoding="utf-8")
    tmp.replace(path)
    return path


def running_service_token_file(data_dir: Path) -> Path | None:
    """The token file the service running on `data_dir` follows (None: none runs, or it has no file)."""
    info = read_service_info(data_dir) or {}
    followed = info.get("token_file")
    return Path(followed) if isinstance(followed, str) else None


def login_link(data_dir: Path) -> str:
    """A one-time login link to the service running on `data_dir` (needs the same user's server secret)."""
    info = read_service_info(data_dir)
    if info is None:
        raise ConfigError(f"no clausius service is running for {data_dir}", hint="start it with `clausius serve`")
    url = info.get("url")
    if not isinstance(url, str):
        raise ConfigError("the running service (`clausius mcp --stdio`) has no web UI", hint="use `clausius serve`")
    if not info.get("token_required"):
        return url
    return f"{url}/login?ticket={mint_ticket(load_or_create_secret(data_dir))}"


def _announce_access(security: SecurityConfig, host: str, port: int) -> None:
    """Say once how to get in: a one-time login link, or a loud note that anyone can."""
    if security.access_token is None:
        log.warning("access token turned off (--no-auth): every user who can reach %s can act as you", _url(host, port))
        return
    print(
        f"Open {_url(_reachable(host), port)}/login?ticket={mint_ticket(security.secret)} to log in "
        "(valid once, for 15 minutes; later: `clausius open`)",
        flush=True,
    )
    if not is_loopback(host):
        names = ", ".join(sorted(security.allowed_hosts))
        log.info("answering to Host names: %s (add others with CLAUSIUS_ALLOWED_HOSTS)", names)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def run_server(
    host: str, port: int | None, token_file: Path | None, mcp_port: int | None = None, *, no_auth: bool = False
) -> None:
    boot = load_bootstrap()
    port = port or boot.port
    mcp_port = boot.mcp_port if mcp_port is None else mcp_port
    if not 1 <= port <= 65535:
        raise ConfigError(f"invalid port {port}")
    if not 0 <= mcp_port <= 65535 or mcp_port == port:
        raise ConfigError(f"invalid MCP port {mcp_port} (0 turns it off; it must differ from the web port)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if no_auth and token_file is not None:
        raise ConfigError("--no-auth and --token-file contradict each other: pick one")
    use_private_umask()
    token = None if no_auth else resolve_token(boot.data_dir, token_file, create=True)
    followed = None if no_auth else token_source(boot.data_dir, token_file)
    security = build_security(boot.data_dir, host, token, followed)
    logging.getLogger("asyncssh").setLevel(logging.WARNING)  # it logs every channel, command line included
    logging.getLogger("mcp").setLevel(logging.WARNING)  # one INFO line per MCP session otherwise
    with DataDirLock(boot.data_dir, "serve", "only one server may use a data directory"):
        sockets = [bind_socket(host, port, "the web UI", "pass --port or set CLAUSIUS_PORT")]
        if mcp_port:
            sockets.append(
                bind_socket(host, mcp_port, "MCP", "pass --mcp-port (0 turns it off) or set CLAUSIUS_MCP_PORT")
            )
        services = Services.open(boot)
        service_file = write_service_file(
            boot.data_dir,
            {
                "pid": os.getpid(),
                "url": _url(_reachable(host), port),
                "mcp_url": _url(_reachable(host), mcp_port or port) + MCP_PATH,
                "token_required": token is not None,
                "token_file": str(followed) if followed else None,
            },
        )
        try:
            app = create_app(services, security, mcp_port=mcp_port or None)
            log.info("clausius serving %s (data: %s)", _url(host, port), boot.data_dir)
            _announce_access(security, host, port)
            if mcp_port:
                log.info(
                    "MCP (Streamable HTTP) at %s%s and %s%s", _url(host, mcp_port), MCP_PATH, _url(host, port), MCP_PATH
                )
            # uvicorn re-raises SIGTERM after a graceful stop; as SystemExit it lets this clean-up run.
            signal.signal(signal.SIGTERM, _exit_on_sigterm)
            config = uvicorn.Config(
                app, host=host, port=port, log_level="warning", access_log=False, server_header=False
            )
            uvicorn.Server(config).run(sockets=sockets)
        finally:
            service_file.unlink(missing_ok=True)
            for sock in sockets:
                sock.close()
            services.close()
