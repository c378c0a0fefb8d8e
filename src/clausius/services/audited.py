"""Writes that record themselves in the audit log, in the same transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from clausius.services.interface import current_interface
from clausius.store import config_repo
from clausius.store.database import Database


async def delete_audited(db: Database, delete: Callable[[sqlite3.Connection], int], action: str, target: str) -> bool:
    """Run one delete on the writer and audit it if it matched; returns whether anything was deleted."""
    interface = current_interface.get()

    def write(conn: sqlite3.Connection) -> int:
        count = delete(conn)
        if count:
            config_repo.audit(conn, interface, action, target)
        return count

    return bool(await db.write(write))
