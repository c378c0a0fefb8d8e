"""A job's logs and resource use in the terminal: `log` and `stats`."""

from __future__ import annotations

import re
import sys
import time

import click
from rich.table import Table

from clausius.cli.common import console, fmt, json_option, print_json, print_table, run
from clausius.services.logs import DEFAULT_TAIL_BYTES, MAX_TAIL_BYTES, LogFiles, LogTail
from clausius.services.stats import JobStats

# Terminal control sequences from a remote log must not reach the user's terminal as such.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def for_terminal(text: str) -> str:
    """Log text safe to print on a terminal: colours and cursor moves dropped, a lone `\\r` starts a new line."""
    text = _ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def human_bytes(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}-{text}" if days else text


def header(tail: LogTail) -> str:
    parts = [f"==> {tail.path}", f"bytes {tail.start_offset}-{tail.end_offset} of {tail.size}"]
    if tail.state:
        parts.append(tail.state)
    if tail.crash_kind:
        parts.append(f"crash: {tail.crash_kind}" + (f" ({tail.crash_line})" if tail.crash_line else ""))
    if tail.progress is not None:
        parts.append(f"progress {tail.progress:.0f}%")
    if tail.more_before:
        parts.append(f"earlier: --before {tail.start_offset}")
    return " · ".join(parts) + " <=="


def _print_files(files: LogFiles) -> None:
    rows = [
        (
            f.role,
            f.path,
            human_bytes(f.size) if f.exists else "missing",
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(f.modified)) if f.modified else None,
        )
        for f in files.files
    ]
    title = f"logs of {files.cluster} job {files.job_id}"
    print_table(title, ("role", "path", "size", "modified"), rows, "no log files")
    if files.note:
        console.print(f"note: {files.note}")


@click.command("log")
@click.argument("cluster")
@click.argument("job_id")
@click.option("--path", "path", help="One of the job's log files (see --list); default: stderr, else stdout.")
@click.option(
    "--bytes",
    "tail_bytes",
    type=click.IntRange(1, MAX_TAIL_BYTES),
    default=DEFAULT_TAIL_BYTES,
    show_default=True,
    help="How many bytes to read.",
)
@click.option("--before", type=click.IntRange(min=0), help="Read the bytes ending at this offset (page backwards).")
@click.option("--list", "list_files", is_flag=True, help="List the job's log files instead of reading one.")
@json_option
def log(
    cluster: str,
    job_id: str,
    path: str | None,
    tail_bytes: int,
    before: int | None,
    list_files: bool,
    as_json: bool,
) -> None:
    """Print the end of a job's log (or --list its log files), with its crash class and progress."""
    if list_files:
        if path is not None or before is not None:
            raise click.UsageError("--list cannot be combined with --path or --before")
        files = run(lambda s: s.logs.list_log_files(cluster, job_id))
        if as_json:
            print_json(files)
        else:
            _print_files(files)
        return
    tail = run(lambda s: s.logs.read_log(cluster, job_id, path=path, tail_bytes=tail_bytes, before=before))
    if as_json:
        print_json(tail)
        return
    text = for_terminal(tail.text) if sys.stdout.isatty() else tail.text
    click.echo(for_terminal(header(tail)))
    sys.stdout.write(text if not text or text.endswith("\n") else text + "\n")


def _stats_table(stats: JobStats) -> None:
    table = Table(show_header=False, show_edge=False, box=None, pad_edge=False)
    table.add_column("key", style="bold")
    table.add_column("value", overflow="fold")
    gpus = f"{stats.gpus} {stats.gpu_type}" if stats.gpus and stats.gpu_type else stats.gpus
    efficiency = f"{stats.cpu_efficiency * 100:.0f}%" if stats.cpu_efficiency is not None else None
    for key, value in (
        ("job", f"{stats.cluster} {stats.job_id}"),
        ("state", stats.state),
        ("source", stats.source),
        ("elapsed / limit", f"{duration(stats.elapsed_sec)} / {duration(stats.time_limit_sec)}"),
        ("nodes", stats.nodes),
        ("CPUs", stats.cpus),
        ("GPUs", gpus),
        ("max RSS", human_bytes(stats.max_rss_bytes)),
        ("requested memory", human_bytes(stats.req_mem_bytes)),
        ("CPU time", duration(stats.total_cpu_sec)),
        ("CPU efficiency", efficiency),
        ("note", stats.note),
    ):
        table.add_row(key, fmt(value))
    console.print(table)
    if stats.steps:
        rows = [
            (s.step, s.ntasks, human_bytes(s.max_rss_bytes), duration(s.total_cpu_sec), duration(s.ave_cpu_sec))
            for s in stats.steps
        ]
        print_table("steps", ("step", "tasks", "max RSS", "CPU time", "avg CPU/task"), rows, "")


@click.command("stats")
@click.argument("cluster")
@click.argument("job_id")
@json_option
def stats(cluster: str, job_id: str, as_json: bool) -> None:
    """Show a job's resource use: elapsed time, CPU time and efficiency, memory (sstat while running, else sacct)."""
    result = run(lambda s: s.stats.job_stats(cluster, job_id))
    if as_json:
        print_json(result)
    else:
        _stats_table(result)


COMMANDS: list[click.Command] = [log, stats]
