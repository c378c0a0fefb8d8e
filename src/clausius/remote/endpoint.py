"""Resolving where and as whom to connect: cluster record, ~/.ssh/config, bootstrap defaults.

Precedence for each value: what the cluster record says explicitly, then the
user's OpenSSH client config for that host (Host aliases, HostName, Port, User,
IdentityFile, ProxyJump), then clausius's bootstrap defaults, then SSH's own.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from asyncssh.config import SSHClientConfig


@dataclass(frozen=True)
class SshEndpoint:
    """Everything needed to open one SSH connection."""

    cluster: str
    host: str  # as configured: a host name, an address or an ~/.ssh/config alias
    port: int | None = None
    user: str | None = None
    key: Path | None = None
    config_files: Sequence[Path] = ()
    known_hosts: Path | None = None
    default_user: str | None = None
    default_key: Path | None = None
    extra_trusted: Sequence[str] = field(default_factory=tuple)  # known_hosts lines trusted per cluster


@dataclass(frozen=True)
class ResolvedEndpoint:
    host: str  # what is dialled (HostName from the config, or the host itself)
    port: int
    user: str
    keys: tuple[Path, ...]
    proxy_jump: str | None
    config_files: tuple[Path, ...]
    known_hosts: tuple[Path, ...]  # clausius's known_hosts plus the config's UserKnownHostsFile


def _from_config(files: Sequence[Path], host: str) -> dict[str, object]:
    existing = [str(f) for f in files if f.is_file()]
    if not existing:
        return {}
    local_user = getpass.getuser()
    config = SSHClientConfig.load(None, existing, False, False, False, local_user, (), host, ())
    keys = ("Hostname", "Port", "User", "IdentityFile", "ProxyJump", "UserKnownHostsFile")
    return {key: config.get(key) for key in keys}


def resolve(endpoint: SshEndpoint) -> ResolvedEndpoint:
    """Blocking (reads files): call it off the event loop."""
    cfg = _from_config(endpoint.config_files, endpoint.host)
    host = str(cfg.get("Hostname") or endpoint.host)
    port = endpoint.port or _as_int(cfg.get("Port")) or 22
    user = endpoint.user or _as_str(cfg.get("User")) or endpoint.default_user or getpass.getuser()
    keys: tuple[Path, ...] = ()
    if endpoint.key is not None:
        keys = (endpoint.key.expanduser(),)
    elif cfg.get("IdentityFile"):
        raw = cfg["IdentityFile"]
        entries = raw if isinstance(raw, list | tuple) else [raw]
        keys = tuple(Path(str(k)).expanduser() for k in entries)
    elif endpoint.default_key is not None and endpoint.default_key.expanduser().is_file():
        keys = (endpoint.default_key.expanduser(),)
    jump = cfg.get("ProxyJump")
    known = [endpoint.known_hosts] if endpoint.known_hosts else []
    raw_known = cfg.get("UserKnownHostsFile")
    for entry in raw_known if isinstance(raw_known, list | tuple) else [raw_known] if raw_known else []:
        known.append(Path(str(entry)).expanduser())
    return ResolvedEndpoint(
        host=host,
        port=port,
        user=user,
        keys=keys,
        proxy_jump=str(jump) if jump and str(jump).lower() != "none" else None,
        config_files=tuple(f for f in endpoint.config_files if f.is_file()),
        known_hosts=tuple(dict.fromkeys(known)),
    )


def _as_int(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _as_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
