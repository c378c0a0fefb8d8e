"""The job as clausius records it: one row of history, whether or not Slurm still knows the job."""

from __future__ import annotations

from dataclasses import dataclass, field

from clausius.core.runs import RunJob


@dataclass
class JobRow:
    """One row of `jobs`: what clausius knows about a job, whether or not Slurm still does."""

    cluster: str
    job_id: str
    state: str
    name: str = ""
    raw_id: str | None = None
    user: str | None = None
    state_detail: str | None = None
    reason: str | None = None
    exit_code: int | None = None
    signal: int | None = None
    account: str | None = None
    partition: str | None = None
    qos: str | None = None
    nodes: int | None = None
    cpus: int | None = None
    gpus: int | None = None
    gpu_type: str | None = None
    node_list: str | None = None
    submit_time: float | None = None
    start_time: float | None = None
    end_time: float | None = None
    time_limit_sec: int | None = None
    elapsed_sec: int | None = None
    dependencies: list[tuple[str, str]] = field(default_factory=list)
    project: str | None = None
    campaign: str | None = None
    run_id: str | None = None
    std_out: str | None = None
    std_err: str | None = None
    work_dir: str | None = None
    crash_kind: str | None = None
    crash_line: str | None = None
    pinned: bool = False
    missing_since: float | None = None
    first_seen: float = 0.0
    last_seen: float = 0.0
    finalised_at: float | None = None


def as_run_job(row: JobRow) -> RunJob:
    """The fields run grouping needs from a recorded job."""
    return RunJob(
        cluster=row.cluster,
        job_id=row.job_id,
        name=row.name,
        state=row.state,
        submit_time=row.submit_time,
        start_time=row.start_time,
        end_time=row.end_time,
        dependencies=tuple(row.dependencies),
        known_run_id=row.run_id,
        reason=row.reason or "",
    )
