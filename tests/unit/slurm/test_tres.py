"""GRES/TRES GPU counting, dependency lists, job ids, memory sizes."""

from __future__ import annotations

import pytest

from clausius.slurm.errors import SlurmParseError
from clausius.slurm.models import Dependency, JobIdParts
from clausius.slurm.tres import gres_gpus, parse_dependencies, parse_memory, parse_tres, split_job_id, tres_gpus


@pytest.mark.parametrize(
    ("gres", "expected"),
    [
        ("gpu:8", (8, None)),
        ("gpu:h100:4", (4, "h100")),
        ("gres/gpu:b200:4(S:0-1)", (4, "b200")),
        ("gres:gpu:4", (4, None)),
        ("gres:gpu:h100:8", (8, "h100")),
        ("gpu:a100:2(IDX:0-1,3)", (2, "a100")),
        ("gpu", (1, None)),
        ("gpu:h100", (1, "h100")),
        ("gres:gpu:h100:2,gres:shard:4", (2, "h100")),
        ("mps:100", (0, None)),
        ("N/A", (None, None)),  # tells nothing: unknown, never 0
        ("(null)", (None, None)),
        ("", (None, None)),
    ],
)
def test_gres_gpus(gres: str, expected: tuple[int, str | None]) -> None:
    assert gres_gpus(gres) == expected


def test_tres() -> None:
    tres = "billing=16,cpu=16,gres/gpu:h100=4,gres/gpu=4,mem=64G,node=1"
    assert parse_tres(tres)["mem"] == "64G"
    assert tres_gpus(tres) == (4, "h100")
    assert tres_gpus("cpu=4,gres/gpu:a100=2") == (2, "a100")
    assert tres_gpus("cpu=4,mem=8G,node=1") == (0, None)
    assert tres_gpus("") == (None, None)
    assert tres_gpus("N/A") == (None, None)


def test_dependencies() -> None:
    assert parse_dependencies("afterok:12(unfulfilled),afterany:13_*") == (
        Dependency("afterok", "12", "unfulfilled"),
        Dependency("afterany", "13_*", ""),
    )
    assert parse_dependencies("(null)") == ()
    assert parse_dependencies("") == ()
    assert parse_dependencies("afterok:1:2") == (Dependency("afterok", "1"), Dependency("afterok", "2"))
    assert parse_dependencies("after:5+10?afternotok:6(failed)") == (
        Dependency("after", "5"),
        Dependency("afternotok", "6", "failed"),
    )
    assert parse_dependencies("singleton(unfulfilled)") == (Dependency("singleton", "", "unfulfilled"),)
    with pytest.raises(SlurmParseError):
        parse_dependencies("afterok:1)(")


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("123", JobIdParts("123", None, None, None)),
        ("13_1", JobIdParts("13", "1", None, None)),
        ("13_[3-4%2]", JobIdParts("13", "[3-4%2]", None, None)),
        ("123+0", JobIdParts("123", None, 0, None)),
        ("123.batch", JobIdParts("123", None, None, "batch")),
        ("13_1.0", JobIdParts("13", "1", None, "0")),
    ],
)
def test_split_job_id(text: str, parts: JobIdParts) -> None:
    assert split_job_id(text) == parts


@pytest.mark.parametrize("text", ["", "abc", "12a", "1_", "1+x", "1;2"])
def test_bad_job_id(text: str) -> None:
    with pytest.raises(SlurmParseError):
        split_job_id(text)


def test_memory() -> None:
    assert parse_memory("2048K") == 2048 * 1024
    assert parse_memory("1.50G") == int(1.5 * (1 << 30))
    assert parse_memory("0") == 0
    assert parse_memory("") is None
    with pytest.raises(SlurmParseError):
        parse_memory("12Q")
