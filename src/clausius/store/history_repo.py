"""SQL for browsing and pruning job history (the `jobs` and `runs` tables).

Pure functions over a connection, like `jobs_repo`. Filters are always bound as
parameters; the only text put into a statement is built here from constants
and `?` placeholders.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from clausius.core.job_record import JobRow
from clausius.store import jobs_repo

# The time a job last did something: what "newest first" means for history. A pending
# job's start_time is Slurm's estimate (often hours ahead), so it does not count.
SORT_TIME = "COALESCE(end_time, CASE WHEN state <> 'PENDING' THEN start_time END, submit_time, first_seen)"
# Cleanup age: when a finished job ended, or when it was last seen if its end is unknown.
END_OR_LAST_SEEN = "COALESCE(end_time, last_seen)"
LIKE_ESCAPE = "\\"
# Leading numeric part first, so 10 sorts above 9 (plain text order would not), then the text for 13_1 vs 13_2.
_ORDER = f"ORDER BY {SORT_TIME} DESC, CAST(job_id AS INTEGER) DESC, job_id DESC, cluster"


@dataclass(frozen=True, slots=True)
class JobFilter:
    """Conditions on `jobs`, all optional; `states` empty means any state."""

    cluster: str | None = None
    project: str | None = None
    campaign: str | None = None
    states: tuple[str, ...] = ()
    partition: str | None = None
    account: str | None = None
    search: str | None = None
    since: float | None = None  # submitted or ended at or after this epoch time


def escape_like(text: str) -> str:
    """Make `%`, `_` and the escape character itself match literally in a LIKE pattern."""
    return text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


def _where(f: JobFilter) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    for column, value in (
        ("cluster", f.cluster),
        ("project", f.project),
        ("campaign", f.campaign),
        ("partition", f.partition),
        ("account", f.account),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if f.states:
        clauses.append(f"state IN ({_marks(f.states)})")
        params.extend(f.states)
    if f.search is not None:
        # SQLite's LIKE ignores case for ASCII letters, which is what job names use.
        clauses.append(f"(name LIKE ? ESCAPE '{LIKE_ESCAPE}' OR job_id = ?)")
        params.extend((f"%{escape_like(f.search)}%", f.search))
    if f.since is not None:
        # Without a submit time (rare sacct-only rows) the first sighting stands in for it.
        clauses.append("(COALESCE(submit_time, first_seen) >= ? OR end_time >= ?)")
        params.extend((f.since, f.since))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def count_jobs(conn: sqlite3.Connection, f: JobFilter) -> int:
    where, params = _where(f)
    return int(conn.execute(f"SELECT count(*) FROM jobs{where}", params).fetchone()[0])  # noqa: S608 - placeholders only


def list_jobs(conn: sqlite3.Connection, f: JobFilter, limit: int, offset: int) -> list[JobRow]:
    """One page of matching jobs, newest activity first."""
    where, params = _where(f)
    query = f"SELECT * FROM jobs{where} {_ORDER} LIMIT ? OFFSET ?"  # noqa: S608 - placeholders only
    return [jobs_repo.row_from_db(r) for r in conn.execute(query, (*params, limit, offset))]


# -- names that filters may use ------------------------------------------------------------------------


def cluster_known(conn: sqlite3.Connection, name: str) -> bool:
    """Configured now, or present in history (history outlives a removed cluster)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM clusters WHERE name = ?) OR EXISTS (SELECT 1 FROM jobs WHERE cluster = ?)",
        (name, name),
    ).fetchone()
    return bool(row[0])


def known_clusters(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM clusters UNION SELECT DISTINCT cluster FROM jobs ORDER BY 1")
    return [r[0] for r in rows]


def project_known(conn: sqlite3.Connection, name: str) -> bool:
    """Configured now, or present in history (jobs keep the project of a removed project)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM projects WHERE name = ?) OR EXISTS (SELECT 1 FROM jobs WHERE project = ?)",
        (name, name),
    ).fetchone()
    return bool(row[0])


def known_projects(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM projects UNION SELECT DISTINCT project FROM jobs WHERE project IS NOT NULL ORDER BY 1"
    )
    return [r[0] for r in rows]


# -- project summaries -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateCount:
    project: str
    state: str
    jobs: int
    last_submit: float | None


def project_state_counts(conn: sqlite3.Connection) -> list[StateCount]:
    """Jobs per (project, state), with the latest submit time of each group."""
    rows = conn.execute(
        "SELECT project, state, count(*) AS jobs, max(submit_time) AS last_submit FROM jobs "
        "WHERE project IS NOT NULL GROUP BY project, state"
    )
    return [StateCount(r["project"], r["state"], int(r["jobs"]), r["last_submit"]) for r in rows]


# -- cleanup -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CleanupFilter:
    """Finished (`states`), unpinned jobs that ended before `cutoff`, optionally on one cluster."""

    cutoff: float
    states: tuple[str, ...]
    cluster: str | None = None


@dataclass(frozen=True, slots=True)
class CleanupMatch:
    jobs: int
    oldest_end: float | None
    newest_end: float | None


def _cleanup_where(f: CleanupFilter) -> tuple[str, list[object]]:
    # pinned jobs are on the live board until dismissed: never removed from under it
    where = f" WHERE pinned = 0 AND state IN ({_marks(f.states)}) AND {END_OR_LAST_SEEN} < ?"
    params: list[object] = [*f.states, f.cutoff]
    if f.cluster is not None:
        where += " AND cluster = ?"
        params.append(f.cluster)
    return where, params


def cleanup_match(conn: sqlite3.Connection, f: CleanupFilter) -> CleanupMatch:
    where, params = _cleanup_where(f)
    query = f"SELECT count(*), min({END_OR_LAST_SEEN}), max({END_OR_LAST_SEEN}) FROM jobs{where}"  # noqa: S608
    total, oldest, newest = conn.execute(query, params).fetchone()
    return CleanupMatch(int(total), oldest, newest)


def delete_old_jobs(conn: sqlite3.Connection, f: CleanupFilter) -> tuple[int, int]:
    """Delete the matching jobs, then the runs that just lost their last job; returns (jobs, runs) deleted.

    Only runs emptied by this deletion go: a run row without jobs for another reason (grouping
    in progress elsewhere) is not this function's business, and runs may carry notes and stars.
    """
    where, params = _cleanup_where(f)
    run_ids = [
        r[0]
        for r in conn.execute(f"SELECT DISTINCT run_id FROM jobs{where} AND run_id IS NOT NULL", params)  # noqa: S608
    ]
    jobs_deleted = conn.execute(f"DELETE FROM jobs{where}", params).rowcount  # noqa: S608 - placeholders only
    runs_deleted = 0
    for run_id in run_ids:
        runs_deleted += conn.execute(
            "DELETE FROM runs WHERE run_id = ? AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.run_id = runs.run_id)",
            (run_id,),
        ).rowcount
    return jobs_deleted, runs_deleted
