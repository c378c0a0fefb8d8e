"""Hostile job ids, names and paths never execute or escape (checked with a canary file)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from clausius.core.paths import PathNotAllowed, confine
from clausius.remote.errors import RemoteFileError
from clausius.services.app import Services
from tests.integration.conftest import run_with

pytestmark = pytest.mark.lab


def _hostile(canary: Path) -> list[str]:
    return [
        f"$(touch {canary})",
        f"`touch {canary}`",
        f"x; touch {canary}",
        f"x\ntouch {canary}",
        f"'; touch {canary}; '",
        f'"; touch {canary}; "',
        f"x && touch {canary}",
        f"x | touch {canary}",
        f"../../../../tmp/x$(touch {canary})",
        "-rf",
        "--help",
    ]


def test_hostile_arguments_reach_the_remote_command_literally(services: Services, tmp_path: Path) -> None:
    canary = Path("/tmp") / f"pwned-{uuid.uuid4().hex}"
    values = _hostile(canary)

    async def scenario() -> list[str]:
        transport = await services.transports.get("alpha")
        result = await transport.run(["printf", r"%s\0", *values], timeout=10)
        assert result.rc == 0
        return result.stdout.split("\0")[:-1]

    assert run_with(services, scenario) == values
    assert not canary.exists()


def test_hostile_job_ids_and_names_are_rejected_before_any_command(services: Services) -> None:
    from clausius.slurm import commands
    from clausius.slurm.errors import InvalidSlurmArgument

    canary = Path("/tmp") / f"pwned-{uuid.uuid4().hex}"
    for value in _hostile(canary):
        with pytest.raises(InvalidSlurmArgument):
            commands.build_scancel([value])
        with pytest.raises(InvalidSlurmArgument):
            commands.build_scontrol_job(value)
    assert not canary.exists()


def test_paths_are_confined_to_the_allowed_roots_after_realpath(services: Services) -> None:
    canary = Path("/tmp") / f"pwned-{uuid.uuid4().hex}"
    roots = ["/home/alice/jobs"]

    async def scenario() -> None:
        transport = await services.transports.get("alpha")
        for hostile in ("/home/alice/jobs/../.ssh/authorized_keys", "/home/alice/jobs/../../bob/jobs", "/etc/passwd"):
            with pytest.raises(PathNotAllowed):
                confine(await transport.realpath(hostile, timeout=10), roots)
        # A name with shell syntax inside the root is just an odd (here missing) file name: never executed.
        with pytest.raises(RemoteFileError):
            await transport.read(f"/home/alice/jobs/$(touch {canary})", 0, 10, timeout=10)
        inside = await transport.realpath("/home/alice/jobs/.", timeout=10)
        assert confine(inside, roots) == "/home/alice/jobs"

    run_with(services, scenario)
    assert not canary.exists()


def test_hostile_user_and_sacct_window_arguments_are_rejected(services: Services) -> None:
    from clausius.slurm import commands
    from clausius.slurm.errors import InvalidSlurmArgument

    canary = Path("/tmp") / f"pwned-{uuid.uuid4().hex}"
    for value in _hostile(canary):
        with pytest.raises(InvalidSlurmArgument):
            commands.build_squeue_user(value)
        with pytest.raises(InvalidSlurmArgument):
            commands.build_sstat(value)
    assert not canary.exists()
