"""argv builders: validation, quoting, fixed formats."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clausius.errors import InvalidInput
from clausius.slurm import commands
from clausius.slurm.errors import InvalidSlurmArgument
from clausius.slurm.timeparse import parse_timestamp

NOW = 1795597872.0  # 2026-11-25T09:11:12Z

HOSTILE = [
    "$(touch /tmp/pwned)",
    "`touch /tmp/pwned`",
    "a'b",
    'a"b',
    "a;b",
    "a\nb",
    "../etc",
    "a/b",
    "a b",
    "-rf",
    "--user=root",
    "",
    "a|b",
    "a&b",
    "a>b",
    "*",
    "~root",
    "a\x00b",
    "ålice",
    "x" * 65,
]
HOSTILE_IDS = [*HOSTILE, "12 13", "12,13", "12;rm", "-1", "1_", "1.", "1.a-b", "12+0;", "0x10", "１２"]


def all_builders() -> list[Callable[[], list[str]]]:
    return [
        lambda: commands.build_squeue_user("alice"),
        lambda: commands.build_squeue_user("alice", include_finished=True),
        lambda: commands.build_squeue_jobs(["12", 13, "13_2"]),
        lambda: commands.build_sacct_since("alice", NOW - 3600, 3600, now_epoch=NOW),
        lambda: commands.build_sacct_jobs("alice", ["1", "2", "3_4"]),
        lambda: commands.build_scontrol_job("13_1"),
        commands.build_sinfo,
        lambda: commands.build_sshare(users=["alice"], accounts=["physics", "ml"], all_users=True),
        lambda: commands.build_sprio(user="alice", job_ids=["5"]),
        lambda: commands.build_squeue_start("alice", ["5"]),
        lambda: commands.build_sstat("12"),
        lambda: commands.build_scancel(["12", "13_[3-4%2]", "20+1", "5.batch"]),
    ]


@pytest.mark.parametrize("build", all_builders())
def test_every_argv_survives_the_shell(build: Callable[[], list[str]]) -> None:
    argv = build()
    assert all(isinstance(word, str) and word for word in argv)
    assert shlex.split(commands.to_shell(argv)) == argv


@pytest.mark.parametrize("bad", HOSTILE)
def test_hostile_names_are_rejected(bad: str) -> None:
    for build in (
        lambda: commands.build_squeue_user(bad),
        lambda: commands.build_sacct_since(bad, NOW - 60, 0, now_epoch=NOW),
        lambda: commands.build_sacct_jobs(bad, ["1"]),
        lambda: commands.build_sshare(users=[bad]),
        lambda: commands.build_sshare(accounts=[bad]),
        lambda: commands.build_sprio(user=bad),
        lambda: commands.build_squeue_start(bad),
    ):
        with pytest.raises(InvalidSlurmArgument):
            build()


@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_hostile_job_ids_are_rejected(bad: str) -> None:
    for build in (
        lambda: commands.build_squeue_jobs([bad]),
        lambda: commands.build_sacct_jobs("alice", ["1", bad]),
        lambda: commands.build_scontrol_job(bad),
        lambda: commands.build_sstat(bad),
        lambda: commands.build_scancel([bad]),
        lambda: commands.build_sprio(job_ids=[bad]),
    ):
        with pytest.raises(InvalidSlurmArgument):
            build()


def test_invalid_argument_is_an_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="invalid user"):
        commands.build_squeue_user("$(id)")


@pytest.mark.parametrize("bad", [None, 12.5, True, b"12", ["12"]])
def test_wrong_types_are_rejected(bad: object) -> None:
    with pytest.raises(InvalidSlurmArgument):
        commands.build_scontrol_job(bad)  # type: ignore[arg-type]


def test_id_lists() -> None:
    with pytest.raises(InvalidSlurmArgument):
        commands.build_scancel([])
    with pytest.raises(InvalidSlurmArgument):
        commands.build_scancel("123")  # a bare string is not a list of ids
    with pytest.raises(InvalidSlurmArgument):
        commands.build_sacct_jobs("alice", [str(i) for i in range(1001)])
    assert commands.build_scancel(["5", "5", "6"]) == ["scancel", "-v", "5", "6"]
    # scancel takes the array-range and het forms; the listing commands do not.
    with pytest.raises(InvalidSlurmArgument):
        commands.build_squeue_jobs(["13_[3-4%2]"])
    with pytest.raises(InvalidSlurmArgument):
        commands.build_sacct_jobs("alice", ["12+0"])


def test_scancel_ids_are_space_separated_in_one_call() -> None:
    assert commands.build_scancel(["12", "13"]) == ["scancel", "-v", "12", "13"]


def test_squeue_format_ends_with_the_job_name() -> None:
    argv = commands.build_squeue_user("alice")
    assert argv[:2] == ["env", "SLURM_TIME_FORMAT=standard"]
    assert argv[argv.index("-O") + 1].endswith("|,Name:")  # the free-text name last, unlimited width
    assert argv[argv.index("-u") + 1] == "alice"


def test_sacct_window_in_cluster_local_time() -> None:
    argv = commands.build_sacct_since("alice", NOW - 3600, 3600, now_epoch=NOW)
    start = argv[argv.index("-S") + 1]
    assert start == "2026-11-25T09:11:12"  # 08:11:12 UTC shown at UTC+1
    assert parse_timestamp(start, 3600) == NOW - 3600
    assert {"-X", "-P", "--noheader"} <= set(argv)
    assert argv[argv.index("-u") + 1] == "alice"
    assert next(w for w in argv if w.startswith("--format=")).endswith(",JobName")


def test_sacct_window_is_clamped_never_1970() -> None:
    for since in (1.0, NOW - 90 * 86400):
        argv = commands.build_sacct_since("alice", since, 0, now_epoch=NOW)
        start = parse_timestamp(argv[argv.index("-S") + 1], 0)
        assert start == NOW - commands.MAX_SACCT_WINDOW_SEC
    future = commands.build_sacct_since("alice", NOW + 999, 0, now_epoch=NOW)
    assert parse_timestamp(future[future.index("-S") + 1], 0) == NOW
    for bad in (0, -5, float("nan"), float("inf")):
        with pytest.raises(InvalidSlurmArgument):
            commands.build_sacct_since("alice", bad, 0, now_epoch=NOW)
    with pytest.raises(InvalidSlurmArgument):
        commands.build_sacct_since("alice", NOW, 20 * 3600, now_epoch=NOW)


def test_to_shell_really_is_one_literal_word(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = f"$(touch {marker}) `touch {marker}`; touch {marker} | a'b\"c\n"
    out = subprocess.run(
        ["bash", "-c", commands.to_shell(["printf", "%s", hostile])], capture_output=True, text=True, check=True
    ).stdout
    assert out == hostile
    assert not marker.exists()


def test_to_shell_rejects_a_string() -> None:
    with pytest.raises(InvalidSlurmArgument):
        commands.to_shell("squeue -u alice")  # a str is a Sequence[str]; refused at run time


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\x00")), min_size=1, max_size=6))
def test_to_shell_round_trips_anything(words: list[str]) -> None:
    assert shlex.split(commands.to_shell(words)) == words


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_names_either_validate_or_raise(text: str) -> None:
    try:
        argv = commands.build_squeue_user(text)
    except InvalidSlurmArgument:
        return
    assert shlex.split(commands.to_shell(argv)) == argv
    assert not text.startswith("-") and text.isascii()


def test_sacct_window_selects_by_state() -> None:
    """Without -s, sacct's window drops jobs cancelled before they became eligible."""
    argv = commands.build_sacct_since("alice", NOW - 60, 0, now_epoch=NOW)
    assert argv[argv.index("-E") + 1] == "now"
    assert set(argv[argv.index("-s") + 1].split(",")) >= {"CA", "CD", "F", "TO", "OOM", "PD", "R", "RQ", "NF"}
    with pytest.raises(InvalidSlurmArgument):
        commands.sacct_window("alice", "2026-11-25 10:00")
