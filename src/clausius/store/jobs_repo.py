"""SQL for job history, runs and per-cluster sync state."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields

from clausius.core.job_record import JobRow

COLUMNS = tuple(f.name for f in fields(JobRow))
# Observations overwrite these; everything else keeps what is known when the new value is NULL.
_ALWAYS = {"state", "last_seen", "missing_since", "pinned", "finalised_at"}


def _to_db(row: JobRow) -> dict[str, object]:
    data = asdict(row)
    data["dependencies"] = json.dumps([list(d) for d in row.dependencies])
    data["pinned"] = int(row.pinned)
    return data


def row_from_db(r: sqlite3.Row) -> JobRow:
    data = {key: r[key] for key in COLUMNS}
    data["dependencies"] = [tuple(d) for d in json.loads(r["dependencies"] or "[]")]
    data["pinned"] = bool(r["pinned"])
    return JobRow(**data)


def upsert(conn: sqlite3.Connection, rows: Iterable[JobRow]) -> None:
    """Insert new jobs; for known ones overwrite state and keep known values where the new one is NULL."""
    cols = ", ".join(COLUMNS)
    marks = ", ".join(f":{c}" for c in COLUMNS)
    updates = ", ".join(
        f"{c} = excluded.{c}" if c in _ALWAYS else f"{c} = COALESCE(excluded.{c}, jobs.{c})"
        for c in COLUMNS
        if c not in ("cluster", "job_id", "first_seen")
    )
    conn.executemany(
        f"INSERT INTO jobs ({cols}) VALUES ({marks}) ON CONFLICT (cluster, job_id) DO UPDATE SET {updates}",  # noqa: S608 - column names are constants
        [_to_db(row) for row in rows],
    )


def set_paths(conn: sqlite3.Connection, cluster: str, paths: dict[str, tuple[str, str, str]]) -> None:
    """Log locations reported by scontrol (StdOut, StdErr, WorkDir)."""
    conn.executemany(
        "UPDATE jobs SET std_out = ?, std_err = ?, work_dir = ? WHERE cluster = ? AND job_id = ?",
        [(out or None, err or None, work or None, cluster, job_id) for job_id, (out, err, work) in paths.items()],
    )


def get(conn: sqlite3.Connection, cluster: str, job_id: str) -> JobRow | None:
    r = conn.execute("SELECT * FROM jobs WHERE cluster = ? AND job_id = ?", (cluster, job_id)).fetchone()
    return None if r is None else row_from_db(r)


def get_many(conn: sqlite3.Connection, cluster: str, job_ids: Sequence[str]) -> dict[str, JobRow]:
    found: dict[str, JobRow] = {}
    for start in range(0, len(job_ids), 500):
        chunk = list(job_ids[start : start + 500])
        marks = ", ".join("?" for _ in chunk)
        query = f"SELECT * FROM jobs WHERE cluster = ? AND job_id IN ({marks})"  # noqa: S608 - placeholders only
        for r in conn.execute(query, (cluster, *chunk)):
            found[r["job_id"]] = row_from_db(r)
    return found


def active(conn: sqlite3.Connection, cluster: str, active_states: Sequence[str]) -> dict[str, JobRow]:
    """Jobs last seen in an active state (or gone without an accounting record yet)."""
    marks = ", ".join("?" for _ in active_states)
    query = f"SELECT * FROM jobs WHERE cluster = ? AND (state IN ({marks}) OR missing_since IS NOT NULL)"  # noqa: S608
    return {r["job_id"]: row_from_db(r) for r in conn.execute(query, (cluster, *active_states))}


def pinned(conn: sqlite3.Connection, cluster: str) -> list[JobRow]:
    return [row_from_db(r) for r in conn.execute("SELECT * FROM jobs WHERE cluster = ? AND pinned = 1", (cluster,))]


def unpin(
    conn: sqlite3.Connection, cluster: str, job_ids: Sequence[str] | None = None, states: Sequence[str] | None = None
) -> int:
    """Dismiss pinned jobs: given ids, or all pinned jobs in the given states."""
    if job_ids is not None:
        marks = ", ".join("?" for _ in job_ids) or "NULL"
        query = f"UPDATE jobs SET pinned = 0 WHERE cluster = ? AND pinned = 1 AND job_id IN ({marks})"  # noqa: S608
        return conn.execute(query, (cluster, *job_ids)).rowcount
    assert states is not None
    marks = ", ".join("?" for _ in states) or "NULL"
    query = f"UPDATE jobs SET pinned = 0 WHERE cluster = ? AND pinned = 1 AND state IN ({marks})"  # noqa: S608
    return conn.execute(query, (cluster, *states)).rowcount


def count(conn: sqlite3.Connection, cluster: str | None = None) -> int:
    if cluster is None:
        return int(conn.execute("SELECT count(*) FROM jobs").fetchone()[0])
    return int(conn.execute("SELECT count(*) FROM jobs WHERE cluster = ?", (cluster,)).fetchone()[0])


# -- sync state ---------------------------------------------------------------------------------------


@dataclass
class SyncState:
    cluster: str
    last_clock: float | None = None
    utc_offset: int | None = None
    last_success_at: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None


def get_sync(conn: sqlite3.Connection, cluster: str) -> SyncState:
    r = conn.execute("SELECT * FROM cluster_sync WHERE cluster = ?", (cluster,)).fetchone()
    if r is None:
        return SyncState(cluster=cluster)
    return SyncState(**{f.name: r[f.name] for f in fields(SyncState)})


def put_sync(conn: sqlite3.Connection, state: SyncState) -> None:
    data = asdict(state)
    conn.execute(
        "INSERT INTO cluster_sync (cluster, last_clock, utc_offset, last_success_at, last_error, last_error_at) "
        "VALUES (:cluster, :last_clock, :utc_offset, :last_success_at, :last_error, :last_error_at) "
        "ON CONFLICT (cluster) DO UPDATE SET last_clock = excluded.last_clock, utc_offset = excluded.utc_offset, "
        "last_success_at = excluded.last_success_at, last_error = excluded.last_error, "
        "last_error_at = excluded.last_error_at",
        data,
    )


def record_runs(
    conn: sqlite3.Connection,
    cluster: str,
    runs: Sequence[tuple[str, str, str | None, str | None, str]],
    members: dict[str, str],
    now: float,
) -> None:
    """Persist run grouping: `runs` rows (run_id, label, project, campaign, root) and each job's run_id.

    A job keeps the run it was first grouped into, so finished jobs keep their structure.
    """
    conn.executemany(
        "INSERT INTO runs (run_id, cluster, label, project, campaign, root_job_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET updated_at = excluded.updated_at",
        [
            (run_id, cluster, label, project, campaign, root, now, now)
            for run_id, label, project, campaign, root in runs
        ],
    )
    conn.executemany(
        "UPDATE jobs SET run_id = ? WHERE cluster = ? AND job_id = ? AND run_id IS NULL",
        [(run_id, cluster, job_id) for job_id, run_id in members.items()],
    )


def by_run(conn: sqlite3.Connection, run_id: str) -> list[JobRow]:
    """Every recorded job of one run, oldest submission first."""
    rows = conn.execute(
        "SELECT * FROM jobs WHERE run_id = ? ORDER BY COALESCE(submit_time, first_seen), job_id", (run_id,)
    ).fetchall()
    return [row_from_db(r) for r in rows]


def run_label(conn: sqlite3.Connection, run_id: str) -> str | None:
    row = conn.execute("SELECT label FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    return None if row is None else str(row[0])


def recent_failures_off_board(conn: sqlite3.Connection, since: float, states: Sequence[str]) -> list[tuple[str, int]]:
    """Per cluster: jobs in `states` that ended after `since` and are not on the board (history only)."""
    marks = ",".join("?" * len(states))
    rows = conn.execute(
        f"SELECT cluster, count(*) FROM jobs WHERE pinned = 0 AND end_time >= ? AND state IN ({marks}) "  # noqa: S608 - placeholders only
        "GROUP BY cluster ORDER BY cluster",
        (since, *states),
    ).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]
