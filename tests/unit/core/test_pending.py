"""Pending-reason explanations (reference §8.6) over Slurm's reason codes."""

from __future__ import annotations

import pytest

from clausius.core.pending import PendingExplanation, PendingReason, explain, explain_reason, format_wait

NOW = 1_795_600_000.0


@pytest.mark.parametrize(
    ("reason", "code", "short", "blocker"),
    [
        ("None", "None", "Queued", "other"),
        ("", "None", "Queued", "other"),
        ("Priority", "Priority", "Waiting for priority", "priority"),
        ("(Priority)", "Priority", "Waiting for priority", "priority"),
        ("priority", "Priority", "Waiting for priority", "priority"),
        ("Resources", "Resources", "Waiting for resources", "resources"),
        ("Dependency", "Dependency", "Waiting for dependency", "dependency"),
        ("DependencyNeverSatisfied", "DependencyNeverSatisfied", "Dependency failed", "blocked"),
        ("BeginTime", "BeginTime", "Scheduled start time", "time"),
        ("JobHeldUser", "JobHeldUser", "Held by you", "held"),
        ("JobHeldAdmin", "JobHeldAdmin", "Held by an administrator", "held"),
        ("JobHoldMaxRequeue", "JobHoldMaxRequeue", "Held: requeued too often", "held"),
        ("launch failed requeued held", "launch failed requeued held", "Held after a launch failure", "held"),
        ("JobArrayTaskLimit", "JobArrayTaskLimit", "Array task limit", "qos"),
        ("PartitionConfig", "PartitionConfig", "Request doesn't fit the partition", "partition"),
        ("PartitionDown", "PartitionDown", "Partition down", "partition"),
        ("PartitionInactive", "PartitionInactive", "Partition inactive", "partition"),
        ("PartitionNodeLimit", "PartitionNodeLimit", "Too many nodes for partition", "partition"),
        ("PartitionTimeLimit", "PartitionTimeLimit", "Time limit above partition maximum", "partition"),
        ("ReqNodeNotAvail", "ReqNodeNotAvail", "Required nodes unavailable", "node"),
        ("NodeNotAvail", "NodeNotAvail", "Nodes unavailable", "node"),
        ("NodeDown", "NodeDown", "A node is down", "node"),
        ("FrontEndDown", "FrontEndDown", "Front-end node down", "node"),
        ("BadConstraints", "BadConstraints", "Constraints can't be met", "node"),
        ("Reservation", "Reservation", "Waiting for reservation", "reservation"),
        ("ReservationDeleted", "ReservationDeleted", "Reservation deleted", "reservation"),
        ("Licenses", "Licenses", "Waiting for licenses", "license"),
        ("Cleaning", "Cleaning", "Requeued, cleaning up", "other"),
        ("Prolog", "Prolog", "Starting (prolog)", "other"),
        ("InvalidAccount", "InvalidAccount", "Invalid account", "blocked"),
        ("InvalidQOS", "InvalidQOS", "Invalid QOS", "blocked"),
        ("SystemFailure", "SystemFailure", "System failure", "other"),
        ("TimeLimit", "TimeLimit", "Time limit reached", "time"),
        ("FedJobLock", "FedJobLock", "Federation lock", "federation"),
        ("AccountingPolicy", "AccountingPolicy", "Accounting limit", "qos"),
        ("QOSNotAllowed", "QOSNotAllowed", "QOS not allowed", "partition"),
        ("MaxMemPerLimit", "MaxMemPerLimit", "Memory above per-CPU/node limit", "partition"),
        ("JobLaunchFailure", "JobLaunchFailure", "Launch failed", "node"),
        ("NonZeroExitCode", "NonZeroExitCode", "Exited with an error", "other"),
    ],
)
def test_table_codes(reason: str, code: str, short: str, blocker: str) -> None:
    info = explain_reason(reason)
    assert (info.code, info.short, info.blocker) == (code, short, blocker)
    assert info.detail


@pytest.mark.parametrize(
    ("code", "short", "detail"),
    [
        ("AssocGrpGRES", "Account group GPU limit", "Your account's group GPU limit is reached."),
        ("QOSGrpGRES", "QOS group GPU limit", "Your QOS's group GPU limit is reached."),
        ("QOSMaxGRESPerUser", "QOS per-user GPU limit", "Your QOS's per-user GPU limit is reached."),
        ("QOSMaxGRESPerJob", "QOS per-job GPU limit", "It asks for more GPU than your QOS's per-job limit allows."),
        (
            "AssocMaxGRESPerNode",
            "Account per-node GPU limit",
            "It asks for more GPU than your account's per-node limit allows.",
        ),
        ("AssocGrpCpuLimit", "Account group CPU limit", "Your account's group CPU limit is reached."),
        (
            "AssocGrpCPURunMinutesLimit",
            "Account group running CPU-minutes limit",
            "Your account's group running CPU-minutes limit is reached.",
        ),
        ("QOSGrpCPUMinutesLimit", "QOS group CPU-minutes limit", "Your QOS's group CPU-minutes limit is reached."),
        (
            "AssocGrpGRESMinutes",
            "Account group GPU-minutes limit",
            "Your account's group GPU-minutes limit is reached.",
        ),
        ("AssocGrpMemLimit", "Account group memory limit", "Your account's group memory limit is reached."),
        (
            "QOSGrpMemoryRunMinutes",
            "QOS group running memory-minutes limit",
            "Your QOS's group running memory-minutes limit is reached.",
        ),
        ("QOSGrpNodeLimit", "QOS group node limit", "Your QOS's group node limit is reached."),
        ("AssocGrpJobsLimit", "Account group running-job limit", "Your account's group running-job limit is reached."),
        (
            "AssocGrpSubmitJobsLimit",
            "Account group submitted-job limit",
            "Your account's group submitted-job limit is reached.",
        ),
        ("AssocGrpWallLimit", "Account group wall-time limit", "Your account's group wall-time limit is reached."),
        (
            "AssocGrpBillingMinutes",
            "Account group billing-minutes limit",
            "Your account's group billing-minutes limit is reached.",
        ),
        ("AssocMaxJobsLimit", "Account running-job limit", "Your account's maximum running-job limit is reached."),
        (
            "AssocMaxSubmitJobLimit",
            "Account submitted-job limit",
            "Your account's maximum submitted-job limit is reached.",
        ),
        (
            "AssocMaxWallDurationPerJobLimit",
            "Account per-job wall-time limit",
            "It asks for more wall-time than your account's per-job limit allows.",
        ),
        (
            "QOSMaxCpuMinutesPerJobLimit",
            "QOS per-job CPU-minutes limit",
            "It asks for more CPU-minutes than your QOS's per-job limit allows.",
        ),
        (
            "QOSMaxJobsPerUserLimit",
            "QOS per-user running-job limit",
            "Your QOS's per-user running-job limit is reached.",
        ),
        (
            "QOSMaxSubmitJobPerUserLimit",
            "QOS per-user submitted-job limit",
            "Your QOS's per-user submitted-job limit is reached.",
        ),
        ("QOSMaxNodePerUserLimit", "QOS per-user node limit", "Your QOS's per-user node limit is reached."),
        (
            "QOSMaxMemoryPerNode",
            "QOS per-node memory limit",
            "It asks for more memory than your QOS's per-node limit allows.",
        ),
        ("QOSMinGRES", "QOS minimum GPU", "It asks for less GPU than your QOS's minimum."),
        ("QOSMinCpuNotSatisfied", "QOS minimum CPU", "It asks for less CPU than your QOS's minimum."),
        ("QOSGrpLicense", "QOS group license limit", "Your QOS's group license limit is reached."),
        ("AssocGrpBB", "Account group burst-buffer limit", "Your account's group burst-buffer limit is reached."),
        ("QOSGrpEnergy", "QOS group energy limit", "Your QOS's group energy limit is reached."),
        ("AssocGrpUnknown", "Account group TRES limit", "Your account's group TRES limit is reached."),
        (
            "MaxGRESPerAccount",
            "QOS per-account GPU limit",
            "Your account's share of the QOS per-account GPU limit is used up.",
        ),
        (
            "MaxJobsPerAccount",
            "QOS per-account running-job limit",
            "Your account's share of the QOS per-account running-job limit is used up.",
        ),
    ],
)
def test_limit_families_are_explained_from_the_name(code: str, short: str, detail: str) -> None:
    assert explain_reason(code) == PendingReason(code, short, detail, "qos")


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (
            "ReqNodeNotAvail, UnavailableNodes:node[1-3]",
            PendingReason(
                "ReqNodeNotAvail",
                "Required nodes unavailable",
                "Nodes it needs are down, drained or reserved (unavailable nodes: node[1-3]).",
                "node",
            ),
        ),
        (
            "(ReqNodeNotAvail, Reserved for maintenance)",
            PendingReason(
                "ReqNodeNotAvail",
                "Required nodes unavailable",
                "Nodes it needs are down, drained or reserved (Reserved for maintenance).",
                "node",
            ),
        ),
        (
            "Nodes required for job are DOWN, DRAINED or reserved for jobs in higher priority partitions",
            PendingReason(
                "ReqNodeNotAvail",
                "Required nodes unavailable",
                "Nodes required for job are DOWN, DRAINED or reserved for jobs in higher priority partitions",
                "node",
            ),
        ),
        (
            "QOSSomethingNew",
            PendingReason("QOSSomethingNew", "Accounting limit", "Slurm reason: QOSSomethingNew", "qos"),
        ),
        (
            "AssocGrpFrobnicators",
            PendingReason("AssocGrpFrobnicators", "Accounting limit", "Slurm reason: AssocGrpFrobnicators", "qos"),
        ),
        ("JobHeldForReasons", PendingReason("JobHeldForReasons", "Held", "Slurm reason: JobHeldForReasons", "held")),
        (
            "SomethingUnheardOf",
            PendingReason("SomethingUnheardOf", "SomethingUnheardOf", "Slurm reason: SomethingUnheardOf", "other"),
        ),
    ],
)
def test_details_and_unknown_codes(reason: str, expected: PendingReason) -> None:
    assert explain_reason(reason) == expected


def test_unknown_code_short_text_is_bounded() -> None:
    assert len(explain_reason("X" * 300).short) == 40


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "<1m"),
        (59, "<1m"),
        (60, "~1m"),
        (1799, "~30m"),
        (3600, "~1.0h"),
        (9000, "~2.5h"),
        (36_000, "~10h"),
        (86_400, "~1d"),
        (200_000, "~2d"),
    ],
)
def test_format_wait(seconds: float, text: str) -> None:
    assert format_wait(seconds) == text


def test_explain_adds_the_start_estimate() -> None:
    got = explain("Priority", NOW + 9000, NOW)
    assert got == PendingExplanation(
        "Priority",
        "Waiting for priority",
        explain_reason("Priority").detail,
        "priority",
        NOW + 9000,
        9000.0,
        "starts in ~2.5h",
    )
    assert got.as_dict()["starts_in"] == "starts in ~2.5h"


@pytest.mark.parametrize(
    ("reason", "estimate", "starts_in"),
    [
        ("Resources", None, None),
        ("Resources", NOW - 5, "should start soon"),
        ("Resources", NOW + 30, "starts in <1m"),
        ("JobHeldUser", NOW + 3600, None),  # nobody's estimate matters until it is released
        ("DependencyNeverSatisfied", NOW + 3600, None),
        ("Dependency", NOW + 7200, "starts in ~2.0h"),
    ],
)
def test_explain_start_text(reason: str, estimate: float | None, starts_in: str | None) -> None:
    got = explain(reason, estimate, NOW)
    assert got.starts_in == starts_in
    assert got.start_estimate == estimate
