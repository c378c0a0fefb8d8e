"""Team members, PPP accounts, path bases and local process filters."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from clausius.core.config_models import (
    Account,
    AccountSpec,
    AccountUpdate,
    PathBase,
    PathBaseSpec,
    PathKind,
    ProcessFilter,
    ProcessFilterSpec,
    TeamMember,
    TeamMemberSpec,
)
from clausius.errors import AlreadyExists, NotFound
from clausius.services.audited import delete_audited
from clausius.services.interface import current_interface
from clausius.store import config_repo
from clausius.store.database import Database


class RegistryService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def _delete(
        self, delete: Callable[[sqlite3.Connection], int], action: str, target: str, missing: str
    ) -> None:
        """Run one audited delete and raise NotFound when nothing matched."""
        if not await delete_audited(self._db, delete, action, target):
            raise NotFound(missing)

    # -- team -------------------------------------------------------------------------------------

    async def list_team(self) -> list[TeamMember]:
        return await self._db.read(config_repo.list_team)

    async def add_team_member(self, spec: TeamMemberSpec) -> TeamMember:
        interface = current_interface.get()

        def write(conn: sqlite3.Connection) -> None:
            try:
                config_repo.insert_team_member(conn, spec.username, spec.display_name)
            except sqlite3.IntegrityError:
                raise AlreadyExists(f"team member {spec.username!r} already exists") from None
            config_repo.audit(conn, interface, "add_team_member", spec.username)

        await self._db.write(write)
        members = await self.list_team()
        return next(m for m in members if m.username == spec.username)

    async def remove_team_member(self, username: str) -> None:
        await self._delete(
            lambda c: config_repo.delete_team_member(c, username),
            "remove_team_member",
            username,
            f"no team member named {username!r}",
        )

    # -- accounts ---------------------------------------------------------------------------------

    async def list_accounts(self) -> list[Account]:
        return await self._db.read(config_repo.list_accounts)

    async def add_account(self, spec: AccountSpec) -> Account:
        interface = current_interface.get()

        def write(conn: sqlite3.Connection) -> Account | None:
            try:
                config_repo.insert_account(conn, spec.name, spec.lustre_id, spec.description)
            except sqlite3.IntegrityError:
                raise AlreadyExists(f"account {spec.name!r} already exists") from None
            config_repo.audit(conn, interface, "add_account", spec.name)
            return config_repo.get_account(conn, spec.name)

        account = await self._db.write(write)
        assert account is not None
        return account

    async def update_account(self, name: str, patch: AccountUpdate) -> Account:
        changes = {f: getattr(patch, f) for f in patch.model_fields_set}
        interface = current_interface.get()

        def write(conn: sqlite3.Connection) -> Account | None:
            if config_repo.get_account(conn, name) is None:
                return None
            config_repo.update_account(conn, name, changes)
            config_repo.audit(conn, interface, "update_account", name)
            return config_repo.get_account(conn, name)

        account = await self._db.write(write)
        if account is None:
            raise NotFound(f"no account named {name!r}")
        return account

    async def remove_account(self, name: str) -> None:
        await self._delete(
            lambda c: config_repo.delete_account(c, name), "remove_account", name, f"no account named {name!r}"
        )

    # -- path bases -------------------------------------------------------------------------------

    async def list_paths(self, kind: PathKind | None = None) -> list[PathBase]:
        return await self._db.read(lambda c: config_repo.list_paths(c, kind))

    async def add_path(self, spec: PathBaseSpec) -> PathBase:
        interface = current_interface.get()

        def write(conn: sqlite3.Connection) -> PathBase:
            if config_repo.find_path(conn, spec.kind, spec.path) is not None:
                raise AlreadyExists(f"{spec.kind} path {spec.path!r} already exists")
            new_id = config_repo.insert_path(conn, spec.kind, spec.path)
            config_repo.audit(conn, interface, "add_path", spec.path, spec.kind)
            return PathBase(id=new_id, kind=spec.kind, path=spec.path)

        return await self._db.write(write)

    async def remove_path(self, path_id: int) -> None:
        await self._delete(
            lambda c: config_repo.delete_path(c, path_id), "remove_path", str(path_id), f"no path with id {path_id}"
        )

    # -- process filters --------------------------------------------------------------------------

    async def list_filters(self) -> list[ProcessFilter]:
        return await self._db.read(config_repo.list_filters)

    async def add_filter(self, spec: ProcessFilterSpec) -> ProcessFilter:
        interface = current_interface.get()

        def write(conn: sqlite3.Connection) -> ProcessFilter:
            if config_repo.find_filter(conn, spec.mode, spec.pattern) is not None:
                raise AlreadyExists(f"{spec.mode} filter {spec.pattern!r} already exists")
            new_id = config_repo.insert_filter(conn, spec.mode, spec.pattern)
            config_repo.audit(conn, interface, "add_filter", spec.pattern, spec.mode)
            return ProcessFilter(id=new_id, mode=spec.mode, pattern=spec.pattern)

        return await self._db.write(write)

    async def remove_filter(self, filter_id: int) -> None:
        await self._delete(
            lambda c: config_repo.delete_filter(c, filter_id),
            "remove_filter",
            str(filter_id),
            f"no process filter with id {filter_id}",
        )
