"""The recorded fixtures were made with the formats the builders produce today."""

from __future__ import annotations

import pytest

from clausius.slurm import commands

from .recorded import load, names

FORMATS = {
    "squeue": ("-O", commands.SQUEUE_FORMAT),
    "squeue-start": ("-o", commands.SQUEUE_START_FORMAT),
    "sinfo": ("-o", commands.SINFO_FORMAT),
    "sprio": ("-o", commands.SPRIO_FORMAT),
    "sacct": ("--format=", commands.SACCT_FORMAT),
    "sstat": ("--format=", commands.SSTAT_FORMAT),
}


@pytest.mark.parametrize("command", sorted(FORMATS))
def test_recorded_with_the_current_format(command: str) -> None:
    flag, fmt = FORMATS[command]
    for name in names(command):
        argv = load(command, name).meta["argv"]
        if flag.endswith("="):
            assert f"{flag}{fmt}" in argv, name
        else:
            assert argv[argv.index(flag) + 1] == fmt, name


def test_refresh_recorded_with_the_current_script_shape() -> None:
    for name in names("refresh"):
        script = load("refresh", name).meta["script"]
        assert commands.SQUEUE_FORMAT in script and commands.SACCT_FORMAT in script
        assert commands.SACCT_ALL_STATES in script


def test_recorded_sacct_window_uses_states() -> None:
    for name in names("sacct"):
        argv = load("sacct", name).meta["argv"]
        if "-S" in argv:
            assert argv[argv.index("-s") + 1] == commands.SACCT_ALL_STATES, name
