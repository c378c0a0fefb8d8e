"""`sacct --jobs ID` with resource-usage fields: the job's record and one row per step.

Used for a job's statistics once it has ended (a running job's usage comes from sstat;
sacct totals CPU time and MaxRSS only for finished steps). Raw seconds (`ElapsedRaw`)
and raw minutes (`TimelimitRaw`) avoid a duration syntax; the job record carries the
allocation (`AllocTRES`, `NCPUS`) and what was asked for (`ReqTRES`, `ReqMem`), step rows
carry `MaxRSS`/`AveCPU`. The TRES lists are last: they never contain the delimiter, and
there is no free-text field in this format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clausius.core.gpus import job_gpus
from clausius.slurm import validate
from clausius.slurm.errors import SlurmParseError
from clausius.slurm.formats import Fields, comma_format
from clausius.slurm.rows import Row, positional, to_opt_int
from clausius.slurm.sacct import parse_exit_code
from clausius.slurm.timeparse import parse_duration_precise, parse_minutes
from clausius.slurm.tres import parse_memory, parse_tres, split_job_id, tres_gpus

_CMD = "sacct usage"

USAGE_FIELDS: Fields = (
    ("JobID", "job_id"),
    ("JobIDRaw", "raw_id"),
    ("State", "state"),
    ("ExitCode", "exit_code"),
    ("ElapsedRaw", "elapsed"),
    ("TimelimitRaw", "time_limit"),
    ("NNodes", "nodes"),
    ("NCPUS", "cpus"),
    ("NTasks", "ntasks"),
    ("TotalCPU", "total_cpu"),
    ("AveCPU", "ave_cpu"),
    ("MaxRSS", "max_rss"),
    ("ReqMem", "req_mem"),
    ("ReqTRES", "req_tres"),
    ("AllocTRES", "alloc_tres"),
)
USAGE_FORMAT = comma_format(USAGE_FIELDS)

# Before 21.08 ReqMem carried a suffix: `4000Mn` per node, `2000Mc` per CPU.
_REQ_MEM = re.compile(r"(\d+(?:\.\d+)?[KMGTPE]?)([nc]?)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One line of the output: the job's record (`step` None) or one of its steps."""

    job_id: str  # as displayed, without the step: 123, 13_1
    raw_id: str  # JobIDRaw without the step (an array task's own numeric id)
    step: str | None  # batch, extern, 0, 1 … ; None for the job record
    state: str  # first word: CANCELLED
    state_detail: str  # full text: CANCELLED by 1001
    exit_code: int | None
    signal: int | None
    elapsed_sec: int | None
    time_limit_sec: int | None  # None = unlimited (and always None on step rows)
    nodes: int | None
    cpus: int | None
    ntasks: int | None
    total_cpu_sec: float | None  # user + system CPU time of all tasks
    ave_cpu_sec: float | None  # average CPU time per task (steps only)
    max_rss_bytes: int | None  # largest resident set of any task (steps only)
    req_mem_bytes: int | None  # the job's requested memory in total (ReqTRES mem, else ReqMem)
    gpus: int | None  # allocated GPUs (requested ones when nothing was allocated); None: unknown
    gpu_type: str | None
    alloc_tres: str
    req_tres: str


def build_sacct_usage(job_id: str | int) -> list[str]:
    """`sacct -P --noheader --jobs=ID --format=<USAGE_FORMAT>`: the job and its steps.

    No `-X` (the steps carry the usage) and no `-u` (with `--jobs` a user filter adds an
    eligible-time window that misses jobs which just ended); no timestamps are asked for,
    so the time format does not matter.
    """
    (checked,) = validate.job_ids([job_id])
    return ["sacct", "-P", "--noheader", f"--jobs={checked}", f"--format={USAGE_FORMAT}"]


def parse_req_mem(text: str, nodes: int | None, cpus: int | None) -> int | None:
    """ReqMem → bytes for the whole job: `300M` as is, legacy `4000Mn` × nodes, `2000Mc` × CPUs; `0`/empty → None."""
    value = text.strip()
    if not value:
        return None
    m = _REQ_MEM.fullmatch(value)
    if not m:
        raise SlurmParseError("memory", "not a size with an optional n/c suffix", text)
    size = parse_memory(m.group(1))
    if not size:
        return None
    per = m.group(2).lower()
    if per == "n" and nodes:
        size *= nodes
    elif per == "c" and cpus:
        size *= cpus
    return size


def _opt_duration(text: str) -> float | None:
    return parse_duration_precise(text) if text.strip() else None


def _opt_memory(text: str) -> int | None:
    return parse_memory(text) if text.strip() else None


def _requested_memory(row: Row, nodes: int | None, cpus: int | None) -> int | None:
    mem = parse_tres(row.raw("req_tres")).get("mem")
    if mem:
        size = row.get("req_tres", lambda _: parse_memory(mem))
        if size:
            return size
    return row.get("req_mem", lambda v: parse_req_mem(v, nodes, cpus))


def parse_usage(text: str) -> list[UsageRow]:
    """Every row, in sacct's order (the job record, then its steps; array tasks one after another)."""
    out = []
    for cells in positional(text, USAGE_FIELDS, _CMD):
        row = Row(_CMD, cells)
        parts = row.get("job_id", split_job_id)
        state_detail = row.text("state")
        if not state_detail:
            raise SlurmParseError(_CMD, "state: empty", row.line)
        exit_code, signal = row.get("exit_code", parse_exit_code)
        nodes = row.get("nodes", to_opt_int)
        cpus = row.get("cpus", to_opt_int)
        # never allocated (pending, cancelled before start): what it asked for
        gpus, gpu_type = job_gpus(allocated=row.get("alloc_tres", tres_gpus), requested=row.get("req_tres", tres_gpus))
        shown = row.raw("job_id").strip()
        raw = row.raw("raw_id").strip()
        out.append(
            UsageRow(
                job_id=shown.split(".", 1)[0],
                raw_id=raw.split(".", 1)[0],
                step=parts.step,
                state=state_detail.split()[0],
                state_detail=state_detail,
                exit_code=exit_code,
                signal=signal,
                elapsed_sec=row.get("elapsed", to_opt_int),
                time_limit_sec=row.get("time_limit", parse_minutes),
                nodes=nodes,
                cpus=cpus,
                ntasks=row.get("ntasks", to_opt_int),
                total_cpu_sec=row.get("total_cpu", _opt_duration),
                ave_cpu_sec=row.get("ave_cpu", _opt_duration),
                max_rss_bytes=row.get("max_rss", _opt_memory),
                req_mem_bytes=_requested_memory(row, nodes, cpus),
                gpus=gpus,
                gpu_type=gpu_type,
                alloc_tres=row.text("alloc_tres"),
                req_tres=row.text("req_tres"),
            )
        )
    return out


def rows_of_job(rows: list[UsageRow], job_id: str) -> list[UsageRow]:
    """The rows (record and steps) of one job: matched on the displayed id, else on the raw id.

    `sacct --jobs 13` for an array lists every task (13_1, 13_2, …) and the pending
    remainder, whose raw id is 13; `--jobs <task's raw id>` prints the task as 13_1.
    """
    shown = [r for r in rows if r.job_id == job_id]
    return shown or [r for r in rows if r.raw_id == job_id]
