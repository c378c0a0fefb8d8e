"""`scontrol -o show job` parser on records from the lab."""

from __future__ import annotations

import pytest

from clausius.slurm.errors import SlurmParseError
from clausius.slurm.models import Dependency, ScontrolJob
from clausius.slurm.scontrol import parse_scontrol_jobs, split_pairs

from .recorded import jid, load


def show(name: str) -> list[ScontrolJob]:
    rec = load("scontrol", name)
    return parse_scontrol_jobs(rec.out, rec.offset)


def one(name: str) -> ScontrolJob:
    (job,) = show(name)
    return job


def test_running_job() -> None:
    job = one("alpha-running")
    assert (job.job_id, job.name, job.state, job.reason) == (jid("long-sleep"), "long-sleep", "RUNNING", "")
    assert (job.user, job.uid, job.account, job.partition, job.qos) == ("alice", 1001, "physics", "cpu", "normal")
    assert job.std_out == f"/home/alice/jobs/slurm-{jid('long-sleep')}.out" == job.std_err
    assert (job.work_dir, job.std_in, job.command) == ("/home/alice/jobs", "/dev/null", "")  # script came on stdin
    assert (job.batch_host, job.node_list, job.num_nodes, job.num_cpus) == ("alpha-cpu1", "alpha-cpu1", 1, 1)
    assert job.time_limit_sec == 1800 and job.run_time_sec is not None
    assert job.start_time is not None and job.end_time == job.start_time + 1800
    assert job.raw["Power"] == "" and job.raw["MCS_label"] == "N/A"


def test_pending_dependency() -> None:
    job = one("alpha-pending-dependency")
    assert (job.state, job.reason, job.start_time, job.end_time) == ("PENDING", "Dependency", None, None)
    assert job.dependencies == (Dependency("afterok", jid("long-sleep"), "unfulfilled"),)


def test_array_records() -> None:
    base = jid("array-job")
    task = one("alpha-array-task")
    assert (task.array_job_id, task.array_task, task.state) == (base, "1", "RUNNING")
    assert task.std_out.endswith(f"array-{base}_1.out")
    everything = show("alpha-array-all")
    assert {(j.array_task, j.state) for j in everything} == {("1", "RUNNING"), ("2", "RUNNING"), ("3-4%2", "PENDING")}
    rest = next(j for j in everything if j.state == "PENDING")
    assert (rest.job_id, rest.reason, rest.raw["ArrayTaskThrottle"]) == (base, "JobArrayTaskLimit", "2")


def test_held_and_partition_config() -> None:
    held = one("alpha-held")
    assert (held.user, held.reason, held.priority) == ("bob", "JobHeldUser", 0)
    big = one("beta-partition-config")
    assert (big.reason, big.num_nodes, big.num_cpus, big.account) == ("PartitionConfig", 2, 20, "bio")


def test_gpus() -> None:
    gpu = one("alpha-gpu-running")
    assert (gpu.gpus, gpu.gpu_type, gpu.tres_per_node) == (4, "h100", "gres:gpu:h100:4")
    per_job = one("alpha-gpus-per-job")  # --gpus=2: TresPerJob, counted from TRES
    assert (per_job.gpus, per_job.raw["TresPerJob"], per_job.tres_per_node) == (2, "gres:gpu:2", "")


def test_names_with_delimiters_spaces_and_newlines() -> None:
    assert one("alpha-weird-name").name == "weird|name job"
    job = one("alpha-newline-name")
    assert job.name == "fixture-new\nline"
    assert (job.user, job.reason) == ("alice", "JobHeldUser")


def test_het_job() -> None:
    first, second = show("alpha-het")
    base = jid("fixture-het")
    assert (first.job_id, first.het_job_id, first.het_offset) == (base, base, 0)
    assert (second.job_id, second.het_job_id, second.het_offset) == (str(int(base) + 1), base, 1)
    assert first.raw["HetJobIdSet"] == f"{base}-{int(base) + 1}"


def test_finished_jobs() -> None:
    failed = one("alpha-completed-failed")
    assert (failed.state, failed.exit_code, failed.signal, failed.reason) == ("FAILED", 3, 0, "NonZeroExitCode")
    assert failed.std_out.endswith(f"fail-{jid('fail-exit3')}.out")
    timeout = one("alpha-timeout")
    assert (timeout.state, timeout.reason) == ("TIMEOUT", "TimeLimit")
    oom = one("alpha-oom")
    assert (oom.state, oom.exit_code, oom.signal) == ("FAILED", 0, 9)
    segv = one("alpha-segfault")
    assert (segv.state, segv.signal) == ("FAILED", 11)
    cancelled = one("alpha-cancelled")
    assert cancelled.state == "CANCELLED" and cancelled.node_list == ""


def test_requeued() -> None:
    job = one("alpha-requeued")
    assert (job.state, job.reason, job.restarts) == ("PENDING", "BeginTime", 1)


def test_invalid_id_is_an_empty_listing() -> None:
    rec = load("scontrol", "alpha-invalid-id")
    assert rec.meta["exit_code"] == 1
    assert rec.err.strip() == "slurm_load_jobs error: Invalid job id specified"
    assert parse_scontrol_jobs(rec.out, 0) == []


def test_split_pairs_keeps_spaces_in_free_text() -> None:
    pairs = split_pairs(
        "JobId=5 JobName=a b=c UserId=x(1) Command=/p/with space/run.sh --flag=1 WorkDir=/w d Comment= "
        "StdErr=/e StdIn=/dev/null StdOut=/o Power= NewIn2030=7 TresPerNode=gres:gpu:2"
    )
    assert pairs["JobName"] == "a b=c"
    assert pairs["Command"] == "/p/with space/run.sh --flag=1"
    assert pairs["WorkDir"] == "/w d"
    assert pairs["Comment"] == "" and pairs["Power"] == ""
    assert pairs["NewIn2030"] == "7"  # an unknown key after a non-free-text value starts a pair
    assert pairs["TresPerNode"] == "gres:gpu:2"


def test_split_pairs_rejects_garbage() -> None:
    with pytest.raises(SlurmParseError):
        split_pairs("no pairs here")
    with pytest.raises(SlurmParseError):
        split_pairs("garbage JobId=5")
    with pytest.raises(SlurmParseError):
        parse_scontrol_jobs("JobName=x UserId=y(1)\n", 0)  # no JobId
