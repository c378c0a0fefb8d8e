"""The transport protocol every cluster connection implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

Lane = Literal["control", "data"]

DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024  # bytes per stream; more is cut off and flagged


@dataclass(frozen=True)
class CommandResult:
    rc: int
    stdout: str
    stderr: str
    duration: float
    truncated: bool = False


@dataclass(frozen=True)
class FileStat:
    path: str
    size: int
    mtime: float
    is_dir: bool


@dataclass(frozen=True)
class DirEntry:
    name: str
    path: str
    is_dir: bool
    size: int
    mtime: float
    is_link: bool = False  # the entry itself is a symbolic link (its target may lie anywhere)


@dataclass
class TransportStats:
    """Counters for benchmarks and status pages."""

    connections_opened: int = 0
    commands_run: int = 0
    commands_failed: int = 0
    last_error: str | None = None
    per_lane_connected: dict[str, bool] = field(default_factory=dict)


class Transport(Protocol):
    """How services talk to one cluster. Every call has a deadline (seconds)."""

    name: str

    async def run(
        self, argv: Sequence[str], *, timeout: float, lane: Lane = "control", max_output: int = DEFAULT_MAX_OUTPUT
    ) -> CommandResult: ...

    async def run_script(
        self, script: str, *, timeout: float, lane: Lane = "control", max_output: int = DEFAULT_MAX_OUTPUT
    ) -> CommandResult: ...

    async def read(self, path: str, offset: int, length: int, *, timeout: float) -> bytes: ...

    async def stat(self, path: str, *, timeout: float) -> FileStat: ...

    async def listdir(self, path: str, *, timeout: float) -> list[DirEntry]: ...

    async def realpath(self, path: str, *, timeout: float) -> str: ...

    def stats(self) -> TransportStats: ...

    async def close(self) -> None: ...
