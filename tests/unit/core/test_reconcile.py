"""History rules for one refresh (pure): upserts, finalisation, grace, pins, aggregates."""

from __future__ import annotations

from dataclasses import replace

from clausius.core.job_record import JobRow
from clausius.core.reconcile import MISSING_GRACE_SEC, from_squeue, reconcile
from clausius.slurm.models import Dependency, SacctJob, SqueueJob

NOW = 1_800_000_000.0


def squeue(
    job_id: str,
    state: str = "RUNNING",
    name: str = "hle_mpsf_run-1",
    deps: str = "",
    dependencies: tuple[Dependency, ...] = (),
) -> SqueueJob:
    return SqueueJob(
        job_id=job_id,
        raw_id=job_id,
        array_job_id=None,
        array_task=None,
        het_job_id=None,
        het_offset=None,
        name=name,
        user="alice",
        state=state,
        reason="None",
        account="ml",
        partition="gpu",
        qos="normal",
        priority=1,
        nodes=1,
        cpus=4,
        node_list="n1",
        gres="gpu:h100:4",
        tres="cpu=4,mem=16G,node=1,billing=4,gres/gpu=4,gres/gpu:h100=4",
        gpus=4,
        gpu_type="h100",
        submit_time=NOW - 100,
        start_time=NOW - 50,
        end_time=None,
        time_used_sec=50,
        time_limit_sec=3600,
        dependency=deps,
        dependencies=dependencies,
    )


def sacct(
    job_id: str,
    state: str,
    detail: str | None = None,
    exit_code: int = 0,
    name: str = "hle_mpsf_run-1",
) -> SacctJob:
    return SacctJob(
        job_id=job_id,
        raw_id=job_id,
        array_job_id=None,
        array_task=None,
        het_job_id=None,
        het_offset=None,
        name=name,
        user="alice",
        account="ml",
        partition="gpu",
        qos="normal",
        state=state,
        state_detail=detail or state,
        exit_code=exit_code,
        signal=0,
        derived_exit_code=0,
        derived_signal=0,
        reason="None",
        submit_time=NOW - 100,
        start_time=NOW - 50,
        end_time=NOW - 5,
        elapsed_sec=45,
        time_limit_sec=3600,
        nodes=1,
        cpus=4,
        node_list="n1",
        alloc_tres="",
        req_tres="",
        gpus=4,
        gpu_type="h100",
        restarts=0,
    )


def known(job_id: str, state: str = "RUNNING", **fields: object) -> JobRow:
    row = JobRow(
        cluster="alpha",
        job_id=job_id,
        state=state,
        name="hle_mpsf_run-1",
        first_seen=NOW - 500,
        last_seen=NOW - 15,
        std_out="/home/alice/out.log",
    )
    return replace(row, **fields)  # type: ignore[arg-type]


def test_queue_jobs_are_upserted_with_project_and_campaign() -> None:
    result = reconcile("alpha", {}, [squeue("1")], [], [], NOW)
    assert [r.job_id for r in result.writes] == ["1"] and result.finalised == []
    row = result.writes[0]
    assert (row.project, row.campaign, row.gpus, row.first_seen) == ("hle", "mpsf", 4, NOW)


def test_a_null_dependency_never_erases_a_known_one() -> None:
    before = known("2", "PENDING", dependencies=[("afterok", "1")])
    result = reconcile("alpha", {"2": before}, [squeue("2", "RUNNING", deps="(null)")], [], [], NOW)
    assert result.writes[0].dependencies == [("afterok", "1")]
    assert result.writes[0].first_seen == before.first_seen and result.writes[0].std_out == "/home/alice/out.log"


def test_a_job_that_left_the_queue_is_finalised_from_sacct_and_pinned() -> None:
    result = reconcile("alpha", {"1": known("1")}, [], [sacct("1", "FAILED", exit_code=3)], [], NOW)
    row = result.writes[0]
    assert (row.state, row.exit_code, row.pinned, row.finalised_at) == ("FAILED", 3, True, NOW)
    assert result.finalised == ["1"] and row.std_out == "/home/alice/out.log"


def test_without_an_accounting_record_it_waits_then_falls_back() -> None:
    first = reconcile("alpha", {"1": known("1"), "2": known("2", "PENDING")}, [], [], [], NOW)
    assert {r.job_id: r.missing_since for r in first.writes} == {"1": NOW, "2": NOW}
    assert first.finalised == []
    later = NOW + MISSING_GRACE_SEC + 1
    rows = {r.job_id: r for r in first.writes}
    second = reconcile("alpha", rows, [], [], [], later)
    final = {r.job_id: r for r in second.writes}
    assert final["1"].state == "FAILED" and "killed externally" in (final["1"].reason or "")
    assert final["2"].state == "CANCELLED"
    assert all(r.pinned and r.missing_since is None for r in final.values())


def test_a_requeued_job_is_not_final() -> None:
    result = reconcile("alpha", {"1": known("1")}, [], [sacct("1", "REQUEUED")], [], NOW)
    assert result.writes[0].state == "REQUEUED" and not result.writes[0].pinned and result.finalised == []


def test_jobs_only_sacct_knows_are_history_pinned_only_when_watched() -> None:
    quiet = reconcile("alpha", {}, [], [sacct("9", "COMPLETED")], [], NOW)
    assert quiet.writes[0].state == "COMPLETED" and not quiet.writes[0].pinned and quiet.finalised == []
    watched = reconcile("alpha", {}, [], [sacct("9", "FAILED")], [], NOW, watched=True)
    assert watched.writes[0].pinned and watched.finalised == ["9"]
    again = reconcile("alpha", {}, [], [sacct("9", "FAILED")], [], NOW, watched=True, already_final=frozenset({"9"}))
    assert again.writes == []  # already stored as final: its pin (or dismissal) is left alone


def test_array_remainders_are_shown_but_never_stored() -> None:
    result = reconcile("alpha", {}, [squeue("13_[3-4%2]", "PENDING"), squeue("13_1")], [], [], NOW)
    assert [r.job_id for r in result.live] == ["13_[3-4%2]", "13_1"]
    assert [r.job_id for r in result.writes] == ["13_1"]


def test_an_unknown_gpu_count_never_replaces_a_known_one() -> None:
    known = from_squeue("c", squeue("5"), [], NOW)
    unknown = replace(squeue("5"), gres="", tres="", gpus=None, gpu_type=None)
    result = reconcile("c", {"5": known}, [unknown], [], [], NOW + 15)
    assert (result.live[0].gpus, result.live[0].gpu_type) == (4, "h100")
