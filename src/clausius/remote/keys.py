"""Client keys loaded by us, so every way a key can be unusable is the cluster's error.

asyncssh raises `KeyImportError` (a ValueError) for a passphrase-protected key, a public key
or any other file; left to escape it became a 500 on every per-cluster route. Here each case
gets one message that says what to do.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import asyncssh

from clausius.remote.errors import Unreachable


class KeyLoadError(Unreachable):
    """The configured private key cannot be used; nothing was sent to the cluster."""


def key_problem(path: Path) -> str | None:
    """Why `path` cannot be used as a private key, or None. A passphrase-protected key is fine when an
    ssh-agent is running (the agent holds it unlocked)."""
    return _load(path)[1]


def _load(path: Path) -> tuple[asyncssh.SSHKey | None, str | None]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, "no such file"
    except PermissionError:
        return None, "permission denied"
    except IsADirectoryError:
        return None, "it is a directory"
    except OSError as exc:
        return None, exc.strerror or "cannot be read"
    try:
        return asyncssh.import_private_key(data), None
    except asyncssh.KeyImportError as exc:
        text = str(exc).lower()
        if "passphrase" in text:
            if os.environ.get("SSH_AUTH_SOCK"):
                return None, None  # the agent offers it; we just do not load the file ourselves
            return None, "passphrase-protected (add it to ssh-agent)"
        if _looks_public(data):
            return None, "it is a public key (give the private key, usually the same name without .pub)"
        return None, "not a private key file"


def _looks_public(data: bytes) -> bool:
    try:
        asyncssh.import_public_key(data)
    except (asyncssh.KeyImportError, ValueError):
        return data.lstrip().startswith((b"ssh-", b"ecdsa-", b"sk-"))
    return True


def load_client_keys(paths: Sequence[Path], *, explicit: bool) -> list[asyncssh.SSHKey] | None:
    """Keys to offer (None: let asyncssh use the agent and its defaults). Blocking: call off the loop.

    `explicit` is the cluster's own key: any problem is an error. Keys from ~/.ssh/config that do
    not exist are skipped, as OpenSSH does.
    """
    keys: list[asyncssh.SSHKey] = []
    for path in paths:
        key, problem = _load(path)
        if problem == "no such file" and not explicit:
            continue
        if problem is not None:
            # Key paths are never shown by any interface: say which key by its role, not its path.
            which = "the cluster's SSH key (--key)" if explicit else "an IdentityFile key from ~/.ssh/config"
            raise KeyLoadError(
                f"{which} cannot be loaded: {problem}",
                hint="fix the file or point the cluster at another key (update-cluster --key)",
            )
        if key is not None:
            keys.append(key)
    return keys or None
