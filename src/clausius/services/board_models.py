"""The board as every interface receives it: clusters → projects → runs → jobs.

Everything a page, an agent or the terminal needs is decided here on the
server (grouping, order, depth, labels, counts); clients only render it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class JobCrash(BaseModel):
    kind: str
    line: str | None = None


class PendingInfo(BaseModel):
    code: str
    short: str
    detail: str
    blocker: str
    estimated_start: float | None = None


class BoardJob(BaseModel):
    cluster: str
    job_id: str
    name: str
    state: str
    bucket: str = Field(
        default="other",
        description="The state's group, decided by core: running, pending, completed, failed, cancelled or other.",
    )
    reason: str | None
    user: str | None
    account: str | None
    partition: str | None
    nodes: int | None
    gpus: int | None
    gpu_type: str | None
    node_list: str | None
    submit_time: float | None
    start_time: float | None
    end_time: float | None
    elapsed_sec: int | None
    time_limit_sec: int | None
    exit_code: int | None
    depends_on: list[str] = Field(description="Ids of jobs this one waits for (within the board).")
    dependencies: list[tuple[str, str]] = Field(description="Slurm dependencies as (type, job id).")
    depth: int = Field(description="Position in the run's dependency chain (0 = root).")
    pinned: bool = Field(description="Finished while watched; stays until dismissed.")
    background: bool = Field(description="Matches a background suffix: shown dimmed.")
    crash: JobCrash | None = None
    progress: float | None = None
    pending: PendingInfo | None = None
    can_cancel: bool
    can_dismiss: bool


class Counts(BaseModel):
    running: int = 0
    pending: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    other: int = 0
    gpus_running: int = 0
    gpus_pending: int = 0


class BoardRun(BaseModel):
    run_id: str
    label: str
    campaign: str | None
    counts: Counts
    jobs: list[BoardJob]


class BoardProject(BaseModel):
    name: str
    color: str
    emoji: str
    counts: Counts
    runs: list[BoardRun]


class ClusterStatus(BaseModel):
    state: str = Field(description="live | stale | unreachable | idle | never")
    age_sec: float | None
    error: str | None
    last_success_at: float | None


class BoardCluster(BaseModel):
    name: str
    status: ClusterStatus
    counts: Counts
    projects: list[BoardProject]


class Board(BaseModel):
    version: str
    generated_at: float
    counts: Counts
    clusters: list[BoardCluster]


class AgentReport(BaseModel):
    """Cost counters of one cluster's agent and transport (for status pages and benchmarks)."""

    cluster: str
    state: str
    refreshes: int
    failures: int
    connections_opened: int
    commands_run: int
    commands_failed: int
    polling: bool = Field(description="Someone asked within the demand window.")
    crashes: int = Field(
        default=0,
        description="Unexpected errors (bugs) in this cluster's refresh loop or log inspection; each restarts it.",
    )


class PriorityFactors(BaseModel):
    """Why a pending job waits: Slurm's reason in plain words, its start estimate and priority factors."""

    cluster: str
    job_id: str
    state: str
    pending: PendingInfo | None
    priority: float | None = None
    age: float | None = None
    fairshare: float | None = None
    jobsize: float | None = None
    partition: float | None = None
    qos: float | None = None
    note: str | None = Field(default=None, description="Why factors are missing, when they are.")
