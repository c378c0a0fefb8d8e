"""Schema versions: empty database, upgrade from an older one, refusal of a newer one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from clausius.errors import StoreError
from clausius.store.database import Database, connect
from clausius.store.migrations import LATEST_VERSION, MIGRATIONS, migrate


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def test_migrations_are_numbered_without_gaps() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))
    assert LATEST_VERSION >= 2


def test_empty_database_gets_every_table(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "history.db")
    try:
        assert db.schema_version() == LATEST_VERSION
        mode = db.read_sync(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0])
        assert mode == "wal"
    finally:
        db.close()
    expected = {
        "clusters",
        "team_members",
        "accounts",
        "path_bases",
        "process_filters",
        "app_settings",
        "projects",
        "audit_log",
    }
    assert expected <= _tables(tmp_path / "history.db")


def test_old_version_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    conn = connect(path)
    migrate(conn, db_label="test", target=1)
    conn.execute("INSERT INTO clusters (name, host, created_at, updated_at) VALUES ('eos', 'eos-login', 1, 1)")
    conn.close()
    assert _version(path) == 1
    assert "audit_log" not in _tables(path)

    db = Database.open(path)
    try:
        assert db.schema_version() == LATEST_VERSION
        assert db.read_sync(lambda c: c.execute("SELECT host FROM clusters").fetchone()[0]) == "eos-login"
    finally:
        db.close()
    assert "audit_log" in _tables(path)


def test_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE future (x)")
        conn.execute("PRAGMA user_version = 999")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer clausius") as info:
        Database.open(path)
    assert "999" in str(info.value)
    assert path.read_bytes() == before


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    path.write_text("hello, I am not a database")
    with pytest.raises(StoreError, match="not SQLite"):
        Database.open(path)
    assert path.read_text() == "hello, I am not a database"


def test_foreign_keys_and_busy_timeout_are_on(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "history.db")
    try:
        assert db.read_sync(lambda c: c.execute("PRAGMA foreign_keys").fetchone()[0]) == 1
        assert db.read_sync(lambda c: c.execute("PRAGMA busy_timeout").fetchone()[0]) >= 5000
        assert db.write_sync(lambda c: c.execute("PRAGMA foreign_keys").fetchone()[0]) == 1
    finally:
        db.close()


def test_a_failing_write_rolls_back_and_the_writer_keeps_going(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "history.db")
    try:

        def bad(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO team_members (username, created_at) VALUES ('x', 1)")
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            db.write_sync(bad)
        assert db.read_sync(lambda c: c.execute("SELECT count(*) FROM team_members").fetchone()[0]) == 0
        db.write_sync(lambda c: c.execute("INSERT INTO team_members (username, created_at) VALUES ('y', 1)"))
        assert db.read_sync(lambda c: c.execute("SELECT username FROM team_members").fetchone()[0]) == "y"
    finally:
        db.close()
