"""Parser for `sacct -X -P --noheader --format=<SACCT_FORMAT>`."""

from __future__ import annotations

import re
from dataclasses import replace

from clausius.core.gpus import job_gpus
from clausius.slurm.errors import SlurmParseError
from clausius.slurm.formats import SACCT_FIELDS
from clausius.slurm.models import SacctJob
from clausius.slurm.rows import Row, positional, to_int, to_opt_int
from clausius.slurm.timeparse import parse_minutes, parse_timestamp
from clausius.slurm.tres import split_job_id, tres_gpus

_CMD = "sacct"
_EXIT = re.compile(r"(\d+):(\d+)")


def parse_exit_code(text: str) -> tuple[int | None, int | None]:
    """`3:0` → (3, 0): exit status and the signal that ended the job; empty → (None, None)."""
    value = text.strip()
    if not value:
        return None, None
    m = _EXIT.fullmatch(value)
    if not m:
        raise SlurmParseError("exit code", "not N:M", text)
    return int(m.group(1)), int(m.group(2))


def parse_sacct(text: str, utc_offset_sec: int) -> list[SacctJob]:
    """Job allocation records, one per job; step rows (`123.batch`), should any appear, are skipped.

    With `-D` a requeued job has several records under one id: the last one
    is kept and the earlier ones are counted in `restarts`.
    """
    jobs: dict[tuple[str, str], SacctJob] = {}
    for cells in positional(text, SACCT_FIELDS, _CMD, name_last=True):
        row = Row(_CMD, cells)
        parts = row.get("job_id", split_job_id)
        if parts.step is not None:
            continue
        job = _job(row, parts.base, parts.array_task, parts.het_offset, utc_offset_sec)
        key = (job.job_id, job.raw_id)
        earlier = jobs.pop(key, None)
        if earlier is not None:
            job = replace(job, restarts=earlier.restarts + 1)
        jobs[key] = job
    return list(jobs.values())


def _job(row: Row, base: str, task: str | None, het: int | None, offset: int) -> SacctJob:
    state_detail = row.text("state")
    if not state_detail:
        raise SlurmParseError(_CMD, "state: empty", row.line)
    exit_code, signal = row.get("exit_code", parse_exit_code)
    derived_code, derived_signal = row.get("derived_exit_code", parse_exit_code)
    # Pending/cancelled-before-start jobs have no allocation; what they asked for still tells the GPUs.
    gpus, gpu_type = job_gpus(allocated=row.get("alloc_tres", tres_gpus), requested=row.get("req_tres", tres_gpus))

    def when(name: str) -> float | None:
        return row.get(name, lambda v: parse_timestamp(v, offset))

    return SacctJob(
        job_id=row.raw("job_id").strip(),
        raw_id=str(row.get("raw_id", to_int)),
        array_job_id=base if task is not None else None,
        array_task=task,
        het_job_id=base if het is not None else None,
        het_offset=het,
        name=row.raw("name"),
        user=row.text("user"),
        account=row.text("account"),
        partition=row.text("partition"),
        qos=row.text("qos"),
        state=state_detail.split()[0],
        state_detail=state_detail,
        exit_code=exit_code,
        signal=signal,
        derived_exit_code=derived_code,
        derived_signal=derived_signal,
        reason=row.text("reason"),
        submit_time=when("submit_time"),
        start_time=when("start_time"),
        end_time=when("end_time"),
        elapsed_sec=row.get("elapsed", to_opt_int),
        time_limit_sec=row.get("time_limit", parse_minutes),
        nodes=row.get("nodes", to_int),
        cpus=row.get("cpus", to_int),
        node_list=row.text("node_list"),
        alloc_tres=row.text("alloc_tres"),
        req_tres=row.text("req_tres"),
        gpus=gpus,
        gpu_type=gpu_type,
        restarts=0,
    )
