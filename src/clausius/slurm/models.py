"""Typed records parsed from Slurm output.

All times are UTC epoch seconds (floats) or None; durations are seconds; a
`time_limit_sec` of None means unlimited. Raw Slurm strings are kept next to
derived values where the derivation loses information (GRES, TRES,
dependencies), so core/ can apply its own rules later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple


class Dependency(NamedTuple):
    """One dependency clause: `afterok:12(unfulfilled)` → ("afterok", "12", "unfulfilled")."""

    type: str
    job_id: str
    state: str = ""


class JobIdParts(NamedTuple):
    """A displayed job id split: `13_1` → base 13, array task "1"; `123+0` → het offset 0."""

    base: str
    array_task: str | None
    het_offset: int | None
    step: str | None


@dataclass(frozen=True, slots=True)
class RemoteClock:
    """The cluster's clock as `date +%s%z` reported it."""

    epoch: int
    utc_offset_sec: int


@dataclass(frozen=True, slots=True)
class SqueueJob:
    job_id: str  # as displayed: 123, 13_1, 13_[3-4%2], 123+0
    raw_id: str  # %A: the unique numeric id of this record
    array_job_id: str | None
    array_task: str | None  # "1", "[3-4%2]" for a pending remainder
    het_job_id: str | None
    het_offset: int | None
    name: str
    user: str
    state: str
    reason: str
    account: str
    partition: str
    qos: str
    priority: int | None
    nodes: int
    cpus: int
    node_list: str
    gres: str  # raw tres-per-node, "" when N/A
    tres: str  # raw tres-alloc: allocated TRES when running, requested while pending
    gpus: int | None  # core.gpus.job_gpus: None when squeue cannot tell
    gpu_type: str | None
    submit_time: float | None
    start_time: float | None  # for pending jobs: Slurm's estimate, if any
    end_time: float | None
    time_used_sec: int | None
    time_limit_sec: int | None  # None = unlimited
    dependency: str  # raw %E, "(null)" → ""
    dependencies: tuple[Dependency, ...]


@dataclass(frozen=True, slots=True)
class SacctJob:
    job_id: str  # as displayed: 123, 13_1, 13_[3-4%2], 123+0
    raw_id: str  # JobIDRaw
    array_job_id: str | None
    array_task: str | None
    het_job_id: str | None
    het_offset: int | None
    name: str
    user: str
    account: str
    partition: str
    qos: str
    state: str  # first word: CANCELLED
    state_detail: str  # full text: CANCELLED by 1001
    exit_code: int | None
    signal: int | None
    derived_exit_code: int | None
    derived_signal: int | None
    reason: str
    submit_time: float | None
    start_time: float | None
    end_time: float | None
    elapsed_sec: int | None
    time_limit_sec: int | None
    nodes: int
    cpus: int
    node_list: str
    alloc_tres: str
    req_tres: str
    gpus: int | None  # core.gpus.job_gpus of AllocTRES, ReqTRES
    gpu_type: str | None
    restarts: int  # earlier records of this job in the same output (requeues; needs sacct -D)


@dataclass(frozen=True, slots=True)
class ScontrolJob:
    job_id: str  # JobId (numeric; for arrays the task's own id)
    array_job_id: str | None
    array_task: str | None
    het_job_id: str | None
    het_offset: int | None
    name: str
    user: str
    uid: int | None
    state: str
    reason: str
    account: str
    partition: str
    qos: str
    priority: int | None
    std_out: str
    std_err: str
    std_in: str
    work_dir: str
    command: str
    comment: str
    dependency: str
    dependencies: tuple[Dependency, ...]
    batch_host: str
    node_list: str
    num_nodes: int | None
    num_cpus: int | None
    tres: str  # AllocTRES when allocated, else ReqTRES/TRES
    tres_per_node: str
    gpus: int | None  # core.gpus.job_gpus of the TRES, TresPerNode × nodes, TresPerJob
    gpu_type: str | None
    exit_code: int | None
    signal: int | None
    restarts: int | None
    run_time_sec: int | None
    time_limit_sec: int | None
    submit_time: float | None
    start_time: float | None
    end_time: float | None
    raw: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    name: str
    is_default: bool
    available: str  # up, down, drain, inact
    time_limit_sec: int | None  # None = infinite
    nodes_total: int
    nodes_alloc: int
    nodes_idle: int
    nodes_other: int
    cpus_per_node: int  # max over the partition's node groups
    memory_mb_per_node: int | None
    gpus_per_node: int  # max over the partition's node groups
    gpu_types: tuple[str, ...]
    gres: tuple[str, ...]  # raw %G of each node group (without "(null)")


@dataclass(frozen=True, slots=True)
class ShareRow:
    account: str
    user: str  # "" for an account (non-user) row
    depth: int  # indentation of the account column in the tree
    raw_shares: int | None  # None for "parent"
    norm_shares: float | None
    raw_usage: int | None
    norm_usage: float | None
    effective_usage: float | None
    fairshare: float | None
    level_fs: float | None  # may be math.inf
    grp_tres_mins: str
    tres_run_mins: str
    columns: Mapping[str, str]  # every column by header name, as printed


@dataclass(frozen=True, slots=True)
class PrioRow:
    job_id: str
    user: str
    account: str
    partition: str
    qos: str
    priority: float | None
    age: float | None
    fairshare: float | None
    jobsize: float | None
    partition_factor: float | None
    qos_factor: float | None
    site: float | None
    assoc: float | None
    nice: int | None
    tres: str
    columns: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class StartEstimate:
    job_id: str
    start_time: float | None
    nodes: int | None
    sched_nodes: str
    reason: str


@dataclass(frozen=True, slots=True)
class SstatRow:
    job_step: str
    ntasks: int | None
    ave_cpu_sec: float | None
    ave_rss_bytes: int | None
    max_rss_bytes: int | None
    max_vmsize_bytes: int | None
    tres_usage_in_max: str


@dataclass(frozen=True, slots=True)
class CancelResult:
    job_id: str
    ok: bool
    error: str | None = None
