"""The database handle shared by every service.

One writer: all writes go through a single thread that owns the only write
connection, so there is no lock contention inside the process and no
"database is locked" surprises. Reads run on worker threads with their own
read-only connections (WAL lets them proceed during a write), so nothing here
ever blocks the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from clausius.errors import StoreError
from clausius.store.datadir import DIR_MODE, precreate_private
from clausius.store.migrations import LATEST_VERSION, migrate, refuse_if_newer

T = TypeVar("T")
log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
_STOP = object()


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the pragmas every connection must have."""
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}?mode=rwc"
    try:
        conn = sqlite3.connect(
            uri, uri=True, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open database: {exc}") from exc
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # Deleted or replaced content is zeroed where that costs no extra I/O, so a replaced secret
        # does not linger in a page's free space.
        conn.execute("PRAGMA secure_delete = FAST")
    return conn


def _check_is_sqlite(path: Path) -> None:
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise StoreError(f"{path}: not a clausius database (not SQLite)")


class Database:
    """Owns the writer thread and hands out read connections per worker thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._queue: queue.Queue[Any] = queue.Queue()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._writer: threading.Thread | None = None
        self._closed = False

    @classmethod
    def open(cls, path: Path) -> Database:
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        _check_is_sqlite(path)
        precreate_private(path)  # SQLite gives its -wal and -shm files the database file's mode
        refuse_if_newer(path)
        conn = connect(path)
        try:
            try:
                migrate(conn, db_label=str(path))
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{path}: unreadable database: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        db = cls(path)
        db._start_writer(conn)
        return db

    # -- writer -----------------------------------------------------------------------------------

    def _start_writer(self, conn: sqlite3.Connection) -> None:
        self._writer = threading.Thread(target=self._write_loop, args=(conn,), name="clausius-db-writer", daemon=True)
        self._writer.start()

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    return
                fn, future, transaction = item
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    if not transaction:
                        future.set_result(fn(conn))
                        continue
                    conn.execute("BEGIN IMMEDIATE")
                    result = fn(conn)
                    conn.execute("COMMIT")
                except BaseException as exc:  # noqa: BLE001 - handed to the caller; the writer keeps going
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    future.set_exception(exc)
                else:
                    future.set_result(result)
        finally:
            conn.close()

    def submit_write(self, fn: Callable[[sqlite3.Connection], T], *, transaction: bool = True) -> Future[T]:
        if self._closed:
            raise StoreError("database is closed")
        future: Future[T] = Future()
        self._queue.put((fn, future, transaction))
        return future

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` in one transaction on the writer thread."""
        return await asyncio.wrap_future(self.submit_write(fn))

    def write_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return self.submit_write(fn).result()

    def flush_wal_sync(self) -> bool:
        """Copy the WAL into the database file and empty it (after replacing a secret, so its old
        bytes do not stay in the WAL). False when a reader kept it from finishing; it is retried at
        the next automatic checkpoint."""

        def checkpoint(conn: sqlite3.Connection) -> bool:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            return not busy

        return self.submit_write(checkpoint, transaction=False).result()

    # -- readers ----------------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, readonly=True)
            conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def read_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise StoreError("database is closed")
        conn = self._reader()
        # One snapshot per read: several SELECTs in `fn` see the same state.
        conn.execute("BEGIN")
        try:
            return fn(conn)
        finally:
            conn.execute("COMMIT")

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self.read_sync, fn)

    # -- lifecycle --------------------------------------------------------------------------------

    def schema_version(self) -> int:
        return self.read_sync(lambda c: int(c.execute("PRAGMA user_version").fetchone()[0]))

    @property
    def latest_version(self) -> int:
        return LATEST_VERSION

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        if self._writer is not None:
            self._writer.join(timeout=10)
        with self._readers_lock:
            for conn in self._readers:
                try:
                    conn.close()
                except sqlite3.ProgrammingError:
                    log.debug("reader connection already closed")
            self._readers.clear()
