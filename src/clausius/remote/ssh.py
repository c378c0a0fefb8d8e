"""SSH transport (asyncssh): persistent connections per lane, bounded channels, deadlines.

One `SshTransport` per cluster. It keeps up to two long-lived connections:
the *control* lane (Slurm commands) to the login node, and the *data* lane
(file reads) to the cluster's data host, falling back to the login node. Each
connection carries at most `max_channels` concurrent channels (sshd's
MaxSessions defaults to 10), has keepalives, reconnects on demand and sits
behind a circuit breaker, so a dead login node costs callers nothing but a
fast, clear error. Every call has a deadline; when it expires the channel is
closed and the remote command's process group is killed (see remote_command).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import posixpath
import re
import stat as stat_module
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import asyncssh

from clausius.remote.base import DEFAULT_MAX_OUTPUT, CommandResult, DirEntry, FileStat, Lane, TransportStats
from clausius.remote.breaker import CircuitBreaker
from clausius.remote.endpoint import ResolvedEndpoint, SshEndpoint, resolve
from clausius.remote.errors import CircuitOpen, CommandTimeout, HostKeyError, RemoteFileError, Unreachable
from clausius.remote.hostkeys import fetch_presented_key, has_entry, known_hosts_for
from clausius.remote.keys import KeyLoadError, load_client_keys
from clausius.remote.remote_command import build_remote_command, new_nonce, strip_preamble

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class SshOptions:
    connect_timeout: float = 10.0
    keepalive_interval: float = 15.0
    keepalive_count_max: int = 3
    max_channels: int = 8
    login_shell: bool = True
    timeout_failures_to_reconnect: int = 2  # consecutive command timeouts before the connection is dropped


class _LaneConnection:
    """One SSH connection (opened lazily), its channel limit, SFTP client and breaker."""

    def __init__(self, owner: SshTransport, lane: Lane, endpoint: SshEndpoint) -> None:
        self.owner = owner
        self.lane = lane
        self.endpoint = endpoint
        self.breaker = CircuitBreaker()
        self.channels = asyncio.Semaphore(owner.options.max_channels)
        self._conn: asyncssh.SSHClientConnection | None = None
        self._sftp: asyncssh.SFTPClient | None = None
        self._lock = asyncio.Lock()
        self._timeouts = 0
        self._jumps: list[asyncssh.SSHClientConnection] = []  # ProxyJump hops under the connection

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def connection(self) -> asyncssh.SSHClientConnection:
        if self.connected:
            assert self._conn is not None
            return self._conn
        async with self._lock:  # one connect at a time; later callers reuse it
            if self.connected:
                assert self._conn is not None
                return self._conn
            wait = self.breaker.retry_in()
            if wait > 0:
                raise CircuitOpen(
                    f"{self.owner.name}: {self.endpoint.host} is unreachable ({self.breaker.last_error}); "
                    f"next attempt in {wait:.0f}s"
                )
            try:
                self._conn = await self._open()
            except (HostKeyError, KeyLoadError) as exc:
                self.breaker.record_failure(exc.message)
                self.owner.stats_.last_error = exc.message
                raise
            except (OSError, asyncssh.Error, TimeoutError) as exc:
                message = _describe(exc)
                self.breaker.record_failure(message)
                self.owner.stats_.last_error = message
                raise Unreachable(f"{self.owner.name}: cannot connect to {self.endpoint.host}: {message}") from None
            self.breaker.record_success()
            self._timeouts = 0
            self.owner.stats_.connections_opened += 1
            return self._conn

    async def _open(self) -> asyncssh.SSHClientConnection:
        """Connect, through the ProxyJump hops of ~/.ssh/config if any (each hop's host key verified)."""
        resolved = await asyncio.to_thread(resolve, self.endpoint)
        tunnel: asyncssh.SSHClientConnection | None = None
        for hop in (resolved.proxy_jump.split(",") if resolved.proxy_jump else [])[:MAX_JUMPS]:
            user, host, port = _parse_hop(hop)
            hop_endpoint = replace(self.endpoint, host=host, port=port, user=user, key=None)
            hop_resolved = await asyncio.to_thread(resolve, hop_endpoint)
            tunnel = await self._dial(replace(hop_resolved, proxy_jump=None), tunnel)
            self._jumps.append(tunnel)
            self.owner.stats_.connections_opened += 1
        return await self._dial(resolved, tunnel)

    async def _dial(
        self, resolved: ResolvedEndpoint, tunnel: asyncssh.SSHClientConnection | None
    ) -> asyncssh.SSHClientConnection:
        known = await asyncio.to_thread(known_hosts_for, resolved.known_hosts, self.endpoint.extra_trusted)
        options = self.owner.options
        kwargs: dict[str, object] = {
            "port": resolved.port,
            "username": resolved.user,
            "known_hosts": known,
            "keepalive_interval": options.keepalive_interval,
            "keepalive_count_max": options.keepalive_count_max,
            "config": [str(p) for p in resolved.config_files] or None,
            "agent_forwarding": False,
        }
        if resolved.keys:
            keys = await asyncio.to_thread(load_client_keys, resolved.keys, explicit=self.endpoint.key is not None)
            if keys is not None:
                kwargs["client_keys"] = keys
        if tunnel is not None:
            kwargs["tunnel"] = tunnel
        try:
            async with asyncio.timeout(options.connect_timeout):
                return await asyncssh.connect(resolved.host, **kwargs)
        except asyncssh.HostKeyNotVerifiable:
            raise await self._host_key_error(resolved, known) from None

    async def _host_key_error(self, resolved: ResolvedEndpoint, known: asyncssh.SSHKnownHosts) -> HostKeyError:
        presented = await fetch_presented_key(resolved.host, resolved.port, self.owner.options.connect_timeout)
        fingerprint = presented.fingerprint if presented else None
        shown = f"{presented.algorithm} {fingerprint}" if presented else "unknown key"
        where = f"{resolved.host}:{resolved.port}"
        cluster = self.owner.name
        if has_entry(known, resolved.host, resolved.port):
            return HostKeyError(
                f"{cluster}: the host key of {where} does NOT match the known one (now {shown}); refusing to "
                "connect — this can be an attack. If the server was really re-keyed, fix known_hosts.",
                cluster=cluster,
                host=resolved.host,
                port=resolved.port,
                fingerprint=fingerprint,
            )
        return HostKeyError(
            f"{cluster}: unknown host key for {where}: {shown}; refusing to connect",
            cluster=cluster,
            host=resolved.host,
            port=resolved.port,
            fingerprint=fingerprint,
            hint=f"compare the fingerprint with your admins', then `clausius trust-host-key {cluster} "
            f"--fingerprint {fingerprint}`"
            if fingerprint
            else "check that the host is an SSH server",
        )

    async def sftp(self) -> asyncssh.SFTPClient:
        conn = await self.connection()
        if self._sftp is None or self._sftp_conn is not conn:
            self._sftp = await conn.start_sftp_client()
            self._sftp_conn = conn
        return self._sftp

    _sftp_conn: asyncssh.SSHClientConnection | None = None

    def note_timeout(self) -> None:
        """Repeated deadlines on an open connection usually mean it is dead: drop it to reconnect."""
        self._timeouts += 1
        if self._timeouts >= self.owner.options.timeout_failures_to_reconnect:
            self.breaker.record_failure("commands timed out on an open connection")
            self.drop()

    def note_success(self) -> None:
        self._timeouts = 0

    def drop(self) -> None:
        for conn in [self._conn, *self._jumps]:
            if conn is not None:
                conn.abort()
        self._conn = None
        self._jumps = []
        self._sftp = None

    async def close(self) -> None:
        for conn in [self._conn, *reversed(self._jumps)]:
            if conn is not None:
                conn.close()
                with contextlib.suppress(Exception):  # closing a dead connection may fail; it is gone either way
                    await asyncio.wait_for(conn.wait_closed(), timeout=2)
        self._conn = None
        self._jumps = []
        self._sftp = None


class SshTransport:
    def __init__(
        self, endpoint: SshEndpoint, *, data_host: str | None = None, options: SshOptions | None = None
    ) -> None:
        self.name = endpoint.cluster
        self.options = options or SshOptions()
        self.stats_ = TransportStats()
        self._control = _LaneConnection(self, "control", endpoint)
        self._data_primary = (
            _LaneConnection(self, "data", replace(endpoint, host=data_host, port=None)) if data_host else None
        )
        self._data_fallback = _LaneConnection(self, "data", endpoint)

    def stats(self) -> TransportStats:
        self.stats_.per_lane_connected = {
            "control": self._control.connected,
            "data": self._data_fallback.connected or bool(self._data_primary and self._data_primary.connected),
        }
        return self.stats_

    def _lanes(self, lane: Lane) -> list[_LaneConnection]:
        if lane == "control":
            return [self._control]
        return [c for c in (self._data_primary, self._data_fallback) if c is not None]

    async def _with_lane(self, lane: Lane, timeout: float) -> tuple[_LaneConnection, asyncssh.SSHClientConnection]:
        """A live connection for the lane: data host first, the login node if it fails."""
        errors: list[str] = []
        for candidate in self._lanes(lane):
            try:
                async with asyncio.timeout(timeout):
                    return candidate, await candidate.connection()
            except HostKeyError:
                raise
            except (Unreachable, CircuitOpen, TimeoutError) as exc:
                errors.append(str(exc) or "connect timed out")
        raise Unreachable("; ".join(errors))

    async def run(
        self, argv: Sequence[str], *, timeout: float, lane: Lane = "control", max_output: int = DEFAULT_MAX_OUTPUT
    ) -> CommandResult:
        return await self._exec(
            list(argv), timeout=timeout, lane=lane, max_output=max_output, login_shell=self.options.login_shell
        )

    async def run_script(
        self, script: str, *, timeout: float, lane: Lane = "control", max_output: int = DEFAULT_MAX_OUTPUT
    ) -> CommandResult:
        return await self._exec(
            ["bash", "-c", script],
            timeout=timeout,
            lane=lane,
            max_output=max_output,
            login_shell=self.options.login_shell,
        )

    async def _exec(
        self, argv: list[str], *, timeout: float, lane: Lane, max_output: int, login_shell: bool
    ) -> CommandResult:
        start = time.monotonic()
        deadline = start + timeout
        nonce = new_nonce()
        command = build_remote_command(argv, nonce=nonce, login_shell=login_shell)
        holder, conn = await self._with_lane(lane, timeout)
        try:
            async with asyncio.timeout_at(asyncio.get_running_loop().time() + max(0.0, deadline - time.monotonic())):
                async with holder.channels:
                    result = await _collect(conn, command, max_output)
        except TimeoutError:
            holder.note_timeout()
            self.stats_.commands_failed += 1
            raise CommandTimeout(
                f"{self.name}: `{argv[0]}` did not finish within {timeout:g}s; it was stopped"
            ) from None
        except (OSError, asyncssh.Error) as exc:
            holder.drop()
            self.stats_.commands_failed += 1
            raise Unreachable(f"{self.name}: connection lost while running `{argv[0]}`: {_describe(exc)}") from None
        holder.note_success()
        self.stats_.commands_run += 1
        stdout, _ = strip_preamble(result[1], nonce)
        stderr, _ = strip_preamble(result[2], nonce)
        return CommandResult(
            rc=result[0], stdout=stdout, stderr=stderr, duration=time.monotonic() - start, truncated=result[3]
        )

    async def _file_call(
        self, what: str, path: str, timeout: float, call: Callable[[asyncssh.SFTPClient], Awaitable[T]]
    ) -> T:
        holder, _ = await self._with_lane("data", timeout)
        try:
            async with asyncio.timeout(timeout):
                async with holder.channels:
                    return await call(await holder.sftp())
        except TimeoutError:
            holder.note_timeout()
            raise CommandTimeout(f"{self.name}: {what} {path} did not finish within {timeout:g}s") from None
        except asyncssh.SFTPError as exc:
            raise RemoteFileError(f"{self.name}: {what} {path}: {exc.reason}") from None
        except (OSError, asyncssh.Error) as exc:
            holder.drop()
            raise Unreachable(f"{self.name}: connection lost during {what} {path}: {_describe(exc)}") from None

    async def read(self, path: str, offset: int, length: int, *, timeout: float) -> bytes:
        """Read `length` bytes at `offset`; a negative offset counts from the end of the file."""

        async def call(sftp: asyncssh.SFTPClient) -> bytes:
            async with sftp.open(path, "rb") as handle:
                start = offset
                if offset < 0:
                    size = (await handle.stat()).size or 0
                    start = max(0, size + offset)
                data = await handle.read(length, start)
                return data if isinstance(data, bytes) else data.encode()

        return await self._file_call("read", path, timeout, call)

    async def stat(self, path: str, *, timeout: float) -> FileStat:
        async def call(sftp: asyncssh.SFTPClient) -> FileStat:
            attrs = await sftp.stat(path)
            return FileStat(
                path=path,
                size=attrs.size or 0,
                mtime=float(attrs.mtime or 0),
                is_dir=stat_module.S_ISDIR(attrs.permissions or 0),
            )

        return await self._file_call("stat", path, timeout, call)

    async def listdir(self, path: str, *, timeout: float) -> list[DirEntry]:
        async def call(sftp: asyncssh.SFTPClient) -> list[DirEntry]:
            entries = []
            for name in await sftp.readdir(path):
                filename = str(name.filename)
                if filename in (".", ".."):
                    continue
                attrs = name.attrs  # as lstat has them: a link is reported as a link, not as its target
                entries.append(
                    DirEntry(
                        name=filename,
                        path=posixpath.join(path, filename),
                        is_dir=stat_module.S_ISDIR(attrs.permissions or 0),
                        size=attrs.size or 0,
                        mtime=float(attrs.mtime or 0),
                        is_link=stat_module.S_ISLNK(attrs.permissions or 0),
                    )
                )
            return sorted(entries, key=lambda e: (not e.is_dir, e.name.lower()))

        return await self._file_call("listdir", path, timeout, call)

    async def realpath(self, path: str, *, timeout: float) -> str:
        async def call(sftp: asyncssh.SFTPClient) -> str:
            return str(await sftp.realpath(path))

        return await self._file_call("realpath", path, timeout, call)

    async def close(self) -> None:
        for holder in (self._control, self._data_primary, self._data_fallback):
            if holder is not None:
                await holder.close()


async def _collect(conn: asyncssh.SSHClientConnection, command: str, max_output: int) -> tuple[int, str, str, bool]:
    """Run one command; read both streams up to `max_output` bytes each; close the channel on any exit."""
    process = await conn.create_process(command, encoding=None)
    truncated = False

    async def drain(stream: asyncssh.SSHReader[bytes]) -> bytes:
        nonlocal truncated
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = await stream.read(65536)
            if not chunk:
                return b"".join(chunks)
            if size < max_output:
                chunks.append(chunk[: max_output - size])
            if size + len(chunk) > max_output:
                truncated = True
            size += len(chunk)

    try:
        out, err = await asyncio.gather(drain(process.stdout), drain(process.stderr))
        completed = await process.wait(check=False)
    finally:
        process.close()  # on a deadline this closes stdin remotely, which stops the command
    rc = completed.exit_status if completed.exit_status is not None else 255
    return rc, out.decode(errors="replace"), err.decode(errors="replace"), truncated


MAX_JUMPS = 4
_HOP_RE = re.compile(r"^(?:(?P<user>[^@\s]+)@)?(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\s]+))(?::(?P<port>\d+))?$")


def _parse_hop(hop: str) -> tuple[str | None, str, int | None]:
    """`[user@]host[:port]` of one ProxyJump hop."""
    match = _HOP_RE.match(hop.strip().removeprefix("ssh://"))
    if not match:
        raise Unreachable(f"cannot parse ProxyJump hop {hop!r}")
    port = match.group("port")
    return match.group("user"), match.group("v6") or match.group("host"), int(port) if port else None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncssh.PermissionDenied):
        return "authentication failed (check the user and key)"
    if isinstance(exc, asyncssh.DisconnectError):
        return exc.reason or type(exc).__name__
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__
