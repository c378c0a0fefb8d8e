"""Runtime settings: one in-memory view, updated on every write.

Reads are plain dictionary lookups (no I/O), so any code, including code on
the event loop, may read a setting at any time. Writes validate through the
registry, persist on the writer thread, then update the view, so a change
takes effect at once. Changes made by another process (the CLI while the
server runs) are picked up by `watch_external_changes` within about a second.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from clausius.core.secret_hash import hash_secret, is_hashed, verify_secret
from clausius.core.settings_registry import (
    NOT_USED_YET,
    PERSON_ONLY,
    REGISTRY,
    SETTINGS,
    SettingSpec,
    SettingValue,
    coerce,
    get_spec,
    keep_masked_credentials,
    public_value,
)
from clausius.errors import ClausiusError, NotAllowed
from clausius.services.interface import current_interface
from clausius.store import config_repo
from clausius.store.database import Database, connect

log = logging.getLogger(__name__)


class SettingInfo(BaseModel):
    """One setting as shown to users and agents. Secrets show only `is_set`."""

    key: str
    type: str
    value: SettingValue | None
    default: SettingValue | None
    is_default: bool
    is_set: bool
    description: str
    category: str
    minimum: float | None = None
    maximum: float | None = None
    choices: list[str] | None = None
    unit: str | None = None
    not_used_yet: str | None = Field(
        default=None, description="Offered but not read by any code yet: the capability that will use it."
    )


class SettingsService:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._overrides: dict[str, SettingValue] = {}
        self._listeners: list[Callable[[str], None]] = []
        self._generation = 0  # bumped by every local write; a reload read before one is stale
        self._verified: set[tuple[str, bytes]] = set()
        self.reload_sync()

    # -- reading (never blocks) -------------------------------------------------------------------

    def get(self, key: str) -> SettingValue:
        spec = get_spec(key)
        return self._overrides.get(key, spec.default)

    def get_int(self, key: str) -> int:
        value = self.get(key)
        assert isinstance(value, int) and not isinstance(value, bool), key
        return value

    def get_bool(self, key: str) -> bool:
        value = self.get(key)
        assert isinstance(value, bool), key
        return value

    def get_str(self, key: str) -> str:
        value = self.get(key)
        assert isinstance(value, str), key
        return value

    def get_list(self, key: str) -> list[str]:
        value = self.get(key)
        assert isinstance(value, list), key
        return list(value)

    def info(self, key: str) -> SettingInfo:
        spec = get_spec(key)
        return self._info(spec)

    def list(self) -> list[SettingInfo]:
        return [self._info(spec) for spec in SETTINGS]

    def _info(self, spec: SettingSpec) -> SettingInfo:
        value = self._overrides.get(spec.key, spec.default)
        return SettingInfo(
            key=spec.key,
            type=spec.type,
            value=public_value(spec, value),
            default=public_value(spec, spec.default),
            is_default=spec.key not in self._overrides,
            is_set=bool(value),
            description=spec.description,
            category=spec.category,
            minimum=spec.minimum,
            maximum=spec.maximum,
            choices=list(spec.choices) or None,
            unit=spec.unit,
            not_used_yet=NOT_USED_YET.get(spec.key),
        )

    def on_change(self, listener: Callable[[str], None]) -> None:
        """Call `listener(key)` after a setting changes (used by background loops to re-arm)."""
        self._listeners.append(listener)

    # -- writing ----------------------------------------------------------------------------------

    async def set(self, key: str, raw: Any) -> SettingInfo:
        spec = get_spec(key)
        interface = current_interface.get()
        self._refuse_agents(key, interface)
        value = coerce(spec, raw)
        stored = self.get(key)
        if spec.type == "url" and isinstance(value, str) and isinstance(stored, str):
            value = keep_masked_credentials(value, stored)
        if spec.secret and isinstance(value, str) and value:
            value = hash_secret(value)  # only ever compared: never stored as typed
        shown = "(secret)" if spec.secret else json.dumps(public_value(spec, value))  # the audit log is shown too

        def write(conn: sqlite3.Connection) -> None:
            config_repo.upsert_setting(conn, key, value)
            config_repo.audit(conn, interface, "set_setting", key, shown)

        await self._db.write(write)
        self._apply(key, value)
        return self._info(spec)

    async def reset(self, key: str) -> SettingInfo:
        spec = get_spec(key)
        interface = current_interface.get()
        self._refuse_agents(key, interface)

        def write(conn: sqlite3.Connection) -> None:
            config_repo.delete_setting(conn, key)
            config_repo.audit(conn, interface, "reset_setting", key)

        await self._db.write(write)
        self._apply(key, None)
        return self._info(spec)

    @staticmethod
    def _refuse_agents(key: str, interface: str) -> None:
        if interface == "mcp" and key in PERSON_ONLY:
            raise NotAllowed(
                f"{key} can only be changed by a person",
                hint=f"ask the user to run `clausius set {key} <value>` or use the Settings page",
            )

    def _apply(self, key: str, value: SettingValue | None) -> None:
        self._generation += 1
        if value is None:
            self._overrides.pop(key, None)
        else:
            self._overrides[key] = value
        for listener in self._listeners:
            listener(key)

    # -- reloading --------------------------------------------------------------------------------

    def _load(self, stored: dict[str, Any]) -> dict[str, SettingValue]:
        values: dict[str, SettingValue] = {}
        for key, raw in stored.items():
            spec = REGISTRY.get(key)
            if spec is None:
                log.warning("ignoring unknown setting %r stored in the database", key)
                continue
            try:
                values[key] = coerce(spec, raw)
            except ClausiusError as exc:  # a bad stored value must not stop start-up; the default applies
                log.warning("ignoring invalid stored value for %s: %s", key, exc)
        return values

    def _read_stored(self) -> dict[str, SettingValue]:
        values = self._load(self._db.read_sync(config_repo.load_settings))
        plain = {
            k: v for k, v in values.items() if REGISTRY[k].secret and isinstance(v, str) and v and not is_hashed(v)
        }
        if plain:  # written by an older clausius or the v3 import: hash it in place, once
            hashed: dict[str, SettingValue] = {k: hash_secret(str(v)) for k, v in plain.items()}

            def store(conn: sqlite3.Connection) -> None:
                for key, value in hashed.items():
                    config_repo.upsert_setting(conn, key, value)

            self._db.write_sync(store)
            self._db.flush_wal_sync()
            log.warning(
                "stored %s as a hash instead of plain text (backups made before keep the old value)",
                ", ".join(sorted(hashed)),
            )
            values.update(hashed)
        return values

    def verify_secret(self, key: str, candidate: str) -> bool:
        """Whether `candidate` is the secret setting's value (constant time; False when unset)."""
        stored = self.get(key)
        if not get_spec(key).secret or not isinstance(stored, str) or not stored:
            return False
        cache_key = (stored, hashlib.sha256(candidate.encode("utf-8")).digest())
        if cache_key in self._verified:
            return True
        ok = verify_secret(candidate, stored)
        if ok:
            self._verified = {cache_key}  # one accepted token is remembered; a changed setting forgets it
        return ok

    def reload_sync(self) -> None:
        self._replace(self._read_stored())

    def _replace(self, fresh: dict[str, SettingValue]) -> None:
        changed = {k for k in set(fresh) | set(self._overrides) if fresh.get(k) != self._overrides.get(k)}
        self._overrides = fresh
        for key in changed:
            for listener in self._listeners:
                listener(key)

    async def watch_external_changes(self, interval: float = 1.0) -> None:
        """Reload when another connection (or process) commits; runs until cancelled."""
        conn = await asyncio.to_thread(connect, self._db.path, readonly=True)
        in_use = threading.Lock()  # a cancelled wait leaves its query running: never close under it

        def data_version() -> int:
            with in_use:
                return int(conn.execute("PRAGMA data_version").fetchone()[0])

        try:
            last = await asyncio.to_thread(data_version)
            while True:
                await asyncio.sleep(interval)
                now = await asyncio.to_thread(data_version)
                if now != last:
                    generation = self._generation
                    fresh = await asyncio.to_thread(self._read_stored)
                    if generation != self._generation:
                        continue  # a local write landed while reading: this snapshot may be older; re-read next tick
                    last = now
                    self._replace(fresh)
        finally:
            with in_use:  # waits at most for one PRAGMA already under way
                conn.close()
