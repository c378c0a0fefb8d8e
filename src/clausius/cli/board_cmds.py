"""The board in the terminal, and job actions: `jobs`, `cancel`, `dismiss`, `clear`."""

from __future__ import annotations

import time

import click
from rich.table import Table
from rich.text import Text

from clausius.cli.common import console, json_option, ok, print_json, run
from clausius.errors import ClausiusError
from clausius.services.board_models import Board, BoardJob

# Colours by the bucket core decided for each job (the board sends it): no state list here.
BUCKET_STYLE = {"running": "green", "pending": "yellow", "completed": "cyan", "failed": "red", "cancelled": "dim"}


def _duration(seconds: float | int | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days}-{hours:02d}:{minutes:02d}:{secs:02d}" if days else f"{hours:02d}:{minutes:02d}:{secs:02d}"


def _state(job: BoardJob) -> Text:
    text = Text(job.state, style=BUCKET_STYLE.get(job.bucket, ""))
    if job.crash:
        text.append(f" {job.crash.kind}", style="bold red")
    if job.pending:
        text.append(f" {job.pending.short}", style="dim")
    elif job.reason:  # core's shown_reason already leaves out what says nothing
        text.append(f" {job.reason}", style="dim")
    return text


def render(board: Board) -> None:
    for cluster in board.clusters:
        status = cluster.status
        head = f"[bold]{cluster.name}[/]  {status.state}"
        if status.age_sec is not None:
            head += f" ({status.age_sec:.0f}s ago)"
        if status.error:
            head += f"  [red]{status.error}[/]"
        c = cluster.counts
        head += (
            f"  · {c.running} running ({c.gpus_running} GPU) · {c.pending} pending ({c.gpus_pending} GPU)"
            f" · {c.failed} failed · {c.completed} done · {c.cancelled} cancelled"
        )
        console.print(head, markup=True)
        if not cluster.projects:
            console.print("  no jobs")
            continue
        table = Table(show_edge=False, header_style="bold", pad_edge=False)
        for column in ("project/run", "id", "name", "state", "elapsed/limit", "GPUs", "partition"):
            table.add_column(column, overflow="fold")
        for project in cluster.projects:
            for run_ in project.runs:
                first = True
                for job in run_.jobs:
                    label = f"{project.emoji} {project.name}/{run_.label}" if first else ""
                    first = False
                    indent = "  " * job.depth + ("↳ " if job.depth else "")
                    elapsed = job.elapsed_sec if job.state != "PENDING" else None
                    table.add_row(
                        label,
                        job.job_id,
                        indent + job.name,
                        _state(job),
                        f"{_duration(elapsed)} / {_duration(job.time_limit_sec)}",
                        str(job.gpus or 0) + (f" {job.gpu_type}" if job.gpu_type else ""),
                        job.partition or "-",
                    )
        console.print(table)


@click.command("jobs")
@click.option("--cluster", "clusters", multiple=True, help="Only these clusters (repeatable).")
@json_option
def jobs(clusters: tuple[str, ...], as_json: bool) -> None:
    """Show the live board: every job on every cluster, grouped into projects and runs."""
    board = run(lambda s: s.board.read(clusters=list(clusters) or None, force=True))
    if as_json:
        print_json(board)
        return
    render(board)
    console.print(f"[dim]as of {time.strftime('%H:%M:%S')}[/]", markup=True)


@click.command("cancel")
@click.argument("cluster")
@click.argument("job_ids", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def cancel(cluster: str, job_ids: tuple[str, ...], yes: bool) -> None:
    """Cancel jobs on a cluster (one scancel for all ids)."""
    if not yes and not click.confirm(f"cancel {len(job_ids)} job(s) on {cluster}?", default=False, err=True):
        raise click.Abort
    outcome = run(lambda s: s.board.cancel(cluster, list(job_ids)))
    if outcome.cancelled:
        ok(f"cancelled {' '.join(outcome.cancelled)} on {cluster}")
    if outcome.errors:
        raise ClausiusError("; ".join(f"{job}: {err}" for job, err in outcome.errors.items()))


@click.command("dismiss")
@click.argument("cluster")
@click.argument("job_ids", nargs=-1, required=True)
def dismiss(cluster: str, job_ids: tuple[str, ...]) -> None:
    """Remove finished jobs from the board (their history stays)."""
    count = run(lambda s: s.board.dismiss(cluster, list(job_ids)))
    ok(f"dismissed {count} job(s) on {cluster}")


@click.command("clear")
@click.argument("cluster")
@click.option("--kind", type=click.Choice(["failed", "completed", "cancelled"]), required=True)
def clear(cluster: str, kind: str) -> None:
    """Remove all finished jobs of one kind from a cluster's board (their history stays)."""
    count = run(lambda s: s.board.clear(cluster, kind))
    ok(f"cleared {count} {kind} job(s) on {cluster}")


COMMANDS = [jobs, cancel, dismiss, clear]
