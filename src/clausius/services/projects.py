"""Projects: named by the `<project>_<campaign>_<details>` job-name prefix, styled by colour and emoji."""

from __future__ import annotations

import sqlite3
import time

from clausius.core.config_models import Project, ProjectSpec, ProjectUpdate
from clausius.core.projects import default_prefix, pick_style
from clausius.errors import AlreadyExists, NotFound
from clausius.services.audited import delete_audited
from clausius.services.interface import current_interface
from clausius.store import config_repo
from clausius.store.database import Database


class ProjectService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def list(self) -> list[Project]:
        return await self._db.read(config_repo.list_projects)

    async def get(self, name: str) -> Project:
        project = await self._db.read(lambda c: config_repo.get_project(c, name))
        if project is None:
            raise NotFound(f"no project named {name!r}")
        return project

    async def add(self, spec: ProjectSpec, *, if_missing: bool = False) -> Project:
        """Register a project; colour and emoji default to the first unused palette entries."""
        interface = current_interface.get()

        def write(conn: sqlite3.Connection) -> Project:
            existing = config_repo.get_project(conn, spec.name)
            if existing is not None:
                if if_missing:
                    return existing
                raise AlreadyExists(f"project {spec.name!r} already exists")
            prefix = spec.prefix or default_prefix(spec.name)
            if config_repo.project_by_prefix(conn, prefix) is not None:
                raise AlreadyExists(f"prefix {prefix!r} already belongs to another project")
            projects = config_repo.list_projects(conn)
            color, emoji = pick_style({p.color for p in projects}, {p.emoji for p in projects}, len(projects))
            project = Project(
                name=spec.name,
                prefix=prefix,
                color=spec.color or color,
                emoji=spec.emoji or emoji,
                created_at=time.time(),
            )
            config_repo.insert_project(conn, project)
            config_repo.audit(conn, interface, "add_project", spec.name)
            return project

        return await self._db.write(write)

    async def update(self, name: str, patch: ProjectUpdate) -> Project:
        changes = {f: getattr(patch, f) for f in patch.model_fields_set}
        interface = current_interface.get()

        def write(conn: sqlite3.Connection) -> Project | None:
            if config_repo.get_project(conn, name) is None:
                return None
            prefix = changes.get("prefix")
            if prefix:
                owner = config_repo.project_by_prefix(conn, prefix)
                if owner is not None and owner.name != name:
                    raise AlreadyExists(f"prefix {prefix!r} already belongs to project {owner.name!r}")
            config_repo.update_project(conn, name, changes)
            config_repo.audit(conn, interface, "update_project", name)
            return config_repo.get_project(conn, name)

        project = await self._db.write(write)
        if project is None:
            raise NotFound(f"no project named {name!r}")
        return project

    async def remove(self, name: str) -> None:
        if not await delete_audited(self._db, lambda c: config_repo.delete_project(c, name), "remove_project", name):
            raise NotFound(f"no project named {name!r}")
