"""Parser for `scontrol -o show job`: one line of `Key=Value` pairs per job.

Values may contain spaces (`Command=/path/with space`, `Comment=`, job names),
so the line is not split on whitespace. A `Key=` token starts a new pair only
if Key is one scontrol prints and has not been seen yet on this line, or — for
keys newer than this list — if the current value cannot contain spaces. A job
name or path that itself contains ` UserId=` can still mislead this; nothing
short of a structured format (`--json`) can rule that out.
"""

from __future__ import annotations

import re

from clausius.core.gpus import job_gpus
from clausius.slurm.errors import SlurmParseError
from clausius.slurm.models import ScontrolJob
from clausius.slurm.rows import Row, lines, to_opt_int
from clausius.slurm.sacct import parse_exit_code
from clausius.slurm.timeparse import parse_duration, parse_timestamp
from clausius.slurm.tres import gres_gpus, parse_dependencies, tres_gpus

_CMD = "scontrol show job"

KNOWN_KEYS = frozenset(
    """JobId ArrayJobId ArrayTaskId ArrayTaskThrottle HetJobId HetJobOffset HetJobIdSet JobName UserId GroupId
    MCS_label Priority Nice Account QOS WCKey JobState Reason Dependency Requeue Restarts BatchFlag Reboot ExitCode
    DerivedExitCode RunTime TimeLimit TimeMin SubmitTime EligibleTime AccrueTime StartTime EndTime Deadline
    PreemptEligibleTime PreemptTime SuspendTime SecsPreSuspend LastSchedEval Scheduler ResizeTime Partition
    AllocNode:Sid ReqNodeList ExcNodeList NodeList SchedNodeList BatchHost NumNodes NumCPUs NumTasks CPUs/Task
    ReqB:S:C:T TRES ReqTRES AllocTRES Socks/Node NtasksPerN:B:S:C CoreSpec MinCPUsNode MinMemoryNode MinMemoryCPU
    MinTmpDiskNode Features Prefer ClusterFeatures DelayBoot Reservation OverSubscribe Contiguous Licenses Network
    Command WorkDir AdminComment SystemComment Comment StdErr StdIn StdOut Power CpusPerTres MemPerTres TresBind
    TresFreq TresPerJob TresPerNode TresPerSocket TresPerTask MailUser MailType NtasksPerTRES Container ContainerID
    CronJob CrontabSpec KillOInInvalidDependent ResvPort SelinuxContext Switches Wait4Switch BurstBuffer
    BurstBufferState CpuFreqMin CpuFreqMax CpuFreqGov OOMKillStep""".split()  # noqa: SIM905 - a word list reads best
)
# Values that may legitimately contain spaces (or anything else).
FREE_TEXT = frozenset(
    "JobName Reason Command WorkDir AdminComment SystemComment Comment StdErr StdIn StdOut MailUser Container".split()  # noqa: SIM905
)

_KEY = re.compile(r"(?:^|(?<=\s))([A-Za-z][A-Za-z0-9_:/]*)=")
_USER = re.compile(r"(.*)\((\d+)\)")


def split_pairs(line: str) -> dict[str, str]:
    """`JobId=5 JobName=a b UserId=x(1)` → {"JobId": "5", "JobName": "a b", "UserId": "x(1)"}."""
    pairs: dict[str, str] = {}
    key: str | None = None
    value_start = 0
    for m in _KEY.finditer(line):
        candidate = m.group(1)
        if key is not None:
            known_new = candidate in KNOWN_KEYS and candidate not in pairs and candidate != key
            unknown_ok = candidate not in KNOWN_KEYS and key not in FREE_TEXT and candidate not in pairs
            if not (known_new or unknown_ok):
                continue
            pairs[key] = line[value_start : m.start()].removesuffix(" ").removesuffix("\t")
        elif m.start() != len(line) - len(line.lstrip()):
            raise SlurmParseError(_CMD, "line does not start with Key=", line)
        key, value_start = candidate, m.end()
    if key is None:
        raise SlurmParseError(_CMD, "no Key=Value pairs", line)
    pairs[key] = line[value_start:].rstrip()
    return pairs


def records(text: str) -> list[str]:
    """One string per job record. A record starts with `JobId=`; any other line
    continues the previous one (scontrol prints a newline inside a job name as is)."""
    out: list[str] = []
    for line in lines(text):
        if line.strip() == "No jobs in the system":
            continue
        if line.startswith("JobId=") or not out:
            out.append(line)
        else:
            out[-1] += "\n" + line
    return out


def parse_scontrol_jobs(text: str, utc_offset_sec: int) -> list[ScontrolJob]:
    """All job records of `scontrol -o show job [ID]` (an array gives one line per task)."""
    jobs = []
    for record in records(text):
        pairs = split_pairs(record.strip(" \t"))
        if "JobId" not in pairs:
            raise SlurmParseError(_CMD, "record without JobId", record)
        jobs.append(_job(Row(_CMD, pairs, record), utc_offset_sec))
    return jobs


def _user(text: str) -> tuple[str, int | None]:
    m = _USER.fullmatch(text.strip())
    return (m.group(1), int(m.group(2))) if m else (text.strip(), None)


def _job(row: Row, offset: int) -> ScontrolJob:
    job_id = row.get("JobId", lambda v: str(int(v)))
    array_job = row.text("ArrayJobId") or None
    het_job = row.text("HetJobId") or None
    user, uid = _user(row.raw("UserId"))
    num_nodes = row.get("NumNodes", lambda v: to_opt_int(v.split("-")[0]))
    tres = row.text("AllocTRES") or row.text("TRES") or row.text("ReqTRES")
    tres_per_node = row.text("TresPerNode") or row.text("Gres")
    gpus, gpu_type = job_gpus(
        allocated=row.get("AllocTRES", tres_gpus),
        requested=row.get("TRES", tres_gpus) if row.text("TRES") else row.get("ReqTRES", tres_gpus),
        per_node=row.get("TresPerNode", gres_gpus),
        nodes=num_nodes,
    )
    if gpus is None:  # `--gpus=N` with no TRES printed yet
        gpus, gpu_type = row.get("TresPerJob", gres_gpus)
    exit_code, signal = row.get("ExitCode", parse_exit_code)

    def when(name: str) -> float | None:
        return row.get(name, lambda v: parse_timestamp(v, offset))

    return ScontrolJob(
        job_id=job_id,
        array_job_id=array_job,
        array_task=(row.text("ArrayTaskId") or None) if array_job else None,
        het_job_id=het_job,
        het_offset=row.get("HetJobOffset", to_opt_int) if het_job else None,
        name=row.raw("JobName"),
        user=user,
        uid=uid,
        state=row.text("JobState"),
        reason=row.text("Reason"),
        account=row.text("Account"),
        partition=row.text("Partition"),
        qos=row.text("QOS"),
        priority=row.get("Priority", to_opt_int),
        std_out=row.text("StdOut"),
        std_err=row.text("StdErr"),
        std_in=row.text("StdIn"),
        work_dir=row.text("WorkDir"),
        command=row.text("Command"),
        comment=row.text("Comment"),
        dependency=row.text("Dependency"),
        dependencies=row.get("Dependency", parse_dependencies),
        batch_host=row.text("BatchHost"),
        node_list=row.text("NodeList"),
        num_nodes=num_nodes,
        num_cpus=row.get("NumCPUs", lambda v: to_opt_int(v.split("-")[0])),
        tres=tres,
        tres_per_node=tres_per_node,
        gpus=gpus,
        gpu_type=gpu_type,
        exit_code=exit_code,
        signal=signal,
        restarts=row.get("Restarts", to_opt_int),
        run_time_sec=row.get("RunTime", parse_duration),
        time_limit_sec=row.get("TimeLimit", parse_duration),
        submit_time=when("SubmitTime"),
        start_time=when("StartTime"),
        end_time=when("EndTime"),
        raw=dict(row.cells),
    )
