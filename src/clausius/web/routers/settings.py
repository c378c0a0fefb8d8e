"""Settings and backups API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import Field

from clausius.services.backups import BackupInfo, BackupResult
from clausius.services.settings import SettingInfo
from clausius.web.bodies import RequestBody
from clausius.web.deps import ServicesDep
from clausius.web.responses import error_responses

router = APIRouter(prefix="/api", tags=["settings"], responses=error_responses(404))

KeyParam = Annotated[str, Path(max_length=64)]


class SettingWrite(RequestBody):
    value: Any = Field(description="The new value: a JSON value of the setting's type (strings are parsed too).")


@router.get("/settings")
async def list_settings(services: ServicesDep) -> list[SettingInfo]:
    return services.settings.list()


@router.get("/settings/{key}")
async def get_setting(key: KeyParam, services: ServicesDep) -> SettingInfo:
    return services.settings.info(key)


@router.put("/settings/{key}")
async def set_setting(key: KeyParam, body: SettingWrite, services: ServicesDep) -> SettingInfo:
    return await services.settings.set(key, body.value)


@router.delete("/settings/{key}")
async def reset_setting(key: KeyParam, services: ServicesDep) -> SettingInfo:
    return await services.settings.reset(key)


@router.get("/backups")
async def list_backups(services: ServicesDep) -> list[BackupInfo]:
    return await services.backups.list()


@router.post("/backups", status_code=201)
async def backup_now(services: ServicesDep) -> BackupResult:
    return await services.backups.backup_now()
