"""Slurm job-state vocabulary and the rules for finalising a job that left the queue.

Pure: the current time is passed in, nothing is read or logged here.
"""

from __future__ import annotations

from dataclasses import dataclass

from clausius.slurm.models import Dependency, SacctJob

# STOPPED, RESV_DEL_HOLD and SPECIAL_EXIT are real Slurm states that are not finished either:
# listing them keeps `is_terminal` from finalising a job that is merely stopped or held.
ACTIVE_STATES: frozenset[str] = frozenset(
    {
        "PENDING",
        "RUNNING",
        "CONFIGURING",
        "COMPLETING",
        "SUSPENDED",
        "REQUEUED",
        "RESIZING",
        "SIGNALING",
        "STAGE_OUT",
        "REQUEUE_HOLD",
        "REQUEUE_FED",
        "STOPPED",
        "RESV_DEL_HOLD",
        "SPECIAL_EXIT",
    }
)
TERMINAL_STATES: frozenset[str] = frozenset(
    {
        "COMPLETED",
        "FAILED",
        "CANCELLED",
        "TIMEOUT",
        "OUT_OF_MEMORY",
        "NODE_FAIL",
        "BOOT_FAIL",
        "DEADLINE",
        "PREEMPTED",
        "REVOKED",
    }
)
FAILED_STATES: frozenset[str] = frozenset(
    {"FAILED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL", "DEADLINE", "PREEMPTED"}
)
# States in which the job has not started yet: leaving the queue from here without an
# accounting record means it was cancelled before it ran, not killed.
_NOT_STARTED: frozenset[str] = frozenset({"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"})
_UNINFORMATIVE_REASONS: frozenset[str] = frozenset({"", "none", "priority", "(null)"})

REASON_GONE_PENDING = "left the queue while pending (no accounting record)"
REASON_KILLED_EXTERNALLY = "killed externally (no accounting record)"


def base_state(state: str) -> str:
    """`CANCELLED by 1001` → `CANCELLED`; `cancelled+` → `CANCELLED`; blanks → ``."""
    words = state.split()
    return words[0].rstrip("+").upper() if words else ""


def is_terminal(state: str) -> bool:
    return base_state(state) in TERMINAL_STATES


BUCKETS = ("running", "pending", "completed", "failed", "cancelled", "other")


def bucket(state: str) -> str:
    """The board's coarse grouping of a state: running, pending, completed, failed, cancelled or other."""
    if state in ("RUNNING", "COMPLETING", "CONFIGURING"):
        return "running"
    if state in ("PENDING", "REQUEUED", "SUSPENDED"):
        return "pending"
    if state == "COMPLETED":
        return "completed"
    if state == "CANCELLED":
        return "cancelled"
    if state in FAILED_STATES:
        return "failed"
    return "other"


def is_active(state: str) -> bool:
    return base_state(state) in ACTIVE_STATES


def state_rank(state: str) -> int:
    """Sort order for display: running first, finished last, unknown after everything."""
    base = base_state(state)
    if base == "RUNNING":
        return 0
    if base == "COMPLETING":
        return 1
    if base == "PENDING":
        return 2
    if base in FAILED_STATES:
        return 3
    if base == "CANCELLED":
        return 4
    if base == "COMPLETED":
        return 5
    return 9


@dataclass(frozen=True, slots=True)
class Finalisation:
    state: str  # base state word, e.g. CANCELLED; may be non-terminal (REQUEUED) — check is_terminal
    state_detail: str  # full text, e.g. "CANCELLED by 1001"
    reason: str
    exit_code: int | None
    signal: int | None
    end_time: float | None
    killed_externally: bool


def _informative(reason: str) -> bool:
    return reason.strip().lower() not in _UNINFORMATIVE_REASONS


def final_reason(state_detail: str, state: str, last_reason: str, sacct_reason: str = "") -> str:
    """Reason precedence: sacct's state detail (`CANCELLED by 1001`), else the last squeue
    reason, else sacct's own reason — skipping the uninformative `None`/`Priority`."""
    detail = state_detail.strip()
    if detail and detail.upper() != state.upper():
        return detail
    for candidate in (last_reason, sacct_reason):
        if _informative(candidate):
            return candidate.strip()
    return ""


def shown_reason(state: str, state_detail: str | None, reason: str | None) -> str | None:
    """What to show beside the state: how a finished job ended (`CANCELLED by 1001`) or the
    last reason, but never a bare repeat of the state itself (`FAILED` beside FAILED)."""
    candidate = state_detail if is_terminal(state) and state_detail else reason
    if not candidate or candidate.strip().upper() == state.strip().upper():
        return None
    if candidate.strip().lower() in ("none", "(null)"):  # Slurm's words for "no reason" (running jobs)
        return None
    return candidate


def finalise_gone(last_state: str, last_reason: str, sacct: SacctJob | None, now: float) -> Finalisation:
    """What became of a job that is no longer in squeue."""
    if sacct is not None:
        state = base_state(sacct.state_detail) or base_state(sacct.state)
        terminal = state in TERMINAL_STATES
        end = sacct.end_time if sacct.end_time is not None else (now if terminal else None)
        return Finalisation(
            state=state,
            state_detail=sacct.state_detail.strip() or state,
            reason=final_reason(sacct.state_detail, state, last_reason, sacct.reason),
            exit_code=sacct.exit_code,
            signal=sacct.signal,
            end_time=end,
            killed_externally=False,
        )
    last = base_state(last_state)
    if last in TERMINAL_STATES:
        # squeue already showed the final state (MinJobAge window); accounting is just missing.
        reason = last_reason.strip() if _informative(last_reason) else ""
        return Finalisation(last, last_state.strip(), reason, None, None, now, killed_externally=False)
    if last in _NOT_STARTED or last not in ACTIVE_STATES:
        return Finalisation("CANCELLED", "CANCELLED", REASON_GONE_PENDING, None, None, now, killed_externally=False)
    return Finalisation("FAILED", "FAILED", REASON_KILLED_EXTERNALLY, None, None, now, killed_externally=True)


def merge_dependencies(
    known: tuple[Dependency, ...], observed: tuple[Dependency, ...], observed_raw: str
) -> tuple[Dependency, ...]:
    """Dependencies to keep after a new observation.

    Slurm prints `(null)` once a dependency is satisfied, so an empty observation — whether
    `observed_raw` is blank, `(null)` or text the parser could not read — means "nothing new",
    never "no dependencies": the known ones stay. A non-empty observation is the scheduler's
    current truth and replaces them.
    """
    return observed if observed else known
