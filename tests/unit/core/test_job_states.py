"""State vocabulary and finalisation of jobs that left the queue (reference §8.1)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from clausius.core.job_states import (
    ACTIVE_STATES,
    FAILED_STATES,
    REASON_GONE_PENDING,
    REASON_KILLED_EXTERNALLY,
    TERMINAL_STATES,
    base_state,
    finalise_gone,
    is_terminal,
    merge_dependencies,
    shown_reason,
    state_rank,
)
from clausius.slurm.models import Dependency, SacctJob
from clausius.slurm.sacct import parse_sacct
from tests.unit.slurm.recorded import load

NOW = 1_795_600_000.0


def recorded_sacct() -> dict[str, SacctJob]:
    """The lab's sacct records by job name (last record wins, as for a requeued job)."""
    rec = load("sacct", "alpha-alice-jobs")
    return {job.name: job for job in parse_sacct(rec.out, rec.offset)}


def test_state_sets_are_consistent() -> None:
    assert not ACTIVE_STATES & TERMINAL_STATES
    assert FAILED_STATES <= TERMINAL_STATES
    assert "CANCELLED" not in FAILED_STATES and "COMPLETED" not in FAILED_STATES


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("CANCELLED by 1001", "CANCELLED"),
        ("cancelled+", "CANCELLED"),
        ("  RUNNING ", "RUNNING"),
        ("", ""),
    ],
)
def test_base_state(state: str, expected: str) -> None:
    assert base_state(state) == expected


@pytest.mark.parametrize(
    ("state", "terminal"),
    [
        ("COMPLETED", True),
        ("CANCELLED by 1001", True),
        ("OUT_OF_MEMORY", True),
        ("PREEMPTED", True),
        ("REVOKED", True),
        ("DEADLINE", True),
        ("REQUEUED", False),  # requeued jobs come back: never final
        ("REQUEUE_HOLD", False),
        ("PENDING", False),
        ("COMPLETING", False),
        ("STOPPED", False),
        ("", False),
        ("WEIRD", False),
    ],
)
def test_is_terminal(state: str, terminal: bool) -> None:
    assert is_terminal(state) is terminal


@pytest.mark.parametrize(
    ("state", "rank"),
    [
        ("RUNNING", 0),
        ("COMPLETING", 1),
        ("PENDING", 2),
        ("FAILED", 3),
        ("TIMEOUT", 3),
        ("OUT_OF_MEMORY", 3),
        ("NODE_FAIL", 3),
        ("CANCELLED by 1001", 4),
        ("COMPLETED", 5),
        ("SUSPENDED", 9),
        ("", 9),
    ],
)
def test_state_rank(state: str, rank: int) -> None:
    assert state_rank(state) == rank


@pytest.mark.parametrize(
    ("name", "last_state", "last_reason", "state", "detail", "reason", "exit_code", "signal"),
    [
        # cancelled while waiting on a dependency: sacct's "by <uid>" beats the stale squeue reason
        ("pending-cancel", "PENDING", "Dependency", "CANCELLED", "CANCELLED by 1001", "CANCELLED by 1001", 0, 0),
        ("fail-exit3", "RUNNING", "None", "FAILED", "FAILED", "", 3, 0),
        ("oom-job", "RUNNING", "None", "FAILED", "FAILED", "", 0, 9),
        ("segfault-job", "RUNNING", "None", "FAILED", "FAILED", "", 0, 11),
        ("timeout-job", "RUNNING", "TimeLimit", "TIMEOUT", "TIMEOUT", "TimeLimit", 0, 0),
        ("py-traceback", "RUNNING", "Priority", "FAILED", "FAILED", "", 1, 0),
    ],
)
def test_finalise_with_recorded_sacct(
    name: str,
    last_state: str,
    last_reason: str,
    state: str,
    detail: str,
    reason: str,
    exit_code: int,
    signal: int,
) -> None:
    record = recorded_sacct()[name]
    fin = finalise_gone(last_state, last_reason, record, NOW)
    assert (fin.state, fin.state_detail, fin.reason) == (state, detail, reason)
    assert (fin.exit_code, fin.signal) == (exit_code, signal)
    assert fin.end_time == record.end_time and fin.end_time is not None
    assert fin.killed_externally is False
    assert is_terminal(fin.state)


def test_requeued_record_is_not_final() -> None:
    # sacct -D lists the REQUEUED attempt, then the job pending again; the latest record wins.
    # The recording's reason depends on when slurmdbd caught up; the rule is tested with a known one.
    record = replace(recorded_sacct()["fixture-requeue"], reason="BeginTime")
    fin = finalise_gone("RUNNING", "None", record, NOW)
    assert fin.state == "PENDING"
    assert not is_terminal(fin.state)
    assert fin.end_time is None  # not ended: no invented end time
    assert fin.reason == "BeginTime"  # sacct's own reason when squeue's says nothing


def test_terminal_record_without_end_time_ends_now() -> None:
    record = recorded_sacct()["fail-exit3"]
    fin = finalise_gone("RUNNING", "", replace(record, end_time=None), NOW)
    assert fin.end_time == NOW


@pytest.mark.parametrize(
    ("last_state", "state", "reason", "killed"),
    [
        ("PENDING", "CANCELLED", REASON_GONE_PENDING, False),
        ("REQUEUED", "CANCELLED", REASON_GONE_PENDING, False),
        ("", "CANCELLED", REASON_GONE_PENDING, False),  # unknown counts as pending
        ("SOMETHING_NEW", "CANCELLED", REASON_GONE_PENDING, False),
        ("RUNNING", "FAILED", REASON_KILLED_EXTERNALLY, True),
        ("COMPLETING", "FAILED", REASON_KILLED_EXTERNALLY, True),
        ("SUSPENDED", "FAILED", REASON_KILLED_EXTERNALLY, True),
    ],
)
def test_finalise_without_accounting(last_state: str, state: str, reason: str, killed: bool) -> None:
    fin = finalise_gone(last_state, "None", None, NOW)
    assert (fin.state, fin.reason, fin.killed_externally) == (state, reason, killed)
    assert (fin.exit_code, fin.signal, fin.end_time) == (None, None, NOW)


def test_finalise_keeps_a_final_state_squeue_already_showed() -> None:
    fin = finalise_gone("COMPLETED", "None", None, NOW)
    assert (fin.state, fin.reason, fin.killed_externally) == ("COMPLETED", "", False)


KNOWN = (Dependency("afterany", "166", "unfulfilled"),)


@pytest.mark.parametrize(
    ("observed", "raw", "expected"),
    [
        ((), "(null)", KNOWN),  # regression #7: (null) once satisfied must not erase the edge
        ((), "", KNOWN),
        ((), "garbage-we-cannot-parse", KNOWN),
        (
            (Dependency("afterok", "170", "unfulfilled"),),
            "afterok:170(unfulfilled)",
            (Dependency("afterok", "170", "unfulfilled"),),
        ),
    ],
)
def test_merge_dependencies(observed: tuple[Dependency, ...], raw: str, expected: tuple[Dependency, ...]) -> None:
    assert merge_dependencies(KNOWN, observed, raw) == expected


def test_merge_dependencies_without_knowledge() -> None:
    assert merge_dependencies((), (), "(null)") == ()


def test_the_reason_shown_beside_a_state_never_just_repeats_it() -> None:
    assert shown_reason("FAILED", "FAILED", None) is None
    assert shown_reason("CANCELLED", "CANCELLED by 1001", "None") == "CANCELLED by 1001"
    assert shown_reason("PENDING", None, "Dependency") == "Dependency"
    assert shown_reason("TIMEOUT", None, "TIMEOUT") is None
    assert shown_reason("COMPLETED", "", None) is None


def test_shown_reason_leaves_out_slurms_words_for_no_reason() -> None:
    assert shown_reason("RUNNING", None, "None") is None
    assert shown_reason("PENDING", None, "(null)") is None
    assert shown_reason("PENDING", None, "Priority") == "Priority"
    assert shown_reason("CANCELLED", "CANCELLED by 1001", "None") == "CANCELLED by 1001"
