"""Ordered schema migrations tracked with `PRAGMA user_version`.

Each file `migrations/NNNN_name.sql` moves the schema from version NNNN-1 to
NNNN. A database from an older version is upgraded in order, each step in its
own transaction; one written by a newer clausius is refused untouched.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from clausius.errors import StoreError

_NAME_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    folder = resources.files("clausius.store") / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME_RE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(f"migration numbering has a gap at {migration.name}")
    return found


MIGRATIONS = load_migrations()
LATEST_VERSION = MIGRATIONS[-1].version


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def refuse_if_newer(path: Path) -> None:
    """Check the version of an existing file without changing a byte of it."""
    if not path.exists() or path.stat().st_size == 0:
        return
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        version = current_version(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: unreadable database: {exc}") from exc
    finally:
        conn.close()
    if version > LATEST_VERSION:
        raise StoreError(_too_new(str(path), version))


def _too_new(db_label: str, version: int) -> str:
    return (
        f"{db_label} was written by a newer clausius (schema version {version}; this version knows "
        f"up to {LATEST_VERSION}). Upgrade clausius, or point CLAUSIUS_DATA_DIR at another directory."
    )


def migrate(conn: sqlite3.Connection, *, db_label: str, target: int = LATEST_VERSION) -> int:
    """Bring the schema to `target`; returns the version it started from."""
    start = current_version(conn)
    if start > LATEST_VERSION:
        raise StoreError(_too_new(db_label, start))
    for migration in MIGRATIONS:
        if start < migration.version <= target:
            # executescript commits any open transaction first, so wrap the step ourselves.
            script = f"BEGIN IMMEDIATE;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
            try:
                conn.executescript(script)
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.rollback()
                raise StoreError(f"{db_label}: migration {migration.name} failed: {exc}") from exc
    return start
