"""Cluster registry: add, list, update (merge), remove."""

from __future__ import annotations

import asyncio
import builtins
import json
import sqlite3
from pathlib import Path

from clausius.core import validation
from clausius.core.config_models import Cluster, ClusterSpec, ClusterUpdate
from clausius.errors import AlreadyExists, InvalidInput, NotFound
from clausius.remote.keys import key_problem
from clausius.services.audited import delete_audited
from clausius.services.interface import current_interface
from clausius.store import config_repo
from clausius.store.database import Database


async def _check_key(key: str | None) -> None:
    """Say at once when a key file exists but cannot be used (a missing one may still be created)."""
    if not key:
        return

    def check() -> str | None:
        path = Path(key).expanduser()
        problem = key_problem(path) if path.exists() else None
        return None if problem is None else f"this SSH key cannot be loaded: {problem}"

    if (message := await asyncio.to_thread(check)) is not None:
        raise InvalidInput(message)


class ClusterService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def list(self) -> builtins.list[Cluster]:
        rows = await self._db.read(config_repo.list_clusters)
        return [config_repo.cluster_row_to_model(r) for r in rows]

    async def names(self) -> builtins.list[str]:
        return [c.name for c in await self.list()]

    async def get(self, name: str) -> Cluster:
        row = await self._db.read(lambda c: config_repo.get_cluster(c, name))
        if row is None:
            raise await self._unknown(name)
        return config_repo.cluster_row_to_model(row)

    async def _unknown(self, name: str) -> NotFound:
        known = await self.names()
        hint = f"known clusters: {', '.join(known)}" if known else "no clusters are registered yet"
        return NotFound(f"unknown cluster {name!r}", hint=hint, choices=known)

    async def add(self, spec: ClusterSpec) -> Cluster:
        await _check_key(spec.key)
        interface = current_interface.get()

        def write(conn: sqlite3.Connection) -> sqlite3.Row | None:
            if config_repo.get_cluster(conn, spec.name) is not None:
                raise AlreadyExists(
                    f"cluster {spec.name!r} already exists", hint="use update to change it, or remove it first"
                )
            config_repo.insert_cluster(conn, spec)
            config_repo.audit(conn, interface, "add_cluster", spec.name, f"host={spec.host}")
            return config_repo.get_cluster(conn, spec.name)

        row = await self._db.write(write)
        assert row is not None
        return config_repo.cluster_row_to_model(row)

    async def update(self, name: str, patch: ClusterUpdate) -> Cluster:
        """Merge `patch` into the stored cluster: fields not sent are kept (never wiped)."""
        validation.cluster_name(name)
        changes = {field: getattr(patch, field) for field in patch.model_fields_set}
        if "host" in changes and not changes["host"]:
            raise InvalidInput("host cannot be cleared")
        await _check_key(changes.get("key"))
        interface = current_interface.get()

        def write(conn: sqlite3.Connection) -> sqlite3.Row | None:
            if config_repo.get_cluster(conn, name) is None:
                return None
            config_repo.update_cluster(conn, name, changes)
            shown = sorted("key" if k == "key" else k for k in changes)
            config_repo.audit(conn, interface, "update_cluster", name, json.dumps(shown))
            return config_repo.get_cluster(conn, name)

        row = await self._db.write(write)
        if row is None:
            raise await self._unknown(name)
        return config_repo.cluster_row_to_model(row)

    async def remove(self, name: str) -> None:
        if not await delete_audited(self._db, lambda c: config_repo.delete_cluster(c, name), "remove_cluster", name):
            raise await self._unknown(name)
