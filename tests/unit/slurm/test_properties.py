"""Every parser, fed arbitrary text, truncated real output or shuffled lines, either returns
a result or raises SlurmParseError — never anything else."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausius.slurm.errors import SlurmParseError
from clausius.slurm.refresh import parse_refresh
from clausius.slurm.sacct import parse_sacct
from clausius.slurm.scancel import parse_scancel
from clausius.slurm.scontrol import parse_scontrol_jobs
from clausius.slurm.shares import parse_sprio, parse_sshare
from clausius.slurm.sinfo import parse_sinfo
from clausius.slurm.squeue import parse_squeue, parse_squeue_start
from clausius.slurm.sstat import parse_sstat
from clausius.slurm.timeparse import parse_clock, parse_duration, parse_timestamp
from clausius.slurm.tres import gres_gpus, parse_dependencies, parse_memory, split_job_id, tres_gpus

from .recorded import load, names

PARSERS: dict[str, Callable[[str], Any]] = {
    "squeue": lambda t: parse_squeue(t, 3600),
    "squeue-start": lambda t: parse_squeue_start(t, 19800),
    "sacct": lambda t: parse_sacct(t, -18000),
    "scontrol": lambda t: parse_scontrol_jobs(t, 0),
    "sinfo": parse_sinfo,
    "sshare": parse_sshare,
    "sprio": parse_sprio,
    "sstat": parse_sstat,
    "scancel": lambda t: parse_scancel(["1", "2_[3-4]"], 1, t),
}
VALUES: list[Callable[[str], Any]] = [
    lambda t: parse_timestamp(t, 3600),
    parse_duration,
    parse_clock,
    gres_gpus,
    tres_gpus,
    parse_dependencies,
    parse_memory,
    split_job_id,
]

# Real outputs, as hypothesis material: every recorded .out per command.
SAMPLES = {cmd: [load(cmd, n).out for n in names(cmd)] for cmd in PARSERS if cmd != "scancel"}
SAMPLES["scancel"] = [load("scancel", n).err for n in names("scancel")]
SAMPLES = {cmd: [s for s in texts if s] for cmd, texts in SAMPLES.items()}
# Characters that matter to the parsers, so random text often gets past the first checks.
ALPHABET = st.sampled_from([*"|=:,._-+()[]%*/ \n\t\r0123456789aAzZTN", "JobId=", "gpu", "@@clausius:"])
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def survives(parse: Callable[[str], Any], text: str) -> None:
    """Any exception other than SlurmParseError fails the test."""
    with contextlib.suppress(SlurmParseError):
        parse(text)


@pytest.mark.parametrize("command", sorted(PARSERS))
@SETTINGS
@given(text=st.one_of(st.text(max_size=300), st.lists(ALPHABET, max_size=120).map("".join)))
def test_arbitrary_text(command: str, text: str) -> None:
    survives(PARSERS[command], text)


@pytest.mark.parametrize("command", sorted(PARSERS))
@SETTINGS
@given(data=st.data())
def test_truncated_real_output(command: str, data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(SAMPLES[command]))
    cut = data.draw(st.integers(min_value=0, max_value=len(text)))
    survives(PARSERS[command], text[:cut])


@pytest.mark.parametrize("command", sorted(PARSERS))
@SETTINGS
@given(data=st.data())
def test_shuffled_and_mixed_real_lines(command: str, data: st.DataObject) -> None:
    lines = data.draw(st.sampled_from(SAMPLES[command])).split("\n")
    other = data.draw(st.sampled_from([t for texts in SAMPLES.values() for t in texts])).split("\n")
    mixed = lines + data.draw(st.lists(st.sampled_from(other), max_size=3))
    random.Random(data.draw(st.integers())).shuffle(mixed)
    survives(PARSERS[command], "\n".join(mixed))


@SETTINGS
@given(text=st.one_of(st.text(max_size=60), st.lists(ALPHABET, max_size=30).map("".join)))
def test_value_parsers(text: str) -> None:
    for parse in VALUES:
        survives(parse, text)


REFRESH = [load("refresh", n) for n in names("refresh")]


@SETTINGS
@given(data=st.data())
def test_refresh_truncated_and_noisy(data: st.DataObject) -> None:
    rec = data.draw(st.sampled_from(REFRESH))
    cut = data.draw(st.integers(min_value=0, max_value=len(rec.out)))
    noise = data.draw(st.text(max_size=80))
    at = data.draw(st.integers(min_value=0, max_value=cut))
    stdout = rec.out[:at] + noise + rec.out[at:cut]
    try:
        result = parse_refresh(stdout, rec.err[: data.draw(st.integers(0, len(rec.err)))], rec.meta["nonce"])
    except SlurmParseError:
        return
    assert set(result.sections) == {"clock", "squeue", "sacct"}


@SETTINGS
@given(stdout=st.text(max_size=400), stderr=st.text(max_size=100))
def test_refresh_arbitrary(stdout: str, stderr: str) -> None:
    survives(lambda t: parse_refresh(t, stderr, "0123456789abcdef"), stdout)
