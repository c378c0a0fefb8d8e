"""`clausius history`, `history-projects` and `cleanup-history` through the real entry point."""

from __future__ import annotations

import sqlite3

import pytest

from clausius.core.job_record import JobRow
from clausius.store import jobs_repo
from clausius.store.database import Database
from tests.cli.conftest import Cli, assert_error
from tests.jobrows import past_job


def seed(cli: Cli, rows: list[JobRow]) -> None:
    """Write jobs into the test's data directory the way the agents would."""
    db = Database.open(cli.db_path)
    try:
        db.write_sync(lambda c: jobs_repo.upsert(c, rows))
    finally:
        db.close()


def job_ids_in_db(cli: Cli) -> set[str]:
    conn = sqlite3.connect(f"file:{cli.db_path}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT job_id FROM jobs")}
    finally:
        conn.close()


@pytest.fixture
def seeded(cli: Cli) -> Cli:
    rows = [
        past_job("eos", str(100 + n), "COMPLETED", 40 + n, project="alpha", name=f"alpha_lr_step{n}") for n in range(55)
    ]
    rows += [
        past_job(
            "eos", "900", "FAILED", 1, project="alpha", name="alpha_lr_crash", crash_kind="oom", gpus=8, gpu_type="h100"
        ),
        past_job("draco", "901", "RUNNING", 0, name="beta_eval"),
        past_job("draco", "902", "TIMEOUT", 45, pinned=True),
    ]
    seed(cli, rows)
    return cli


def test_history_table_with_filters_and_paging_footer(seeded: Cli) -> None:
    out = seeded.ok("history", "--limit", "5").stdout
    assert "showing 1–5 of 58 (next: --offset 5)" in out
    assert "FAILED (oom)" in out and "alpha_lr_crash" in out and "8 h100" in out
    assert "beta_eval" in out and "RUNNING" in out
    shown_ids = [line.split("│")[1].strip() for line in out.splitlines() if "│" in line]
    assert shown_ids == ["901", "900", "100", "101", "102"]  # newest activity first

    last = seeded.ok("history", "--limit", "5", "--offset", "55").stdout
    assert "showing 56–58 of 58" in last and "next:" not in last

    failed = seeded.ok("history", "--state", "failed", "--state", "timeout").stdout
    assert "showing 1–2 of 2" in failed and "900" in failed and "902" in failed and "alpha_lr_step" not in failed

    assert "showing 1–1 of 1" in seeded.ok("history", "--cluster", "draco", "--search", "EVAL").stdout
    assert seeded.ok("history", "--search", "%").stdout == "no jobs in the history match\n"
    beyond = seeded.ok("history", "--offset", "100").stdout
    assert beyond == "nothing at offset 100: 58 job(s) match (try a smaller --offset)\n"


def test_history_json_is_the_page(seeded: Cli) -> None:
    page = seeded.json("history", "--cluster", "eos", "--limit", "10", "--offset", "10")
    assert (page["total"], page["offset"], page["limit"], page["next_offset"]) == (56, 10, 10, 20)
    assert len(page["jobs"]) == 10 and {j["cluster"] for j in page["jobs"]} == {"eos"}
    recent = seeded.json("history", "--days", "2")
    assert sorted(j["job_id"] for j in recent["jobs"]) == ["900", "901"]


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--state", "finished"), ("states: unknown state 'finished'", "COMPLETED")),
        (("--limit", "0"), ("limit",)),
        (("--days", "0"), ("days",)),
        (("--offset", "-1"), ("offset",)),
        (("--limit", "lots"), ("--limit",)),
    ],
)
def test_bad_input_is_exit_2_and_one_error_line(seeded: Cli, args: tuple[str, ...], fragments: tuple[str, ...]) -> None:
    assert_error(seeded("history", *args), 2, *fragments)


def test_unknown_cluster_is_exit_1_naming_the_known_ones(seeded: Cli) -> None:
    assert_error(seeded("history", "--cluster", "nope"), 1, "unknown cluster 'nope'", "draco, eos, local")
    assert_error(seeded("history", "--project", "nope"), 1, "unknown project 'nope'", "alpha")


def test_history_projects_table_and_json(seeded: Cli) -> None:
    assert "no projects are configured" in seeded.ok("history-projects").stdout
    seeded.ok("add-project", "alpha")
    seeded.ok("add-project", "gamma")
    summaries = {s["name"]: s for s in seeded.json("history-projects")}
    assert set(summaries) == {"alpha", "gamma"}
    assert (summaries["alpha"]["jobs_total"], summaries["alpha"]["completed"], summaries["alpha"]["failed"]) == (
        56,
        55,
        1,
    )
    assert summaries["gamma"]["jobs_total"] == 0
    table = seeded.ok("history-projects").stdout
    assert "alpha" in table and "gamma" in table and "56" in table and "55" in table


def test_cleanup_without_yes_deletes_nothing_and_with_yes_deletes(seeded: Cli) -> None:
    before = job_ids_in_db(seeded)
    preview = seeded.ok("cleanup-history", "--older-than", "30").stdout
    assert "would delete 55 finished job(s)" in preview and "--yes" in preview
    assert job_ids_in_db(seeded) == before

    dry = seeded.json("cleanup-history", "--older-than", "30", "--state", "completed")
    assert (dry["matched"], dry["deleted"], dry["dry_run"]) == (55, 0, True)

    done = seeded.ok("cleanup-history", "--older-than", "30", "--cluster", "eos", "--yes").stdout
    assert "deleted 55 finished job(s) on eos" in done
    assert job_ids_in_db(seeded) == {"900", "901", "902"}  # recent, running and pinned jobs stay
    assert "no finished jobs" in seeded.ok("cleanup-history", "--older-than", "30", "--yes").stdout


def test_cleanup_bad_input(seeded: Cli) -> None:
    before = job_ids_in_db(seeded)
    assert_error(seeded("cleanup-history", "--older-than", "0", "--yes"), 2, "older_than_days must be between 1")
    assert_error(
        seeded("cleanup-history", "--older-than", "30", "--state", "running", "--yes"),
        2,
        "only finished jobs can be cleaned up, not RUNNING",
    )
    assert_error(seeded("cleanup-history", "--yes"), 2, "--older-than")
    assert job_ids_in_db(seeded) == before
