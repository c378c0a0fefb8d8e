"""Local transport: Slurm commands and files on the machine clausius runs on.

Used for the `local` pseudo-cluster and when clausius sits on a login node.
Commands run in their own process group so a deadline kills all of them, and
file calls run in worker threads so a hung filesystem never blocks the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import stat as stat_module
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from clausius.remote.base import DEFAULT_MAX_OUTPUT, CommandResult, DirEntry, FileStat, Lane, TransportStats
from clausius.remote.errors import CommandTimeout, RemoteFileError, Unreachable

T = TypeVar("T")
KILL_GRACE = 3.0


class LocalTransport:
    def __init__(self, name: str = "local", env: dict[str, str] | None = None) -> None:
        self.name = name
        self._env = env
        self.stats_ = TransportStats()

    def stats(self) -> TransportStats:
        return self.stats_

    async def run(
        self, argv: Sequence[str], *, timeout: float, lane: Lane = "control", max_output: int = DEFAULT_MAX_OUTPUT
    ) -> CommandResult:
        start = time.monotonic()
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
                env=self._env,
            )
        except OSError as exc:
            self.stats_.commands_failed += 1
            raise Unreachable(f"{self.name}: cannot run `{argv[0]}`: {exc.strerror}") from None
        try:
            async with asyncio.timeout(timeout):
                out, err = await process.communicate()
        except (TimeoutError, asyncio.CancelledError) as exc:
            await _kill_group(process)
            self.stats_.commands_failed += 1
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise CommandTimeout(
                f"{self.name}: `{argv[0]}` did not finish within {timeout:g}s; it was stopped"
            ) from None
        self.stats_.commands_run += 1
        truncated = len(out) > max_output or len(err) > max_output
        return CommandResult(
            rc=process.returncode if process.returncode is not None else 255,
            stdout=out[:max_output].decode(errors="replace"),
            stderr=err[:max_output].decode(errors="replace"),
            duration=time.monotonic() - start,
            truncated=truncated,
        )

    async def run_script(
        self, script: str, *, timeout: float, lane: Lane = "control", max_output: int = DEFAULT_MAX_OUTPUT
    ) -> CommandResult:
        return await self.run(["bash", "-c", script], timeout=timeout, lane=lane, max_output=max_output)

    async def _file(self, what: str, path: str, timeout: float, fn: Callable[[], T]) -> T:
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.to_thread(fn)
        except TimeoutError:
            raise CommandTimeout(f"{self.name}: {what} {path} did not finish within {timeout:g}s") from None
        except OSError as exc:
            raise RemoteFileError(f"{self.name}: {what} {path}: {exc.strerror or exc}") from None

    async def read(self, path: str, offset: int, length: int, *, timeout: float) -> bytes:
        def read() -> bytes:
            with open(path, "rb") as handle:
                if offset < 0:
                    handle.seek(max(0, os.fstat(handle.fileno()).st_size + offset))
                else:
                    handle.seek(offset)
                return handle.read(length)

        return await self._file("read", path, timeout, read)

    async def stat(self, path: str, *, timeout: float) -> FileStat:
        def do() -> FileStat:
            st = Path(path).stat()
            return FileStat(path=path, size=st.st_size, mtime=st.st_mtime, is_dir=stat_module.S_ISDIR(st.st_mode))

        return await self._file("stat", path, timeout, do)

    async def listdir(self, path: str, *, timeout: float) -> list[DirEntry]:
        def do() -> list[DirEntry]:
            entries = []
            with os.scandir(path) as it:
                for entry in it:
                    # Like SFTP's readdir: a link is described as itself (a dangling one must not fail the listing).
                    st = entry.stat(follow_symlinks=False)
                    entries.append(
                        DirEntry(
                            name=entry.name,
                            path=entry.path,
                            is_dir=entry.is_dir(follow_symlinks=False),
                            size=st.st_size,
                            mtime=st.st_mtime,
                            is_link=entry.is_symlink(),
                        )
                    )
            return sorted(entries, key=lambda e: (not e.is_dir, e.name.lower()))

        return await self._file("listdir", path, timeout, do)

    async def realpath(self, path: str, *, timeout: float) -> str:
        return await self._file("realpath", path, timeout, lambda: str(Path(path).resolve(strict=True)))

    async def close(self) -> None:
        return None


async def _kill_group(process: asyncio.subprocess.Process) -> None:
    """TERM the whole process group, then KILL it if it has not gone after a grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            async with asyncio.timeout(KILL_GRACE):
                await process.wait()
            return
        except TimeoutError:
            continue
