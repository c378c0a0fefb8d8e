"""The access token every server has by default, and one-time login links.

Loopback is shared by every user of a login node, so a server without a token lets any of
them act as you. As Jupyter does for the same threat, a token is generated at first start
into the data directory (owner-only); the CLI, the stdio MCP relay and `clausius open` are
the same user and read it from there. Turning it off is an explicit choice (`--no-auth`).

A login link carries a *ticket*, not the token: `expiry.nonce.mac` signed with the server
secret, accepted once and only until it expires, so a link left in a terminal's scrollback
or a browser's history is worthless after use. Anyone holding the server secret (the same
user) can mint one, which is how `clausius open` logs a browser in without asking the server.

`clausius rotate-token` writes a new token into the file; the server follows the file, so the
old token stops working within a second and every browser session ends with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

from clausius.errors import ConfigError
from clausius.store.datadir import create_private_file

if TYPE_CHECKING:
    from clausius.web.security import SecurityConfig

log = logging.getLogger(__name__)

TOKEN_FILE = "access-token"  # noqa: S105 - a file name, not a secret
MIN_TOKEN_LENGTH = 16
TICKET_TTL_SEC = 15 * 60


def token_path(data_dir: Path) -> Path:
    return data_dir / TOKEN_FILE


def _read_token(path: Path) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"{path}: cannot read the access token: {reason}") from None
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(f"{path}: access token must be at least {MIN_TOKEN_LENGTH} characters")
    return token


def load_or_create_token(data_dir: Path) -> str:
    """The data directory's token, generated (0600) on first use."""
    path = token_path(data_dir)
    if not path.exists():
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        create_private_file(path, (secrets.token_urlsafe(32) + "\n").encode())
    return _read_token(path)


def write_new_token(path: Path) -> None:
    """Replace the token file at once (never a moment with a partial or world-readable file)."""
    fresh = path.with_name(path.name + ".new")
    fresh.unlink(missing_ok=True)
    create_private_file(fresh, (secrets.token_urlsafe(32) + "\n").encode())
    fresh.replace(path)


def token_source(data_dir: Path, token_file: Path | None) -> Path | None:
    """The file the server's token comes from (what it follows), None when it comes from the environment."""
    if token_file is not None:
        return token_file
    if os.environ.get("CLAUSIUS_ACCESS_TOKEN", "").strip():
        return None
    return token_path(data_dir)


def _file_signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


async def follow_token_file(security: SecurityConfig, interval: float = 1.0) -> None:
    """Take up a changed token file while serving: the old token stops working, every session ends.

    A file that disappears or becomes unreadable locks everyone out (fails closed) until it is fixed,
    rather than leaving the old token working.
    """
    path = security.token_file
    if path is None or security.access_token is None:
        return
    last = await asyncio.to_thread(_file_signature, path)
    while True:
        await asyncio.sleep(interval)
        now = await asyncio.to_thread(_file_signature, path)
        if now == last:
            continue
        last = now
        try:
            token = await asyncio.to_thread(_read_token, path)
        except ConfigError as exc:
            log.error("%s: every request is refused until the token file is fixed", exc.message)
            token = secrets.token_urlsafe(32)  # nobody knows it
        if token == security.access_token:
            continue
        security.access_token = token
        ended = await security.sessions.revoke_all()
        log.warning("the access token changed: the old one no longer works; %d browser session(s) ended", ended)


def resolve_token(data_dir: Path, token_file: Path | None, *, create: bool) -> str | None:
    """--token-file, else CLAUSIUS_ACCESS_TOKEN, else the data directory's token file.

    `create` is for the server (first start makes the token); clients only read it and get
    None when there is none, which is what a server started with --no-auth leaves behind.
    """
    if token_file is not None:
        return _read_token(token_file)
    env = os.environ.get("CLAUSIUS_ACCESS_TOKEN", "").strip()
    if env:
        if len(env) < MIN_TOKEN_LENGTH:
            raise ConfigError(f"CLAUSIUS_ACCESS_TOKEN: access token must be at least {MIN_TOKEN_LENGTH} characters")
        return env
    if create:
        return load_or_create_token(data_dir)
    path = token_path(data_dir)
    return _read_token(path) if path.exists() else None


def _ticket_mac(secret: bytes, body: str) -> str:
    return hmac.new(secret, b"login-ticket-v1:" + body.encode(), hashlib.sha256).hexdigest()


def mint_ticket(secret: bytes, ttl_sec: float = TICKET_TTL_SEC) -> str:
    body = f"{int(time.time() + ttl_sec)}.{secrets.token_urlsafe(16)}"
    return f"{body}.{_ticket_mac(secret, body)}"


class TicketBook:
    """Checks tickets and remembers the used ones until they would have expired anyway."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._used: dict[str, float] = {}

    def redeem(self, ticket: str) -> bool:
        parts = ticket.split(".")
        if len(parts) != 3 or not parts[0].isdigit():
            return False
        body = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(_ticket_mac(self._secret, body).encode(), parts[2].encode("utf-8", "replace")):
            return False
        now = time.time()
        expires = float(parts[0])
        self._used = {n: e for n, e in self._used.items() if e > now}
        if expires <= now or parts[1] in self._used:
            return False
        self._used[parts[1]] = expires
        return True
