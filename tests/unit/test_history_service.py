"""HistoryService over a real temporary database: filters, paging, order, names, clean-up."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pydantic import ValidationError

from clausius.core.config_models import ClusterSpec, ProjectSpec
from clausius.core.job_record import JobRow
from clausius.errors import InvalidInput, NotFound
from clausius.services.clusters import ClusterService
from clausius.services.history import HistoryPage, HistoryQuery, HistoryService, parse_query
from clausius.services.interface import current_interface
from clausius.services.projects import ProjectService
from clausius.services.settings import SettingsService
from clausius.store import jobs_repo
from clausius.store.database import Database

T = TypeVar("T")
NOW = time.time()
DAY = 86_400.0


def job(cluster: str, job_id: str, state: str = "COMPLETED", *, ended_days_ago: float = 1.0, **fields: Any) -> JobRow:
    """A recorded job that ran for an hour and (if finished) ended `ended_days_ago` days ago."""
    end = NOW - ended_days_ago * DAY
    finished = state not in ("RUNNING", "PENDING")
    values: dict[str, Any] = {
        "name": f"job-{job_id}",
        "submit_time": end - 7200,
        "start_time": None if state == "PENDING" else end - 3600,
        "end_time": end if finished else None,
        "first_seen": end - 7200,
        "last_seen": end if finished else NOW,
    }
    values.update(fields)
    return JobRow(cluster=cluster, job_id=job_id, state=state, **values)


@dataclass
class Env:
    db: Database
    history: HistoryService
    projects: ProjectService
    clusters: ClusterService

    def add(self, *rows: JobRow) -> None:
        self.db.write_sync(lambda c: jobs_repo.upsert(c, rows))

    def sql(self, query: str, *params: object) -> list[sqlite3.Row]:
        return self.db.read_sync(lambda c: list(c.execute(query, params)))

    def ids(self, **fields: Any) -> list[str]:
        page = run(self.history.query(HistoryQuery(**fields)))
        return [j.job_id for j in page.jobs]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    db = Database.open(tmp_path / "history.db")
    projects = ProjectService(db)
    clusters = ClusterService(db)
    run(clusters.add(ClusterSpec(name="eos", host="eos-login")))
    run(clusters.add(ClusterSpec(name="draco", host="draco-login")))
    run(projects.add(ProjectSpec(name="alpha")))
    run(projects.add(ProjectSpec(name="beta")))
    run(projects.add(ProjectSpec(name="gamma")))
    yield Env(db, HistoryService(db, SettingsService(db), projects), projects, clusters)
    db.close()


# -- filters ----------------------------------------------------------------------------------------------


def test_every_filter_narrows_to_exactly_the_matching_jobs(env: Env) -> None:
    env.add(
        job("eos", "1", project="alpha", campaign="lr", partition="batch", account="ppp1", name="alpha_lr_train"),
        job("eos", "2", "FAILED", project="alpha", campaign="wd", partition="debug", account="ppp1"),
        job("eos", "3", "RUNNING", project="beta", campaign="lr", partition="batch", account="ppp2"),
        job("draco", "4", "TIMEOUT", project="beta", partition="batch", account="ppp2"),
        job("draco", "5", "PENDING", partition="interactive", account="ppp1"),
    )
    assert sorted(env.ids()) == ["1", "2", "3", "4", "5"]
    assert sorted(env.ids(cluster="draco")) == ["4", "5"]
    assert sorted(env.ids(project="alpha")) == ["1", "2"]
    assert sorted(env.ids(campaign="lr")) == ["1", "3"]
    assert sorted(env.ids(states=["failed", "Timeout"])) == ["2", "4"]
    assert sorted(env.ids(partition="batch")) == ["1", "3", "4"]
    assert sorted(env.ids(account="ppp2")) == ["3", "4"]
    assert env.ids(project="beta", cluster="eos", campaign="lr", states=["RUNNING"]) == ["3"]
    assert env.ids(project="alpha", states=["RUNNING"]) == []
    assert sorted(env.ids(cluster="  ", project="")) == ["1", "2", "3", "4", "5"]  # blank means no filter


def test_states_are_case_insensitive_and_unknown_ones_are_named() -> None:
    assert HistoryQuery(states=["failed", " Timeout ", "FAILED", "completed,cancelled"]).states == [
        "FAILED",
        "TIMEOUT",
        "COMPLETED",
        "CANCELLED",
    ]
    with pytest.raises(ValidationError):
        HistoryQuery(states=["finished"])
    with pytest.raises(InvalidInput) as caught:
        parse_query(states=["running", "finished"])
    message = caught.value.message
    assert message.startswith("states: unknown state 'finished'")
    assert "COMPLETED" in message and "OUT_OF_MEMORY" in message and "\n" not in message


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"days": 0}, "days"),
        ({"days": 3651}, "days"),
        ({"colour": "red"}, "colour: unknown field"),
        ({"search": "x" * 201}, "search"),
    ],
)
def test_out_of_range_values_are_one_invalid_input(fields: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_query(**fields)
    assert fragment in caught.value.message


def test_query_revalidates_a_model_built_without_validation(env: Env) -> None:
    with pytest.raises(InvalidInput, match="limit"):
        run(env.history.query(HistoryQuery.model_construct(limit=0)))


def test_search_matches_name_substrings_case_insensitively_or_an_exact_id(env: Env) -> None:
    env.add(
        job("eos", "100", name="Alpha_LR_Train"),
        job("eos", "101", name="beta_eval"),
        job("eos", "102", name="100%_done"),
        job("eos", "103", name="alphaXlr"),
        job("eos", "104", name=r"back\slash"),
        job("eos", "1000", name="other"),
    )
    assert env.ids(search="lr_train") == ["100"]
    assert env.ids(search="LR_TRAIN") == ["100"]
    assert sorted(env.ids(search="100")) == ["100", "102"]  # the exact id, and a name containing "100"
    assert env.ids(search="1000") == ["1000"]
    # LIKE wildcards are literal: "%" is not "anything", "_" is not "any one character"
    assert env.ids(search="%") == ["102"]
    assert sorted(env.ids(search="alpha_lr")) == ["100"]
    assert env.ids(search="a_l") == ["100"]  # not alphaXlr, which "_" as a wildcard would match
    assert env.ids(search="\\") == ["104"]
    assert env.ids(search="nothing like it") == []


def test_days_keeps_jobs_submitted_or_ended_recently(env: Env) -> None:
    env.add(
        job("eos", "1", ended_days_ago=1),
        job("eos", "2", ended_days_ago=10),
        job("eos", "3", ended_days_ago=1, submit_time=NOW - 20 * DAY),  # long job: submitted long ago, ended lately
        job("eos", "4", "RUNNING", ended_days_ago=0, submit_time=NOW - 3600),
        job("eos", "5", ended_days_ago=10, submit_time=None, first_seen=NOW - 3600),  # no submit time: first sighting
    )
    assert sorted(env.ids(days=3)) == ["1", "3", "4", "5"]
    assert sorted(env.ids(days=30)) == ["1", "2", "3", "4", "5"]


# -- order and paging -------------------------------------------------------------------------------------


def test_newest_activity_first_then_job_id(env: Env) -> None:
    env.add(
        job("eos", "1", ended_days_ago=5),
        job("eos", "2", "RUNNING", start_time=NOW - 2 * DAY, submit_time=NOW - 3 * DAY),  # started 2 days ago
        job("eos", "3", "PENDING", start_time=None, submit_time=NOW - 4 * DAY),  # submitted 4 days ago
        job("eos", "4", "PENDING", start_time=None, submit_time=None, first_seen=NOW - 3 * DAY),  # only seen
        job("eos", "9", end_time=NOW - DAY),
        job("eos", "10", end_time=NOW - DAY),  # same end time as 9
        job("eos", "5", "PENDING", start_time=NOW + DAY, submit_time=NOW - 6 * DAY),  # a start estimate, not activity
    )
    assert env.ids() == ["10", "9", "2", "4", "3", "1", "5"]  # ties: 10 before 9 (numeric, not text order)


def test_pages_cover_everything_once_with_next_offset(env: Env) -> None:
    env.add(*(job("eos", str(n), ended_days_ago=n) for n in range(1, 8)))
    seen: list[str] = []
    offset: int | None = 0
    offsets: list[int] = []
    while offset is not None:
        page: HistoryPage = run(env.history.query(HistoryQuery(limit=3, offset=offset)))
        assert page.total == 7 and page.limit == 3 and page.offset == offset
        offsets.append(offset)
        seen.extend(j.job_id for j in page.jobs)
        offset = page.next_offset
    assert offsets == [0, 3, 6]
    assert seen == ["1", "2", "3", "4", "5", "6", "7"]
    beyond = run(env.history.query(HistoryQuery(limit=3, offset=50)))
    assert beyond.jobs == [] and beyond.total == 7 and beyond.next_offset is None
    exact = run(env.history.query(HistoryQuery(limit=7)))
    assert len(exact.jobs) == 7 and exact.next_offset is None
    filtered = run(env.history.query(HistoryQuery(limit=2, states=["COMPLETED"], search="job-1")))
    assert filtered.total == 1 and filtered.next_offset is None


# -- names ------------------------------------------------------------------------------------------------


def test_unknown_cluster_lists_known_ones_and_history_outlives_a_removed_cluster(env: Env) -> None:
    env.add(job("eos", "1"), job("old", "2"))
    with pytest.raises(NotFound) as caught:
        env.ids(cluster="nope")
    assert caught.value.message == "unknown cluster 'nope'; known clusters: draco, eos, local, old"
    assert env.ids(cluster="old") == ["2"]  # not configured, but has history
    assert env.ids(cluster="draco") == []  # configured, no jobs: an empty page, not an error
    assert env.ids(cluster="local") == []  # the local pseudo-cluster always exists
    run(env.clusters.remove("eos"))
    assert env.ids(cluster="eos") == ["1"]


def test_unknown_project_lists_known_ones(env: Env) -> None:
    env.add(job("eos", "1", project="retired"))
    with pytest.raises(NotFound) as caught:
        env.ids(project="alfa")
    assert caught.value.message == "unknown project 'alfa'; known projects: alpha, beta, gamma, retired"
    assert env.ids(project="retired") == ["1"]
    with pytest.raises(NotFound, match="unknown project 'alfa'; known projects: alpha"):
        run(env.history.project_jobs("alfa"))


def test_get_job_returns_every_recorded_field_or_a_clear_not_found(env: Env) -> None:
    env.add(
        job(
            "eos",
            "13_1",
            "FAILED",
            name="alpha_lr_train",
            state_detail="FAILED",
            exit_code=1,
            crash_kind="oom",
            crash_line="CUDA out of memory",
            project="alpha",
            gpus=8,
            gpu_type="h100",
            std_out="/logs/13_1.out",
            dependencies=[("afterok", "12")],
            pinned=True,
        )
    )
    found = run(env.history.get_job("eos", "13_1"))
    assert (found.cluster, found.job_id, found.state, found.exit_code) == ("eos", "13_1", "FAILED", 1)
    assert (found.crash_kind, found.crash_line, found.gpus, found.gpu_type) == ("oom", "CUDA out of memory", 8, "h100")
    assert found.dependencies == [("afterok", "12")] and found.pinned and found.std_out == "/logs/13_1.out"
    with pytest.raises(NotFound) as caught:
        run(env.history.get_job("eos", "13_2"))
    assert caught.value.message == "job 13_2 on cluster 'eos' is not in the history"
    with pytest.raises(NotFound, match="unknown cluster 'nope'; known clusters: draco, eos, local"):
        run(env.history.get_job("nope", "13_1"))


# -- project summaries ----------------------------------------------------------------------------------


def test_project_summaries_count_every_configured_project_by_bucket(env: Env) -> None:
    env.add(
        job("eos", "1", "RUNNING", project="alpha", submit_time=NOW - 100),
        job("eos", "2", "COMPLETING", project="alpha"),
        job("eos", "3", "PENDING", project="alpha"),
        job("eos", "4", "COMPLETED", project="alpha"),
        job("draco", "5", "FAILED", project="alpha"),
        job("draco", "6", "OUT_OF_MEMORY", project="alpha"),
        job("draco", "7", "CANCELLED", project="alpha"),
        job("draco", "8", "STOPPED", project="alpha"),  # counted in the total only ("other" on the board)
        job("eos", "9", "COMPLETED", project="beta", submit_time=NOW - 5 * DAY),
        job("eos", "10", "COMPLETED", project="retired"),  # no longer configured: left out
        job("eos", "11", "COMPLETED"),  # no project: left out
    )
    summaries = {s.name: s for s in run(env.history.project_summaries())}
    assert set(summaries) == {"alpha", "beta", "gamma"}
    alpha = summaries["alpha"]
    counts = (alpha.running, alpha.pending, alpha.completed, alpha.failed, alpha.cancelled)
    assert alpha.jobs_total == 8 and counts == (2, 1, 1, 2, 1)
    assert alpha.last_submit == pytest.approx(NOW - 100)
    assert alpha.prefix and alpha.color.startswith("#") and alpha.emoji
    assert summaries["beta"].jobs_total == 1 and summaries["beta"].last_submit == pytest.approx(NOW - 5 * DAY)
    gamma = summaries["gamma"]
    assert gamma.jobs_total == 0 and gamma.last_submit is None


def test_project_jobs_pages_one_project_on_a_cluster(env: Env) -> None:
    env.add(
        *(job("eos", str(n), project="alpha", ended_days_ago=n) for n in range(1, 4)),
        job("draco", "9", project="alpha"),
        job("eos", "8", project="beta"),
    )
    page = run(env.history.project_jobs("alpha", cluster="eos", limit=2))
    assert [j.job_id for j in page.jobs] == ["1", "2"] and page.total == 3 and page.next_offset == 2
    assert run(env.history.project_jobs("alpha", offset=3)).total == 4
    with pytest.raises(InvalidInput, match="limit"):
        run(env.history.project_jobs("alpha", limit=0))


# -- cleanup ----------------------------------------------------------------------------------------------


def _cleanup_fixture(env: Env) -> None:
    env.add(
        job("eos", "old-done", ended_days_ago=40, run_id="run-a"),
        job("eos", "old-failed", "FAILED", ended_days_ago=35, run_id="run-a"),
        job("eos", "old-pinned", "FAILED", ended_days_ago=50, pinned=True, run_id="run-b"),
        job("eos", "old-running", "RUNNING", submit_time=NOW - 60 * DAY, last_seen=NOW - 40 * DAY, run_id="run-b"),
        job("eos", "recent", ended_days_ago=2, run_id="run-c"),
        job("draco", "old-cancelled", "CANCELLED", ended_days_ago=45, run_id="run-c"),
        job("draco", "no-end", "TIMEOUT", end_time=None, last_seen=NOW - 31 * DAY),
        job("draco", "no-end-recent", "TIMEOUT", end_time=None, last_seen=NOW - DAY),
    )
    env.db.write_sync(
        lambda c: c.executemany(
            "INSERT INTO runs (run_id, cluster, label, created_at, updated_at) VALUES (?, ?, ?, 0, 0)",
            [("run-a", "eos", "a"), ("run-b", "eos", "b"), ("run-c", "eos", "c"), ("run-empty", "eos", "e")],
        )
    )


def _job_ids(env: Env) -> set[str]:
    return {r["job_id"] for r in env.sql("SELECT job_id FROM jobs")}


def test_cleanup_dry_run_counts_without_deleting(env: Env) -> None:
    _cleanup_fixture(env)
    before = _job_ids(env)
    result = run(env.history.cleanup(30))
    assert (result.matched, result.deleted, result.dry_run, result.older_than_days, result.cluster) == (
        4,
        0,
        True,
        30,
        None,
    )
    assert result.oldest_end == pytest.approx(NOW - 45 * DAY)
    assert result.newest_end == pytest.approx(NOW - 31 * DAY)
    assert _job_ids(env) == before
    assert env.sql("SELECT * FROM audit_log WHERE action = 'cleanup_history'") == []


def test_cleanup_deletes_only_old_finished_unpinned_jobs_and_their_emptied_runs(env: Env) -> None:
    _cleanup_fixture(env)

    async def as_mcp() -> Any:
        current_interface.set("mcp")
        return await env.history.cleanup(30, dry_run=False)

    result = run(as_mcp())
    assert (result.matched, result.deleted, result.dry_run) == (4, 4, False)
    assert _job_ids(env) == {"old-pinned", "old-running", "recent", "no-end-recent"}
    # run-a lost all its jobs; run-b and run-c keep some; run-empty had none and is not this cleanup's business
    assert {r["run_id"] for r in env.sql("SELECT run_id FROM runs")} == {"run-b", "run-c", "run-empty"}
    audit = env.sql("SELECT * FROM audit_log WHERE action = 'cleanup_history'")
    assert len(audit) == 1
    assert (audit[0]["interface"], audit[0]["target"]) == ("mcp", "all clusters")
    detail = json.loads(audit[0]["detail"])
    assert detail["jobs_deleted"] == 4 and detail["runs_deleted"] == 1 and detail["older_than_days"] == 30
    again = run(env.history.cleanup(30, dry_run=False))
    assert (again.matched, again.deleted, again.oldest_end) == (0, 0, None)


def test_cleanup_by_cluster_and_state(env: Env) -> None:
    _cleanup_fixture(env)
    only_draco = run(env.history.cleanup(30, cluster="draco"))
    assert only_draco.matched == 2 and only_draco.cluster == "draco"
    failed = run(env.history.cleanup(30, states=["failed", "timeout"], dry_run=False))
    assert failed.deleted == 2
    assert "old-failed" not in _job_ids(env) and "no-end" not in _job_ids(env)
    assert {"old-done", "old-cancelled", "old-pinned"} <= _job_ids(env)
    with pytest.raises(NotFound, match="unknown cluster 'nope'; known clusters: draco, eos, local"):
        run(env.history.cleanup(30, cluster="nope", dry_run=False))


@pytest.mark.parametrize(
    ("days", "states", "fragment"),
    [
        (0, None, "older_than_days must be between 1"),
        (-5, None, "older_than_days must be between 1"),
        (36_501, None, "older_than_days must be between 1"),
        (30, ["RUNNING"], "only finished jobs can be cleaned up, not RUNNING"),
        (30, ["completed", "pending"], "only finished jobs can be cleaned up, not PENDING"),
        (30, ["bogus"], "unknown state 'bogus'"),
    ],
)
def test_cleanup_refuses_bad_input_and_deletes_nothing(
    env: Env, days: int, states: list[str] | None, fragment: str
) -> None:
    _cleanup_fixture(env)
    before = _job_ids(env)
    with pytest.raises(InvalidInput) as caught:
        run(env.history.cleanup(days, states=states, dry_run=False))
    assert fragment in caught.value.message
    assert _job_ids(env) == before
