"""Plain-language explanations of Slurm job reason codes (Slurm 22.05–25.x).

Fixed codes come from a table; the accounting-limit families (`QOSGrp*`, `QOSMax*`, `QOSMin*`,
`AssocGrp*`, `AssocMax*`, `Max*PerAccount`) are explained from the name itself, so a limit
added in a later Slurm release still reads well. Unknown codes are shown as they are.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

Blocker = Literal[
    "priority",
    "resources",
    "dependency",
    "blocked",
    "qos",
    "held",
    "time",
    "partition",
    "node",
    "reservation",
    "license",
    "federation",
    "other",
]


@dataclass(frozen=True, slots=True)
class PendingReason:
    code: str
    short: str
    detail: str
    blocker: Blocker


_TABLE: dict[str, tuple[str, str, Blocker]] = {
    "None": ("Queued", "Slurm has not evaluated this job yet; a reason usually appears within a minute.", "other"),
    "Priority": ("Waiting for priority", "Other pending jobs have higher (fair-share) priority.", "priority"),
    "Resources": ("Waiting for resources", "The nodes, GPUs or memory it needs are in use.", "resources"),
    "Dependency": ("Waiting for dependency", "It starts when the jobs it depends on finish.", "dependency"),
    "DependencyNeverSatisfied": (
        "Dependency failed",
        "A job it depends on failed or was cancelled; it will not run unless the dependency is changed.",
        "blocked",
    ),
    "BeginTime": ("Scheduled start time", "Its earliest start time (--begin, or a requeue delay) is ahead.", "time"),
    "JobHeldUser": ("Held by you", "Release it with `scontrol release <jobid>`.", "held"),
    "JobHeldAdmin": ("Held by an administrator", "Only an administrator can release it.", "held"),
    "JobHoldMaxRequeue": ("Held: requeued too often", "It hit the requeue limit and must be released.", "held"),
    "launch failed requeued held": (
        "Held after a launch failure",
        "It failed to start on its node and was requeued on hold; check the node, then release it.",
        "held",
    ),
    "JobArrayTaskLimit": (
        "Array task limit",
        "The array's limit on tasks running at once (--array=…%N) is reached.",
        "qos",
    ),
    "PartitionConfig": (
        "Request doesn't fit the partition",
        "The request exceeds what the partition allows (GPUs, CPUs, memory, nodes, account or QOS).",
        "partition",
    ),
    "PartitionDown": ("Partition down", "The partition is down; jobs wait until it is up again.", "partition"),
    "PartitionInactive": ("Partition inactive", "The partition is inactive and starts no jobs.", "partition"),
    "PartitionNodeLimit": (
        "Too many nodes for partition",
        "It asks for more nodes than the partition allows.",
        "partition",
    ),
    "PartitionTimeLimit": (
        "Time limit above partition maximum",
        "Its time limit is longer than the partition's maximum.",
        "partition",
    ),
    "AccountNotAllowed": ("Account not allowed", "The account may not use this partition.", "partition"),
    "QOSNotAllowed": ("QOS not allowed", "The QOS may not be used in this partition.", "partition"),
    "MaxMemPerLimit": (
        "Memory above per-CPU/node limit",
        "It asks for more memory than allowed per CPU or node.",
        "partition",
    ),
    "ReqNodeNotAvail": ("Required nodes unavailable", "Nodes it needs are down, drained or reserved.", "node"),
    "NodeNotAvail": ("Nodes unavailable", "Nodes it needs are down, drained or reserved.", "node"),
    "NodeDown": ("A node is down", "A node it needs is down.", "node"),
    "FrontEndDown": ("Front-end node down", "No front-end node is available to run it.", "node"),
    "BadConstraints": ("Constraints can't be met", "No nodes match its --constraint/feature request.", "node"),
    "Constraints": ("Constraints can't be met", "No nodes match its --constraint/feature request.", "node"),
    "JobLaunchFailure": ("Launch failed", "Slurm could not start it on its nodes.", "node"),
    "Prolog": ("Starting (prolog)", "Its nodes are running the prolog; it starts shortly.", "other"),
    "Cleaning": ("Requeued, cleaning up", "It waits for its previous run to finish cleaning up.", "other"),
    "SchedDefer": (
        "Scheduling deferred",
        "The scheduler defers immediate scheduling (SchedulerParameters=defer).",
        "other",
    ),
    "Reservation": ("Waiting for reservation", "Its advanced reservation is not available yet.", "reservation"),
    "ReservationDeleted": (
        "Reservation deleted",
        "Its reservation was deleted; change or remove --reservation.",
        "reservation",
    ),
    "ReservationInvalid": ("Reservation invalid", "Its reservation is not valid for this job.", "reservation"),
    "Licenses": ("Waiting for licenses", "The software licenses it asked for are in use.", "license"),
    "InvalidAccount": ("Invalid account", "The account is invalid; the job will not run as submitted.", "blocked"),
    "InvalidQOS": ("Invalid QOS", "The QOS is invalid; the job will not run as submitted.", "blocked"),
    "AccountingPolicy": ("Accounting limit", "An account or QOS limit holds it back.", "qos"),
    "QOSUsageThreshold": ("QOS usage threshold", "The QOS's usage threshold is reached.", "qos"),
    "QOSJobLimit": ("QOS job limit", "The QOS's job limit is reached.", "qos"),
    "QOSResourceLimit": ("QOS resource limit", "The QOS's resource limit is reached.", "qos"),
    "QOSTimeLimit": ("QOS time limit", "The QOS's time limit is reached.", "qos"),
    "AssociationJobLimit": ("Account job limit", "Your account's job limit is reached.", "qos"),
    "AssociationResourceLimit": ("Account resource limit", "Your account's resource limit is reached.", "qos"),
    "AssociationTimeLimit": ("Account time limit", "Your account's time limit is reached.", "qos"),
    "BurstBufferResources": ("Waiting for burst buffer", "Burst-buffer space is in use.", "resources"),
    "BurstBufferStageIn": ("Staging in", "Its burst-buffer data is being staged in.", "resources"),
    "BurstBufferOperation": ("Burst buffer failed", "A burst-buffer operation failed.", "other"),
    "PowerNotAvail": ("Waiting for power", "Not enough power capacity is available.", "resources"),
    "PowerReserved": ("Power reserved", "Power capacity is reserved for other jobs.", "resources"),
    "FedJobLock": ("Federation lock", "Another cluster of the federation holds this job's lock.", "federation"),
    "SystemFailure": ("System failure", "A Slurm system failure affected it.", "other"),
    "TimeLimit": ("Time limit reached", "It reached its time limit.", "time"),
    "DeadLine": ("Deadline passed", "Its --deadline passed.", "time"),
    "InactiveLimit": ("Inactive limit reached", "It was inactive for too long.", "other"),
    "NonZeroExitCode": ("Exited with an error", "It exited with a non-zero code.", "other"),
    "RaisedSignal": ("Killed by a signal", "It was killed by a signal.", "other"),
    "OutOfMemory": ("Out of memory", "It ran out of memory.", "other"),
}
_TABLE_CI = {code.lower(): code for code in _TABLE}

_RESOURCES: dict[str, str] = {
    "cpu": "CPU",
    "mem": "memory",
    "memory": "memory",
    "node": "node",
    "gres": "GPU",
    "job": "running-job",
    "jobs": "running-job",
    "submitjob": "submitted-job",
    "submitjobs": "submitted-job",
    "wall": "wall-time",
    "wallduration": "wall-time",
    "license": "license",
    "bb": "burst-buffer",
    "energy": "energy",
    "billing": "billing",
    "unknown": "TRES",
}
_FAMILY = re.compile(r"^(QOS|Assoc)(Grp|Max|Min)(\w+?)(?:Limit)?$")
_PER_ACCOUNT = re.compile(r"^Max(\w+?)PerAccount$")
_SCOPE = re.compile(r"^(\w+?)(Per(?:Job|Node|User|Account))?(?:NotSatisfied)?$")
_MINUTES = re.compile(r"^(\w+?)(Run)?Minutes$", re.IGNORECASE)


def _resource(text: str) -> str | None:
    """`GRES` → GPU, `CPURunMinutes` → running CPU-minutes; None if unrecognised."""
    minutes = _MINUTES.match(text)
    base = minutes.group(1) if minutes else text
    name = _RESOURCES.get(base.lower())
    if name is None:
        return None
    if minutes is None:
        return name
    return f"running {name}-minutes" if minutes.group(2) else f"{name}-minutes"


def _family(code: str) -> PendingReason | None:
    per_account = _PER_ACCOUNT.match(code)
    if per_account is not None:
        res = _resource(per_account.group(1))
        if res is None:
            return None
        return PendingReason(
            code,
            f"QOS per-account {res} limit",
            f"Your account's share of the QOS per-account {res} limit is used up.",
            "qos",
        )
    match = _FAMILY.match(code)
    if match is None:
        return None
    owner_word, kind, rest = match.groups()
    scoped = _SCOPE.match(rest)
    if scoped is None:
        return None
    res = _resource(scoped.group(1))
    if res is None:
        return None
    scope = (scoped.group(2) or "").removeprefix("Per").lower()
    owner = "your QOS's" if owner_word == "QOS" else "your account's"
    owner_cap = owner[0].upper() + owner[1:]
    label = "QOS" if owner_word == "QOS" else "Account"
    if kind == "Grp":
        return PendingReason(code, f"{label} group {res} limit", f"{owner_cap} group {res} limit is reached.", "qos")
    if kind == "Min":
        return PendingReason(code, f"{label} minimum {res}", f"It asks for less {res} than {owner} minimum.", "qos")
    if scope in ("job", "node"):
        return PendingReason(
            code,
            f"{label} per-{scope} {res} limit",
            f"It asks for more {res} than {owner} per-{scope} limit allows.",
            "qos",
        )
    if scope in ("user", "account"):
        return PendingReason(
            code, f"{label} per-{scope} {res} limit", f"{owner_cap} per-{scope} {res} limit is reached.", "qos"
        )
    return PendingReason(code, f"{label} {res} limit", f"{owner_cap} maximum {res} limit is reached.", "qos")


def _split(reason: str) -> tuple[str, str]:
    """`(ReqNodeNotAvail, UnavailableNodes:node[1-3])` → ("ReqNodeNotAvail", "UnavailableNodes:node[1-3]")."""
    text = reason.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    code, _, extra = text.partition(",")
    return code.strip(), extra.strip()


def _with_extra(found: PendingReason, extra: str) -> PendingReason:
    if not extra:
        return found
    nodes = extra.removeprefix("UnavailableNodes:")
    note = f"unavailable nodes: {nodes}" if nodes != extra else extra
    return PendingReason(found.code, found.short, f"{found.detail.rstrip('.')} ({note}).", found.blocker)


def explain_reason(reason: str) -> PendingReason:
    """Translate a squeue/sacct reason (`%r`) into a short label, a sentence and a blocker."""
    code, extra = _split(reason)
    if not code:
        code = "None"
    known = _TABLE_CI.get(code.lower())
    if known is not None:
        short, detail, blocker = _TABLE[known]
        return _with_extra(PendingReason(known, short, detail, blocker), extra)
    family = _family(code)
    if family is not None:
        return _with_extra(family, extra)
    lowered = code.lower()
    if "held" in lowered or "hold" in lowered:
        return PendingReason(code, "Held", f"Slurm reason: {reason.strip()}", "held")
    if lowered.startswith(("qos", "assoc")):
        return PendingReason(code, "Accounting limit", f"Slurm reason: {reason.strip()}", "qos")
    if "nodes required for job are down" in reason.lower():  # older Slurm's spelled-out ReqNodeNotAvail
        return PendingReason("ReqNodeNotAvail", "Required nodes unavailable", reason.strip(), "node")
    return PendingReason(code, code[:40], f"Slurm reason: {reason.strip()}", "other")


@dataclass(frozen=True, slots=True)
class PendingExplanation:
    code: str
    short: str
    detail: str
    blocker: Blocker
    start_estimate: float | None
    starts_in_sec: float | None
    starts_in: str | None  # e.g. "starts in ~2.5h"; None without a usable estimate

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def format_wait(seconds: float) -> str:
    """`<1m`, `~Nm`, `~N.Nh` (under 10 h), `~Nh`, `~Nd`."""
    if seconds < 60:
        return "<1m"
    if seconds < 3600:
        return f"~{round(seconds / 60)}m"
    hours = seconds / 3600
    if hours < 10:
        return f"~{hours:.1f}h"
    if hours < 24:
        return f"~{round(hours)}h"
    return f"~{round(hours / 24)}d"


def explain(reason: str, start_estimate: float | None, now: float) -> PendingExplanation:
    """explain_reason plus Slurm's start estimate, if any. Jobs that cannot start without someone
    acting (held, failed dependency, invalid account) get no countdown: Slurm's guess is moot."""
    info = explain_reason(reason)
    delta: float | None = None
    text: str | None = None
    if start_estimate is not None and info.blocker not in ("held", "blocked"):
        delta = start_estimate - now
        text = "should start soon" if delta <= 0 else f"starts in {format_wait(delta)}"
    return PendingExplanation(info.code, info.short, info.detail, info.blocker, start_estimate, delta, text)
