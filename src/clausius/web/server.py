"""`clausius serve`: start-up checks, the data-directory lock, uvicorn."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import uvicorn

from clausius.bootstrap import load_bootstrap
from clausius.errors import ConfigError
from clausius.services.app import Services
from clausius.store.lock import DataDirLock
from clausius.web.app import create_app
from clausius.web.security import SecurityConfig, allowed_hosts_for, is_loopback, load_or_create_secret

log = logging.getLogger("clausius")
MIN_TOKEN_LENGTH = 16


def read_access_token(token_file: Path | None) -> str | None:
    """The access token from --token-file or CLAUSIUS_ACCESS_TOKEN (file wins)."""
    token: str | None = None
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{token_file}: cannot read token file: {exc.strerror}") from None
    elif os.environ.get("CLAUSIUS_ACCESS_TOKEN"):
        token = os.environ["CLAUSIUS_ACCESS_TOKEN"].strip()
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(f"access token must be at least {MIN_TOKEN_LENGTH} characters")
    return token


def build_security(data_dir: Path, host: str, token: str | None) -> SecurityConfig:
    if not is_loopback(host) and token is None:
        raise ConfigError(
            f"refusing to listen on {host} without an access token: anyone who can reach it could act as you "
            "on every cluster. Set CLAUSIUS_ACCESS_TOKEN or pass --token-file (or bind 127.0.0.1)."
        )
    extra = [h for h in os.environ.get("CLAUSIUS_ALLOWED_HOSTS", "").split(",") if h]
    return SecurityConfig(
        secret=load_or_create_secret(data_dir), allowed_hosts=allowed_hosts_for(host, extra), access_token=token
    )


def run_server(host: str, port: int | None, token_file: Path | None) -> None:
    boot = load_bootstrap()
    port = port or boot.port
    if not 1 <= port <= 65535:
        raise ConfigError(f"invalid port {port}")
    token = read_access_token(token_file)
    security = build_security(boot.data_dir, host, token)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("asyncssh").setLevel(logging.WARNING)  # it logs every channel, command line included
    with DataDirLock(boot.data_dir, "serve", "only one server may use a data directory"):
        services = Services.open(boot)
        try:
            app = create_app(services, security)
            log.info(
                "clausius serving http://%s:%d (data: %s)",
                host if ":" not in host else f"[{host}]",
                port,
                boot.data_dir,
            )
            uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, server_header=False)
        finally:
            services.close()
