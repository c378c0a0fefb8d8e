"""Parsers for `squeue` output in the fixed formats of `formats`."""

from __future__ import annotations

from clausius.core.gpus import job_gpus
from clausius.slurm.errors import SlurmParseError
from clausius.slurm.formats import SQUEUE_FIELDS, SQUEUE_START_FIELDS
from clausius.slurm.models import SqueueJob, StartEstimate
from clausius.slurm.rows import Row, positional, to_int, to_opt_int
from clausius.slurm.timeparse import parse_duration, parse_timestamp
from clausius.slurm.tres import gres_gpus, parse_dependencies, split_job_id, tres_gpus

_CMD = "squeue"


def parse_squeue(text: str, utc_offset_sec: int) -> list[SqueueJob]:
    """`squeue --noheader -o <SQUEUE_FORMAT>` → jobs, times as UTC epoch."""
    return [_job(Row(_CMD, cells), utc_offset_sec) for cells in positional(text, SQUEUE_FIELDS, _CMD, name_last=True)]


def _job(row: Row, offset: int) -> SqueueJob:
    parts = row.get("job_id", split_job_id)
    if parts.step is not None:
        raise SlurmParseError(_CMD, "job_id: a step id in a job listing", row.line)
    nodes = row.get("nodes", to_int)
    gpus, gpu_type = job_gpus(allocated=row.get("tres", tres_gpus), per_node=row.get("gres", gres_gpus), nodes=nodes)

    def when(name: str) -> float | None:
        return row.get(name, lambda v: parse_timestamp(v, offset))

    return SqueueJob(
        job_id=row.raw("job_id").strip(),
        raw_id=str(row.get("raw_id", to_int)),
        array_job_id=parts.base if parts.array_task is not None else None,
        array_task=parts.array_task,
        het_job_id=parts.base if parts.het_offset is not None else None,
        het_offset=parts.het_offset,
        name=row.raw("name"),
        user=row.text("user"),
        state=row.text("state"),
        reason=row.text("reason"),
        account=row.text("account"),
        partition=row.text("partition"),
        qos=row.text("qos"),
        priority=row.get("priority", to_opt_int),
        nodes=nodes,
        cpus=row.get("cpus", to_int),
        node_list=row.text("node_list"),
        gres=row.text("gres"),
        tres=row.text("tres"),
        gpus=gpus,
        gpu_type=gpu_type,
        submit_time=when("submit_time"),
        start_time=when("start_time"),
        end_time=when("end_time"),
        time_used_sec=row.get("time_used", parse_duration),
        time_limit_sec=row.get("time_limit", parse_duration),
        dependency=row.text("dependency"),
        dependencies=row.get("dependency", parse_dependencies),
    )


def parse_squeue_start(text: str, utc_offset_sec: int) -> list[StartEstimate]:
    """`squeue --start --noheader -o <SQUEUE_START_FORMAT>` → expected starts (None when Slurm has none)."""
    out = []
    for cells in positional(text, SQUEUE_START_FIELDS, "squeue --start"):
        row = Row("squeue --start", cells)
        row.get("job_id", split_job_id)
        out.append(
            StartEstimate(
                job_id=row.raw("job_id").strip(),
                start_time=row.get("start_time", lambda v: parse_timestamp(v, utc_offset_sec)),
                nodes=row.get("nodes", to_opt_int),
                sched_nodes=row.text("sched_nodes"),
                reason=row.text("reason"),
            )
        )
    return out
