"""Job history in the terminal: `history`, `history-projects`, `cleanup-history`."""

from __future__ import annotations

import time

import click

from clausius.cli.common import build, console, json_option, ok, print_json, print_table, run
from clausius.services.history import CleanupResult, HistoryJob, HistoryPage, HistoryQuery


def _when(epoch: float | None) -> str | None:
    return None if epoch is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


def _elapsed(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    days, rest = divmod(int(seconds), 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    return f"{days}-{hours:02d}:{minutes:02d}:{secs:02d}" if days else f"{hours:02d}:{minutes:02d}:{secs:02d}"


def _state(job: HistoryJob) -> str:
    if job.crash_kind and job.crash_kind != job.state.lower():
        return f"{job.state} ({job.crash_kind})"
    return job.state


def _gpus(job: HistoryJob) -> str | None:
    if not job.gpus:
        return None
    return f"{job.gpus} {job.gpu_type}" if job.gpu_type else str(job.gpus)


def page_footer(page: HistoryPage) -> str:
    """`showing 1–50 of 312 (next: --offset 50)`: where this page sits and how to get the next one."""
    if not page.jobs:
        if page.total:
            return f"nothing at offset {page.offset}: {page.total} job(s) match (try a smaller --offset)"
        return "no jobs in the history match"
    line = f"showing {page.offset + 1}–{page.offset + len(page.jobs)} of {page.total}"
    if page.next_offset is not None:
        line += f" (next: --offset {page.next_offset})"
    return line


@click.command("history")
@click.option("--cluster", help="Only this cluster.")
@click.option("--project", help="Only this project.")
@click.option("--campaign", help="Only this campaign.")
@click.option("--state", "states", multiple=True, help="Only this Slurm state (repeatable, case-insensitive).")
@click.option("--partition", help="Only this partition.")
@click.option("--account", help="Only this Slurm account.")
@click.option("--search", help="Text in the job name (case-insensitive), or an exact job id.")
@click.option("--days", type=int, help="Only jobs submitted or ended within the last N days.")
@click.option("--limit", type=int, default=50, show_default=True, help="Jobs per page (1..500).")
@click.option(
    "--offset",
    type=int,
    default=0,
    show_default=True,
    help="Skip this many matching jobs.",
)
@json_option
def history(
    cluster: str | None,
    project: str | None,
    campaign: str | None,
    states: tuple[str, ...],
    partition: str | None,
    account: str | None,
    search: str | None,
    days: int | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """Browse every recorded job, newest first (finished ones too, long after Slurm forgot them)."""
    query = build(
        HistoryQuery,
        cluster=cluster,
        project=project,
        campaign=campaign,
        states=list(states),
        partition=partition,
        account=account,
        search=search,
        days=days,
        limit=limit,
        offset=offset,
    )
    page = run(lambda s: s.history.query(query))
    if as_json:
        print_json(page)
        return
    if page.jobs:
        print_table(
            "history",
            ("cluster", "id", "name", "state", "project", "partition", "GPUs", "submitted", "ended", "elapsed"),
            [
                (
                    job.cluster,
                    job.job_id,
                    job.name,
                    _state(job),
                    job.project,
                    job.partition,
                    _gpus(job),
                    _when(job.submit_time),
                    _when(job.end_time),
                    _elapsed(job.elapsed_sec),
                )
                for job in page.jobs
            ],
            empty="",
        )
    console.print(page_footer(page))


@click.command("history-projects")
@json_option
def history_projects(as_json: bool) -> None:
    """Every configured project with its job counts over the whole history."""
    summaries = run(lambda s: s.history.project_summaries())
    if as_json:
        print_json(summaries)
        return
    print_table(
        "projects",
        ("project", "prefix", "jobs", "running", "pending", "completed", "failed", "cancelled", "last submit"),
        [
            (
                f"{p.emoji} {p.name}",
                p.prefix,
                p.jobs_total,
                p.running,
                p.pending,
                p.completed,
                p.failed,
                p.cancelled,
                _when(p.last_submit),
            )
            for p in summaries
        ],
        empty="no projects are configured (add one with `clausius add-project`)",
    )


def _describe_cleanup(result: CleanupResult) -> str:
    where = f" on {result.cluster}" if result.cluster else ""
    if result.matched == 0:
        return f"no finished jobs{where} ended more than {result.older_than_days} day(s) ago"
    span = f"ended {_when(result.oldest_end)} … {_when(result.newest_end)}"
    if result.dry_run:
        return f"would delete {result.matched} finished job(s){where} ({span}); run again with --yes to delete them"
    return f"deleted {result.deleted} finished job(s){where} ({span})"


@click.command("cleanup-history")
@click.option(
    "--older-than",
    "older_than",
    type=int,
    required=True,
    help="Days since the job ended (>= 1).",
)
@click.option("--cluster", help="Only this cluster (default: all).")
@click.option("--state", "states", multiple=True, help="Only this finished state (repeatable; default: all finished).")
@click.option("--yes", is_flag=True, help="Really delete; without it nothing is deleted, only counted.")
@json_option
def cleanup_history(older_than: int, cluster: str | None, states: tuple[str, ...], yes: bool, as_json: bool) -> None:
    """Delete old finished jobs from the history (pinned and unfinished jobs are never deleted)."""
    result = run(lambda s: s.history.cleanup(older_than, cluster=cluster, states=list(states) or None, dry_run=not yes))
    if as_json:
        print_json(result)
        return
    ok(_describe_cleanup(result))


COMMANDS: list[click.Command] = [history, history_projects, cleanup_history]
