"""sinfo, sshare, sprio, sstat and scancel on output recorded from the lab."""

from __future__ import annotations

import math

import pytest

from clausius.slurm.errors import SlurmParseError
from clausius.slurm.models import CancelResult
from clausius.slurm.scancel import parse_scancel
from clausius.slurm.shares import parse_sprio, parse_sshare
from clausius.slurm.sinfo import parse_sinfo
from clausius.slurm.sstat import parse_sstat

from .recorded import jid, load


def test_sinfo_alpha() -> None:
    parts = {p.name: p for p in parse_sinfo(load("sinfo", "alpha-initial").out)}
    assert list(parts) == ["cpu", "gpu", "debug"]
    cpu, gpu, debug = parts["cpu"], parts["gpu"], parts["debug"]
    assert (cpu.is_default, cpu.available, cpu.time_limit_sec) == (True, "up", 2 * 86400)
    assert (cpu.nodes_total, cpu.cpus_per_node, cpu.gpus_per_node, cpu.memory_mb_per_node) == (1, 32, 0, 128000)
    assert (gpu.is_default, gpu.nodes_total, gpu.gpus_per_node, gpu.gpu_types) == (False, 2, 8, ("h100",))
    # debug spans every node: two rows merged, node counts summed, per-node values = max
    assert (debug.time_limit_sec, debug.nodes_total, debug.cpus_per_node, debug.gpus_per_node) == (1800, 3, 64, 8)
    assert debug.nodes_alloc + debug.nodes_idle + debug.nodes_other == debug.nodes_total


def test_sinfo_beta() -> None:
    parts = {p.name: p for p in parse_sinfo(load("sinfo", "beta-later").out)}
    assert parts["batch"].is_default and not parts["gpu"].is_default
    assert (parts["gpu"].gpus_per_node, parts["gpu"].gpu_types, parts["gpu"].gres) == (4, ("a100",), ("gpu:a100:4",))


def test_sshare_tree() -> None:
    rows = parse_sshare(load("sshare", "alpha-all-initial").out)
    root = rows[0]
    assert (root.account, root.user, root.depth, root.raw_shares, root.effective_usage) == ("root", "", 0, None, 1.0)
    accounts = {r.account: r for r in rows if r.depth == 1 and not r.user}
    assert set(accounts) == {"chemistry", "ml", "physics"}
    assert (accounts["physics"].raw_shares, accounts["ml"].raw_shares) == (40, 30)
    assert accounts["physics"].fairshare is None  # account rows carry LevelFS, not FairShare
    users = {(r.account, r.user): r for r in rows if r.user}
    alice_ml = users[("ml", "alice")]
    assert (alice_ml.depth, alice_ml.raw_shares, alice_ml.raw_usage) == (2, 2, 0)
    assert alice_ml.level_fs == math.inf  # no usage yet: `inf`
    assert 0 < users[("physics", "alice")].fairshare <= 1  # type: ignore[operator]
    assert "gres/gpu=" in users[("ml", "carol")].tres_run_mins
    assert users[("ml", "carol")].columns["EffectvUsage"] == "1.000000"


def test_sshare_one_user() -> None:
    rows = parse_sshare(load("sshare", "beta-bob-later").out)
    assert [(r.account, r.user) for r in rows if r.user] == [("bio", "bob")]


def test_sprio_by_header() -> None:
    rows = {r.job_id: r for r in parse_sprio(load("sprio", "alpha-later").out)}
    mine = rows[jid("fixture-priority")]
    assert (mine.user, mine.partition, mine.partition_factor, mine.qos_factor) == ("alice", "gpu", 500, 200)
    assert mine.priority is not None and mine.fairshare is not None and mine.priority > 0
    assert mine.tres.startswith("cpu=") and "gres/gpu=" in mine.tres
    assert mine.columns["PARTITION#2"] == "500"
    assert (mine.account, mine.qos) == ("", "")  # 22.05's sprio cannot print them
    assert all(r.partition == "gpu" and r.job_id.isdigit() for r in rows.values())
    beta = parse_sprio(load("sprio", "beta-bob-later").out)
    assert [(r.job_id, r.user, r.partition) for r in beta] == [(jid("beta-bio-big", "beta"), "bob", "batch")]
    assert parse_sprio(load("sprio", "alpha-bob-later").out) == []  # header only


def test_sstat_running_steps() -> None:
    (row,) = parse_sstat(load("sstat", "alpha-long-sleep").out)
    assert row.job_step == f"{jid('long-sleep')}.batch"
    assert row.ntasks == 1 and row.ave_cpu_sec == 0
    assert row.max_rss_bytes is not None and 1 << 20 < row.max_rss_bytes < 1 << 30  # a few MB of bash
    assert row.max_vmsize_bytes is not None and row.max_vmsize_bytes >= row.max_rss_bytes
    assert "mem=" in row.tres_usage_in_max


def test_scancel_mixed_ids() -> None:
    rec = load("scancel", "alpha-alice-mixed")
    ids = rec.meta["job_ids"]
    assert rec.meta["argv"] == ["scancel", "-v", *ids]
    assert rec.meta["exit_code"] == 210  # ESLURM_ACCESS_DENIED (2002) modulo 256
    results = {r.job_id: r for r in parse_scancel(ids, rec.meta["exit_code"], rec.err)}
    assert results[jid("pending-cancel")] == CancelResult(jid("pending-cancel"), ok=True)
    assert results["999999"].error == "Invalid job id specified"
    assert results[jid("held-job")].error == "Access/permission denied"
    assert results[jid("fail-exit3")].error == "Job/step already completing or completed"


def test_scancel_general_failure() -> None:
    err = "scancel: error: Unable to contact slurm controller (connect failure)\n"
    assert parse_scancel(["5", "6"], 1, err) == [
        CancelResult("5", ok=False, error="Unable to contact slurm controller (connect failure)"),
        CancelResult("6", ok=False, error="Unable to contact slurm controller (connect failure)"),
    ]
    assert parse_scancel(["5"], 0, "") == [CancelResult("5", ok=True)]
    assert parse_scancel(["5"], 1, "") == [CancelResult("5", ok=False, error="scancel exited with 1")]


@pytest.mark.parametrize(
    "text",
    [
        "cpu*|up|1:00:00|1|1/0/0|32|1000|(null)\n",  # node states not A/I/O/T
        "cpu|up|1:00:00|x|1/0/0/1|32|1000|(null)\n",
        "|up|1:00:00|1|1/0/0/1|32|1000|(null)\n",
        "too|few\n",
    ],
)
def test_sinfo_rejects_malformed_rows(text: str) -> None:
    with pytest.raises(SlurmParseError):
        parse_sinfo(text)


def test_header_parsers_reject_foreign_headers() -> None:
    with pytest.raises(SlurmParseError):
        parse_sshare("Foo|Bar\n1|2\n")
    with pytest.raises(SlurmParseError):
        parse_sprio("Foo|Bar\n1|2\n")
    with pytest.raises(SlurmParseError):
        parse_sprio("JOBID|USER\nabc|x\n")
    assert parse_sshare("") == [] and parse_sprio("") == []
