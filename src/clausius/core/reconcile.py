"""Turning one refresh (squeue + sacct) into history updates: the rules of an exact history.

Pure: given what is known to be active, what squeue shows now and what sacct
reports for the window since the last refresh, decide every row to write.
- Jobs in squeue are upserted; a `(null)` dependency never erases a known one.
- A known active job that left squeue is finalised from its sacct record in
  the same round trip and pinned to the board. Without a record (accounting
  can lag a few seconds) it is marked missing and finalised by the fallback
  rules only after a grace period: PENDING → CANCELLED, otherwise FAILED
  "killed externally".
- Jobs only sacct knows become history; pinned only if they finished between two
  refreshes of a watched cluster (too quick to be seen in squeue).
- Pending array remainders (`13_[3-4%2]`) are shown live but never stored:
  their tasks are recorded one by one as they start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from clausius.core.config_models import Project
from clausius.core.gpus import keep_known
from clausius.core.job_record import JobRow
from clausius.core.job_states import finalise_gone, is_terminal, merge_dependencies
from clausius.core.naming import parse_job_name
from clausius.slurm.models import Dependency, SacctJob, SqueueJob

MISSING_GRACE_SEC = 30.0


@dataclass(frozen=True)
class Reconciliation:
    live: list[JobRow]  # what squeue shows now, ready for the board (incl. array remainders)
    writes: list[JobRow]  # rows to upsert into history
    finalised: list[str]  # job ids that reached a final state in this refresh


def is_aggregate(job_id: str) -> bool:
    """A pending array remainder like `13_[3-4%2]`: not one job."""
    return "[" in job_id


def from_squeue(cluster: str, job: SqueueJob, projects: Sequence[Project], now: float) -> JobRow:
    parts = parse_job_name(job.name, projects)
    return JobRow(
        cluster=cluster,
        job_id=job.job_id,
        raw_id=job.raw_id,
        name=job.name,
        user=job.user or None,
        state=job.state,
        reason=job.reason or None,
        account=job.account or None,
        partition=job.partition or None,
        qos=job.qos or None,
        nodes=job.nodes,
        cpus=job.cpus,
        gpus=job.gpus,
        gpu_type=job.gpu_type,
        node_list=job.node_list or None,
        submit_time=job.submit_time,
        start_time=job.start_time,
        end_time=job.end_time if is_terminal(job.state) else None,
        time_limit_sec=job.time_limit_sec,
        elapsed_sec=job.time_used_sec,
        dependencies=[(d.type, d.job_id) for d in job.dependencies],
        project=parts.project,
        campaign=parts.campaign,
        first_seen=now,
        last_seen=now,
    )


def from_sacct(cluster: str, job: SacctJob, projects: Sequence[Project], now: float) -> JobRow:
    parts = parse_job_name(job.name, projects)
    return JobRow(
        cluster=cluster,
        job_id=job.job_id,
        raw_id=job.raw_id,
        name=job.name,
        user=job.user or None,
        state=job.state,
        state_detail=job.state_detail or None,
        reason=job.reason or None,
        exit_code=job.exit_code,
        signal=job.signal,
        account=job.account or None,
        partition=job.partition or None,
        qos=job.qos or None,
        nodes=job.nodes,
        cpus=job.cpus,
        gpus=job.gpus,
        gpu_type=job.gpu_type,
        node_list=job.node_list or None,
        submit_time=job.submit_time,
        start_time=job.start_time,
        end_time=job.end_time,
        time_limit_sec=job.time_limit_sec,
        elapsed_sec=job.elapsed_sec,
        project=parts.project,
        campaign=parts.campaign,
        first_seen=now,
        last_seen=now,
        finalised_at=now if is_terminal(job.state) else None,
    )


def _merge_live(known: JobRow | None, seen: JobRow, raw_dependency: str) -> JobRow:
    if known is None:
        return seen
    deps = merge_dependencies(
        tuple(Dependency(t, j) for t, j in known.dependencies),
        tuple(Dependency(t, j) for t, j in seen.dependencies),
        raw_dependency,
    )
    return replace(
        seen,
        dependencies=[(d.type, d.job_id) for d in deps],
        first_seen=known.first_seen,
        missing_since=None,
        gpus=keep_known(known.gpus, seen.gpus),
        gpu_type=seen.gpu_type or known.gpu_type,
        std_out=known.std_out,  # squeue does not print log paths: keep what scontrol told us
        std_err=known.std_err,
        work_dir=known.work_dir,
        run_id=known.run_id,
    )


def is_incomplete_record(job: SacctJob) -> bool:
    """slurmdbd's placeholder for a job whose start it has not processed yet (name "allocation", no partition).

    Finalising from it would keep a wrong name forever; it is asked for again by id later.
    """
    return not job.partition


def reconcile(
    cluster: str,
    known_active: Mapping[str, JobRow],
    squeue: Sequence[SqueueJob],
    sacct: Sequence[SacctJob],
    projects: Sequence[Project],
    now: float,
    *,
    already_final: frozenset[str] = frozenset(),
    grace_sec: float = MISSING_GRACE_SEC,
    watched: bool = False,
) -> Reconciliation:
    """`already_final`: ids of sacct jobs history already holds as final (left untouched, keeping their pin).

    `watched`: the previous refresh was moments ago, so a job that started and ended in between (never
    seen in squeue) finished while someone was looking: it is pinned like any other finished job.
    """
    live: list[JobRow] = []
    writes: list[JobRow] = []
    finalised: list[str] = []
    in_queue: set[str] = set()
    for job in squeue:
        row = _merge_live(known_active.get(job.job_id), from_squeue(cluster, job, projects, now), job.dependency)
        live.append(row)
        in_queue.add(job.job_id)
        if not is_aggregate(job.job_id):
            writes.append(row)

    accounted = {job.job_id: job for job in sacct}
    for job_id, known in known_active.items():
        if job_id in in_queue or is_aggregate(job_id):
            continue
        record = accounted.get(job_id)
        if record is not None and not is_terminal(record.state):
            # still active per accounting (e.g. requeued, or between squeue and sacct): keep watching
            writes.append(
                replace(
                    known, state=record.state, reason=record.reason or known.reason, last_seen=now, missing_since=None
                )
            )
            continue
        if record is None and (known.missing_since is None or now - known.missing_since < grace_sec):
            writes.append(replace(known, missing_since=known.missing_since or now))
            continue
        fin = finalise_gone(known.state, known.reason or "", record, now)
        base = from_sacct(cluster, record, projects, now) if record is not None else known
        writes.append(
            replace(
                base,
                state=fin.state,
                state_detail=fin.state_detail or None,
                reason=fin.reason or None,
                exit_code=fin.exit_code if fin.exit_code is not None else base.exit_code,
                signal=fin.signal if fin.signal is not None else base.signal,
                end_time=fin.end_time,
                dependencies=known.dependencies,
                first_seen=known.first_seen,
                std_out=known.std_out,
                std_err=known.std_err,
                work_dir=known.work_dir,
                pinned=True,
                missing_since=None,
                last_seen=now,
                finalised_at=now,
            )
        )
        finalised.append(job_id)

    for job_id, record in accounted.items():
        if job_id in in_queue or job_id in known_active or job_id in already_final or is_aggregate(job_id):
            continue
        row = from_sacct(cluster, record, projects, now)
        if watched and is_terminal(record.state):
            row = replace(row, pinned=True)
            finalised.append(job_id)
        writes.append(row)  # otherwise it finished while nobody watched: history only
    return Reconciliation(live=live, writes=writes, finalised=finalised)
