"""One transport per cluster, built from its record, shared by every caller in the process.

The registry rebuilds a cluster's transport when its record (or its trusted
host keys) change, so edits take effect without a restart, and closes the
old connections.
"""

from __future__ import annotations

import asyncio
import getpass
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from clausius.bootstrap import Bootstrap
from clausius.errors import InvalidInput, NotFound
from clausius.remote.base import Transport
from clausius.remote.endpoint import SshEndpoint, resolve
from clausius.remote.hostkeys import fetch_presented_key, known_hosts_line
from clausius.remote.local import LocalTransport
from clausius.remote.ssh import SshOptions, SshTransport
from clausius.services.interface import current_interface
from clausius.services.settings import SettingsService
from clausius.store import config_repo
from clausius.store.database import Database

LOCAL = "local"


class TrustedKey(BaseModel):
    cluster: str
    host: str
    port: int
    algorithm: str
    fingerprint: str


@dataclass
class _Entry:
    version: tuple[object, ...]
    transport: Transport


class TransportRegistry:
    def __init__(self, boot: Bootstrap, db: Database, settings: SettingsService) -> None:
        self._boot = boot
        self._db = db
        self._settings = settings
        self._entries: dict[str, _Entry] = {}
        self._lock = asyncio.Lock()

    async def _record(self, name: str) -> tuple[sqlite3.Row, list[sqlite3.Row]]:
        def read(conn: sqlite3.Connection) -> tuple[sqlite3.Row | None, list[sqlite3.Row]]:
            return config_repo.get_cluster(conn, name), config_repo.list_host_keys(conn, name)

        row, keys = await self._db.read(read)
        if row is None:
            raise NotFound(f"unknown cluster {name!r}")
        return row, keys

    def _endpoint(self, row: sqlite3.Row, keys: list[sqlite3.Row]) -> SshEndpoint:
        config_files = [self._boot.ssh_config] if self._boot.ssh_config else []
        return SshEndpoint(
            cluster=row["name"],
            host=row["host"],
            port=row["port"],
            user=row["user"],
            key=Path(row["key_path"]) if row["key_path"] else None,
            config_files=config_files,
            known_hosts=self._boot.known_hosts,
            default_user=self._boot.ssh_user,
            default_key=self._boot.ssh_key,
            extra_trusted=tuple(known_hosts_line(k["host"], k["port"], k["public_key"]) for k in keys),
        )

    def _options(self) -> SshOptions:
        return SshOptions(connect_timeout=float(self._settings.get_int("ssh_connect_timeout")))

    async def get(self, name: str) -> Transport:
        """The shared transport for a cluster (created on first use)."""
        if name == LOCAL:
            entry = self._entries.get(LOCAL)
            if entry is None:
                entry = self._entries[LOCAL] = _Entry((), LocalTransport(LOCAL))
            return entry.transport
        row, keys = await self._record(name)
        version = (
            row["updated_at"],
            tuple((k["host"], k["port"], k["public_key"]) for k in keys),
            self._settings.get_int("ssh_connect_timeout"),
        )
        async with self._lock:
            entry = self._entries.get(name)
            if entry is not None and entry.version == version:
                return entry.transport
            if entry is not None:
                await entry.transport.close()
            transport = SshTransport(self._endpoint(row, keys), data_host=row["data_host"], options=self._options())
            self._entries[name] = _Entry(version, transport)
            return transport

    async def remote_user(self, name: str) -> str:
        """The user the cluster's commands run as (record, else ~/.ssh/config, else bootstrap default)."""
        if name == LOCAL:
            return getpass.getuser()
        row, keys = await self._record(name)
        resolved = await asyncio.to_thread(resolve, self._endpoint(row, keys))
        return resolved.user

    def cached(self) -> dict[str, Transport]:
        return {name: entry.transport for name, entry in self._entries.items()}

    async def trust_host_key(self, name: str, fingerprint: str) -> TrustedKey:
        """Trust the login node's current host key, but only if it has the fingerprint the user checked."""
        row, keys = await self._record(name)
        resolved = await asyncio.to_thread(resolve, self._endpoint(row, keys))
        timeout = float(self._settings.get_int("ssh_connect_timeout"))
        presented = await fetch_presented_key(resolved.host, resolved.port, timeout)
        if presented is None:
            raise InvalidInput(f"{name}: could not fetch a host key from {resolved.host}:{resolved.port}")
        if presented.fingerprint != fingerprint.strip():
            raise InvalidInput(
                f"{name}: {resolved.host}:{resolved.port} presents {presented.fingerprint}, not {fingerprint}; "
                "nothing was trusted"
            )
        interface = current_interface.get()

        def write(conn: sqlite3.Connection) -> None:
            config_repo.trust_host_key(
                conn, name, resolved.host, resolved.port, presented.algorithm, presented.openssh, presented.fingerprint
            )
            config_repo.audit(
                conn, interface, "trust_host_key", name, f"{resolved.host}:{resolved.port} {presented.fingerprint}"
            )

        await self._db.write(write)
        return TrustedKey(
            cluster=name,
            host=resolved.host,
            port=resolved.port,
            algorithm=presented.algorithm,
            fingerprint=presented.fingerprint,
        )

    async def close(self) -> None:
        for entry in self._entries.values():
            await entry.transport.close()
        self._entries.clear()
