"""Server-side browser sessions: an id, an expiry, and revocation that takes effect at once.

The request guard checks sessions on every request, so the store answers from memory (no I/O
on the event loop); the database is the durable copy that survives restarts. Only this
process creates or revokes sessions, so the memory view is always current.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time

from clausius.store.database import Database

SESSION_TTL_SEC = 14 * 24 * 3600


def _hash(session_id: bytes) -> str:
    return hashlib.sha256(session_id).hexdigest()


class SessionStore:
    def __init__(self, db: Database | None = None, ttl_sec: float = SESSION_TTL_SEC) -> None:
        self._db = db
        self.ttl_sec = ttl_sec
        self._expires: dict[str, float] = {}

    def attach(self, db: Database) -> None:
        """Load the sessions that outlived a restart (called once before serving)."""
        self._db = db
        now = time.time()
        rows = db.read_sync(
            lambda c: c.execute("SELECT id_hash, expires_at FROM web_sessions WHERE expires_at > ?", (now,)).fetchall()
        )
        self._expires = {str(h): float(e) for h, e in rows}

    def is_valid(self, cookie_value: str) -> bool:
        """A malformed value (non-ASCII, empty) is simply not a session."""
        try:
            raw = cookie_value.encode("ascii")
        except UnicodeEncodeError:
            return False
        if not raw:
            return False
        expires = self._expires.get(_hash(raw))
        return expires is not None and expires > time.time()

    async def create(self) -> str:
        session_id = secrets.token_urlsafe(32)
        now = time.time()
        id_hash = _hash(session_id.encode("ascii"))
        self._expires[id_hash] = now + self.ttl_sec

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (now,))
            conn.execute(
                "INSERT INTO web_sessions (id_hash, created_at, expires_at) VALUES (?, ?, ?)",
                (id_hash, now, now + self.ttl_sec),
            )

        if self._db is not None:
            await self._db.write(insert)
        return session_id

    async def revoke(self, cookie_value: str) -> None:
        try:
            id_hash = _hash(cookie_value.encode("ascii"))
        except UnicodeEncodeError:
            return
        self._expires.pop(id_hash, None)
        if self._db is not None:
            await self._db.write(lambda c: c.execute("DELETE FROM web_sessions WHERE id_hash = ?", (id_hash,)))

    async def revoke_all_stored(self) -> int:
        """End every stored session (from another process: the CLI, with or without a running server)."""
        assert self._db is not None
        cursor = await self._db.write(lambda c: c.execute("DELETE FROM web_sessions"))
        return int(cursor.rowcount)

    async def revoke_all(self) -> int:
        count = len(self._expires)
        self._expires.clear()
        if self._db is not None:
            await self._db.write(lambda c: c.execute("DELETE FROM web_sessions"))
        return count
