"""Host key verification: the user's known_hosts plus keys trusted explicitly per cluster.

An unknown key is never accepted silently. It is reported with its SHA256
fingerprint so the user can compare it out of band and trust it explicitly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncssh


@dataclass(frozen=True)
class PresentedKey:
    algorithm: str
    fingerprint: str  # SHA256:...
    openssh: str  # "<algorithm> <base64>", for storing as a trusted key


def known_hosts_for(paths: Sequence[Path], extra_lines: Sequence[str]) -> asyncssh.SSHKnownHosts:
    """Blocking: reads the known_hosts files. An absent file just means no entries."""
    text = ""
    for path in paths:
        if path.is_file():
            text += path.read_text(encoding="utf-8", errors="replace") + "\n"
    text += "\n" + "\n".join(extra_lines) + "\n"
    return asyncssh.import_known_hosts(text)


def has_entry(known: asyncssh.SSHKnownHosts, host: str, port: int) -> bool:
    """Whether any key (or CA) is listed for host:port, i.e. a failure means a *changed* key."""
    keys, ca_keys, *_ = known.match(host, host, None if port == 22 else port)
    return bool(keys) or bool(ca_keys)


async def fetch_presented_key(host: str, port: int, timeout: float) -> PresentedKey | None:
    """Ask the server for its host key (a handshake only: no authentication, nothing sent)."""
    try:
        async with asyncio.timeout(timeout):
            key = await asyncssh.get_server_host_key(host, port)
    except (OSError, asyncssh.Error, TimeoutError):
        return None
    if key is None:
        return None
    return PresentedKey(
        algorithm=key.get_algorithm(),
        fingerprint=key.get_fingerprint("sha256"),
        openssh=key.export_public_key("openssh").decode().strip(),
    )


def known_hosts_line(host: str, port: int, openssh_key: str) -> str:
    pattern = host if port == 22 else f"[{host}]:{port}"
    return f"{pattern} {openssh_key}"
