"""squeue parser on output recorded from the lab (alpha in Europe/Berlin, beta in Asia/Kolkata)."""

from __future__ import annotations

from clausius.slurm.models import Dependency, SqueueJob
from clausius.slurm.squeue import parse_squeue, parse_squeue_start

from .recorded import jid, load


def jobs(name: str) -> dict[str, SqueueJob]:
    rec = load("squeue", name)
    return {j.job_id: j for j in parse_squeue(rec.out, rec.offset)}


def by_name(name: str) -> dict[str, list[SqueueJob]]:
    out: dict[str, list[SqueueJob]] = {}
    rec = load("squeue", name)
    for job in parse_squeue(rec.out, rec.offset):
        out.setdefault(job.name, []).append(job)
    return out


def test_pending_and_running_mix() -> None:
    alice = jobs("alpha-alice-initial")
    long_sleep = alice[jid("long-sleep")]
    assert (long_sleep.state, long_sleep.reason, long_sleep.node_list) == ("RUNNING", "", "alpha-cpu1")
    assert long_sleep.time_limit_sec == 30 * 60
    needs = alice[jid("needs-long")]
    assert (needs.state, needs.reason) == ("PENDING", "Dependency")
    assert needs.dependency == f"afterok:{jid('long-sleep')}(unfulfilled)"
    assert needs.dependencies == (Dependency("afterok", jid("long-sleep"), "unfulfilled"),)
    judge = alice[jid("hle_mpsf_nem120b-r9-judge-rs0")]
    assert judge.dependencies == (Dependency("afterany", jid("hle_mpsf_nem120b-r9"), "unfulfilled"),)
    assert long_sleep.dependency == "" and long_sleep.dependencies == ()  # `(null)`


def test_array_ids() -> None:
    alice = jobs("alpha-alice-initial")
    base = jid("array-job")
    rest = alice[f"{base}_[3-4%2]"]
    assert (rest.array_job_id, rest.array_task, rest.raw_id) == (base, "[3-4%2]", base)
    assert (rest.state, rest.reason) == ("PENDING", "JobArrayTaskLimit")
    tasks = [alice[f"{base}_{i}"] for i in (1, 2)]
    assert [t.array_task for t in tasks] == ["1", "2"]
    assert all(t.state == "RUNNING" and t.array_job_id == base for t in tasks)
    assert len({t.raw_id for t in tasks} | {base}) == 3  # each task has its own numeric id


def test_gpus_from_gres() -> None:
    carol = by_name("alpha-carol-initial")
    train = carol["gpu-train"][0]
    assert (train.gres, train.gpus, train.gpu_type, train.cpus) == ("gres:gpu:h100:4", 4, "h100", 16)
    big = by_name("alpha-alice-initial")["big-gpu"][0]
    assert (big.gres, big.gpus, big.gpu_type) == ("gres:gpu:h100:8", 8, "h100")
    over = carol["gpu-over-cap"][0]
    assert (over.state, over.gpus) == ("PENDING", 2)
    chem = by_name("alpha-bob-initial")["chem-md"][0]
    assert (chem.gres, chem.gpus, chem.gpu_type, chem.cpus) == ("", 0, None, 4)
    beta = by_name("beta-bob-initial")["beta-gpu"][0]
    assert (beta.gpus, beta.gpu_type, beta.state) == (2, "a100", "RUNNING")


def test_reasons() -> None:
    seen: dict[str, str] = {}
    for name in ("alpha-alice-initial", "alpha-bob-initial", "alpha-carol-initial", "beta-bob-initial"):
        for job in parse_squeue(load("squeue", name).out, 0):
            if job.state == "PENDING":
                seen[job.name] = job.reason
    # Deterministic ones, whatever order the scheduler placed the GPU jobs in:
    assert seen["needs-long"] == "Dependency"
    assert seen["held-job"] == "JobHeldUser"
    assert seen["array-job"] == "JobArrayTaskLimit"
    assert seen["beta-bio-big"] == "PartitionConfig"
    # GPU jobs that did not fit wait for Resources, behind others (Priority), or on the ml cap (AssocGrpGRES).
    gpu_waits = {r for n, r in seen.items() if n.startswith(("gpu-", "big-gpu"))}
    assert "Resources" in gpu_waits and gpu_waits <= {"Resources", "Priority", "AssocGrpGRES"}
    assert "Priority" in set(seen.values()) | {
        j.reason for j in parse_squeue(load("squeue", "alpha-alice-fixture-jobs").out, 0)
    }
    held = by_name("alpha-bob-initial")["held-job"][0]
    assert held.priority == 0
    bio = by_name("beta-bob-initial")["beta-bio-big"][0]
    assert (bio.nodes, bio.cpus) == (2, 20)
    waiting = [j for j in parse_squeue(load("squeue", "alpha-carol-initial").out, 0) if j.reason == "Resources"]
    waiting += [j for j in parse_squeue(load("squeue", "alpha-alice-initial").out, 0) if j.reason == "Resources"]
    assert waiting and all(j.start_time is not None for j in waiting)  # Slurm's expected start


def test_weird_and_multiline_names_survive() -> None:
    alice = by_name("alpha-alice-initial")
    assert alice["weird|name job"][0].state == "RUNNING"
    own = by_name("alpha-alice-fixture-jobs")
    assert own["fixture-new\nline"][0].reason == "JobHeldUser"


def test_het_job() -> None:
    own = jobs("alpha-alice-fixture-jobs")
    base = jid("fixture-het")
    first, second = own[f"{base}+0"], own[f"{base}+1"]
    assert (first.het_job_id, first.het_offset, first.raw_id) == (base, 0, base)
    assert (second.het_job_id, second.het_offset) == (base, 1)
    assert second.raw_id == str(int(base) + 1)
    assert first.array_task is None


def test_gpus_per_job_and_per_node() -> None:
    own = by_name("alpha-alice-fixture-jobs")
    # --gpus=2 is a per-job request: tres-per-node is N/A; the job's TRES (tres-alloc) counts it.
    gpus = own["fixture-gpus"][0]
    assert (gpus.gres, gpus.gpus) == ("", 2) and "gres/gpu=2" in gpus.tres
    gpn = own["fixture-gpn"][0]
    assert (gpn.gres, gpn.nodes, gpn.gpus, gpn.gpu_type) == ("gres:gpu:3", 2, 6, None)


def test_times_use_the_recorded_offset() -> None:
    for name in ("alpha-alice-initial", "beta-alice-initial"):
        rec = load("squeue", name)
        for job in parse_squeue(rec.out, rec.offset):
            # every job was submitted within minutes before the recording (clock is UTC epoch)
            assert job.submit_time is not None
            assert rec.epoch - 600 < job.submit_time <= rec.epoch
            if job.state == "RUNNING":
                assert job.start_time is not None and job.end_time is not None
                assert job.time_limit_sec is not None
                assert job.end_time - job.start_time == job.time_limit_sec
                assert job.time_used_sec is not None
                assert abs(rec.epoch - job.start_time - job.time_used_sec) <= 3
    assert load("squeue", "alpha-alice-initial").offset == 3600
    assert load("squeue", "beta-alice-initial").offset == 19800


def test_finished_jobs_with_all_states() -> None:
    rec = load("squeue", "alpha-alice-later-all-states")
    states = {j.name: j.state for j in parse_squeue(rec.out, rec.offset)}
    assert states["fail-exit3"] == "FAILED"
    assert states["timeout-job"] == "TIMEOUT"
    assert states["pending-cancel"] == "CANCELLED"


def test_squeue_start() -> None:
    rec = load("squeue-start", "alpha-alice-later")
    starts = {s.job_id: s for s in parse_squeue_start(rec.out, rec.offset)}
    waiting = [s for s in starts.values() if s.reason == "Resources"]
    assert waiting and all(s.start_time is not None and s.start_time > rec.epoch for s in waiting)
    assert all(s.sched_nodes.startswith("alpha-gpu") for s in waiting)
    needs = starts[jid("needs-long")]
    assert (needs.start_time, needs.sched_nodes, needs.reason) == (None, "", "Dependency")
    assert starts[f"{jid('array-job')}_[3-4%2]"].reason == "JobArrayTaskLimit"
    requeued = starts[jid("fixture-requeue")]
    assert requeued.reason == "BeginTime" and requeued.start_time is not None
    assert starts[jid("fixture-gpn")].nodes == 2


def test_empty_output() -> None:
    rec = load("squeue", "beta-alice-later")
    assert len(parse_squeue(rec.out, rec.offset)) == 1
    assert parse_squeue("", 0) == []
    assert parse_squeue_start(load("squeue-start", "beta-alice-initial").out, 0) == []
