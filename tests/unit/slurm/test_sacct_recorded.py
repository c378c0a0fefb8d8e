"""sacct parser on accounting records recorded from the lab."""

from __future__ import annotations

from clausius.slurm.models import SacctJob
from clausius.slurm.sacct import parse_exit_code, parse_sacct
from clausius.slurm.timeparse import parse_timestamp

from .recorded import jid, load


def records(name: str) -> dict[str, SacctJob]:
    rec = load("sacct", name)
    return {j.job_id: j for j in parse_sacct(rec.out, rec.offset)}


def test_final_states_and_exit_codes() -> None:
    jobs = records("alpha-alice-jobs")
    fail = jobs[jid("fail-exit3")]
    assert (fail.state, fail.exit_code, fail.signal, fail.state_detail) == ("FAILED", 3, 0, "FAILED")
    tb = jobs[jid("py-traceback")]
    assert (tb.state, tb.exit_code) == ("FAILED", 1)
    timeout = jobs[jid("timeout-job")]
    assert (timeout.state, timeout.exit_code, timeout.time_limit_sec) == ("TIMEOUT", 0, 60)
    assert timeout.elapsed_sec is not None and timeout.elapsed_sec >= 60


def test_oom_and_segfault_show_as_signals() -> None:
    """Without cgroups the lab's over-memory job is SIGKILLed (FAILED 0:9), not OUT_OF_MEMORY."""
    jobs = records("alpha-alice-jobs")
    oom = jobs[jid("oom-job")]
    assert (oom.state, oom.exit_code, oom.signal) == ("FAILED", 0, 9)
    assert "mem=200M" in oom.alloc_tres
    segv = jobs[jid("segfault-job")]
    assert (segv.state, segv.exit_code, segv.signal) == ("FAILED", 0, 11)


def test_cancelled_pending_job() -> None:
    cancelled = records("alpha-alice-jobs")[jid("pending-cancel")]
    assert cancelled.state == "CANCELLED"
    assert cancelled.state_detail == "CANCELLED by 1001"  # alice's uid: the user cancelled it
    assert cancelled.start_time is None and cancelled.end_time is not None
    assert cancelled.node_list == "" and cancelled.alloc_tres == ""  # "None assigned", never allocated
    # cancelled by the demo's clean-up (root) in the window of the later listing
    earlier = [j for j in records("alpha-bob-later").values() if j.state_detail == "CANCELLED by 0"]
    assert earlier and all(j.state == "CANCELLED" for j in earlier)


def test_requeue_is_counted() -> None:
    requeued = records("alpha-alice-jobs")[jid("fixture-requeue")]
    assert (requeued.state, requeued.restarts) == ("PENDING", 1)  # its reason: as far as slurmdbd caught up
    assert sum(1 for j in records("alpha-alice-jobs").values() if j.job_id == jid("fixture-requeue")) == 1


def test_array_and_het_ids() -> None:
    jobs = records("alpha-alice-jobs")
    base = jid("array-job")
    rest = jobs[f"{base}_[3-4%2]"]
    assert (rest.raw_id, rest.array_job_id, rest.array_task, rest.state) == (base, base, "[3-4%2]", "PENDING")
    assert rest.reason in ("JobArrayTaskLimit", "")  # empty until slurmdbd has caught up
    assert jobs[f"{base}_1"].raw_id != base
    het = jid("fixture-het")
    assert (jobs[f"{het}+0"].het_offset, jobs[f"{het}+1"].het_offset) == (0, 1)
    assert jobs[f"{het}+1"].raw_id == str(int(het) + 1)
    assert jobs[jid("weird|name job")].name == "weird|name job"


def test_gpus_from_tres() -> None:
    carol = {j.name: j for j in records("alpha-carol-later").values() if j.state != "CANCELLED"}
    assert (carol["gpu-train"].gpus, carol["gpu-train"].gpu_type) == (4, "h100")
    pending = carol["gpu-over-cap"]
    assert (pending.state, pending.alloc_tres, pending.gpus) == ("PENDING", "", 2)  # from ReqTRES
    beta = {j.name: j for j in records("beta-bob-later").values()}
    assert (beta["beta-gpu"].gpus, beta["beta-gpu"].gpu_type) == (2, "a100")


def test_times_converted_with_the_recorded_offset() -> None:
    rec = load("sacct", "alpha-alice-jobs")
    jobs = records("alpha-alice-jobs")
    fail = jobs[jid("fail-exit3")]
    raw_submit = next(ln for ln in rec.out.splitlines() if ln.startswith(jid("fail-exit3") + "|")).split("|")[10]
    assert fail.submit_time == parse_timestamp(raw_submit, 3600)
    assert fail.submit_time is not None and rec.epoch - 600 < fail.submit_time < rec.epoch
    for job in jobs.values():
        if job.start_time is not None and job.end_time is not None and job.elapsed_sec is not None:
            assert job.end_time - job.start_time == job.elapsed_sec
    beta = load("sacct", "beta-bob-later")
    assert beta.offset == 19800
    for job in parse_sacct(beta.out, beta.offset):
        assert job.submit_time is not None and beta.epoch - 900 < job.submit_time < beta.epoch


def test_running_jobs_have_no_end() -> None:
    running = [j for j in records("alpha-alice-initial").values() if j.state == "RUNNING"]
    assert running and all(j.end_time is None and j.start_time is not None for j in running)


def test_exit_code_text() -> None:
    assert parse_exit_code("0:15") == (0, 15)
    assert parse_exit_code("") == (None, None)
