"""`import-json`: bring a v3 `config.json` into the database, idempotently."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from clausius.core.config_models import Project
from clausius.core.legacy_config import ImportPlan, plan_import
from clausius.core.projects import default_prefix, pick_style
from clausius.errors import InvalidInput
from clausius.services.interface import current_interface
from clausius.store import config_repo
from clausius.store.database import Database


class ImportReport(BaseModel):
    source: str
    renamed_to: str | None
    added: dict[str, int]
    skipped: dict[str, int]
    warnings: list[str]


def _read(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}: malformed JSON at line {exc.lineno}: {exc.msg}") from None


def _backup_name(path: Path) -> Path:
    target = path.with_name(path.name + ".bak")
    if target.exists():
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = path.with_name(f"{path.name}.{stamp}.bak")
        n = 1
        while target.exists():  # never overwrite an earlier backup (two imports within one second)
            target = path.with_name(f"{path.name}.{stamp}-{n}.bak")
            n += 1
    return target


def _apply(conn: sqlite3.Connection, plan: ImportPlan, interface: str) -> tuple[dict[str, int], dict[str, int]]:
    added = dict.fromkeys(("clusters", "team", "accounts", "paths", "filters", "projects", "settings"), 0)
    skipped = dict(added)

    def count(kind: str, was_new: bool) -> None:
        (added if was_new else skipped)[kind] += 1

    for cluster in plan.clusters:
        new = config_repo.get_cluster(conn, cluster.name) is None
        if new:
            config_repo.insert_cluster(conn, cluster)
        count("clusters", new)
    existing_team = {m.username for m in config_repo.list_team(conn)}
    for member in plan.team:
        new = member.username not in existing_team
        if new:
            config_repo.insert_team_member(conn, member.username, member.display_name)
            existing_team.add(member.username)
        count("team", new)
    for account in plan.accounts:
        new = config_repo.get_account(conn, account.name) is None
        if new:
            config_repo.insert_account(conn, account.name, account.lustre_id, account.description)
        count("accounts", new)
    for path in plan.paths:
        new = config_repo.find_path(conn, path.kind, path.path) is None
        if new:
            config_repo.insert_path(conn, path.kind, path.path)
        count("paths", new)
    for flt in plan.filters:
        new = config_repo.find_filter(conn, flt.mode, flt.pattern) is None
        if new:
            config_repo.insert_filter(conn, flt.mode, flt.pattern)
        count("filters", new)
    for spec in plan.projects:
        prefix = spec.prefix or default_prefix(spec.name)
        new = config_repo.get_project(conn, spec.name) is None and config_repo.project_by_prefix(conn, prefix) is None
        if new:
            projects = config_repo.list_projects(conn)
            color, emoji = pick_style({p.color for p in projects}, {p.emoji for p in projects}, len(projects))
            config_repo.insert_project(
                conn,
                Project(
                    name=spec.name,
                    prefix=prefix,
                    color=spec.color or color,
                    emoji=spec.emoji or emoji,
                    created_at=time.time(),
                ),
            )
        count("projects", new)
    stored = config_repo.load_settings(conn)
    for key, value in plan.settings.items():
        new = key not in stored  # never overwrite a value the user has set since
        if new:
            config_repo.upsert_setting(conn, key, value)
        count("settings", new)
    config_repo.audit(conn, interface, "import_json", "config.json", json.dumps(added))
    return added, skipped


class LegacyImportService:
    def __init__(self, db: Database, reload_settings: Callable[[], None]) -> None:
        self._db = db
        self._reload_settings = reload_settings

    async def import_file(self, path: Path, *, rename: bool = True) -> ImportReport:
        data = await asyncio.to_thread(_read, path)
        plan = plan_import(data)
        interface = current_interface.get()
        added, skipped = await self._db.write(lambda conn: _apply(conn, plan, interface))
        await asyncio.to_thread(self._reload_settings)
        renamed: Path | None = None
        if rename:
            renamed = _backup_name(path)
            await asyncio.to_thread(path.rename, renamed)
        return ImportReport(
            source=str(path),
            renamed_to=str(renamed) if renamed else None,
            added=added,
            skipped=skipped,
            warnings=plan.warnings,
        )
