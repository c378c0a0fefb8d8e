"""Configuration API: clusters, team, PPP accounts, paths, process filters, projects."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi import Path as FastApiPath
from pydantic import BaseModel, Field

from clausius.core.config_models import (
    Account,
    AccountSpec,
    AccountUpdate,
    Cluster,
    ClusterSpec,
    ClusterUpdate,
    PathBase,
    PathBaseSpec,
    PathKind,
    ProcessFilter,
    ProcessFilterSpec,
    Project,
    ProjectSpec,
    ProjectUpdate,
    TeamMember,
    TeamMemberSpec,
)
from clausius.core.validation import STORE_INT_MAX
from clausius.services.app import PingResult
from clausius.services.transports import TrustedKey
from clausius.web.bodies import RequestBody
from clausius.web.deps import ServicesDep
from clausius.web.responses import CLUSTER, error_responses

router = APIRouter(prefix="/api", tags=["config"], responses=error_responses(404, 409, *CLUSTER))
RecordId = Annotated[int, FastApiPath(ge=1, le=STORE_INT_MAX, description="The record's id.")]

NameParam = Annotated[str, Path(max_length=128)]


class Removed(BaseModel):
    removed: str


@router.get("/clusters")
async def list_clusters(services: ServicesDep) -> list[Cluster]:
    return await services.clusters.list()


@router.post("/clusters", status_code=201)
async def add_cluster(spec: ClusterSpec, services: ServicesDep) -> Cluster:
    return await services.clusters.add(spec)


@router.get("/clusters/{name}")
async def get_cluster(name: NameParam, services: ServicesDep) -> Cluster:
    return await services.clusters.get(name)


@router.patch("/clusters/{name}")
async def update_cluster(name: NameParam, patch: ClusterUpdate, services: ServicesDep) -> Cluster:
    return await services.clusters.update(name, patch)


@router.delete("/clusters/{name}")
async def remove_cluster(name: NameParam, services: ServicesDep) -> Removed:
    await services.clusters.remove(name)
    return Removed(removed=name)


class TrustRequest(RequestBody):
    fingerprint: str = Field(min_length=8, max_length=128, description="SHA256:... fingerprint verified out of band.")


@router.get("/clusters/{name}/ping")
async def ping_cluster(name: NameParam, services: ServicesDep) -> PingResult:
    return await services.ping(name)


@router.post("/clusters/{name}/trust-host-key")
async def trust_host_key(name: NameParam, body: TrustRequest, services: ServicesDep) -> TrustedKey:
    return await services.transports.trust_host_key(name, body.fingerprint)


@router.get("/team")
async def list_team(services: ServicesDep) -> list[TeamMember]:
    return await services.registry.list_team()


@router.post("/team", status_code=201)
async def add_team_member(spec: TeamMemberSpec, services: ServicesDep) -> TeamMember:
    return await services.registry.add_team_member(spec)


@router.delete("/team/{username}")
async def remove_team_member(username: NameParam, services: ServicesDep) -> Removed:
    await services.registry.remove_team_member(username)
    return Removed(removed=username)


@router.get("/accounts")
async def list_accounts(services: ServicesDep) -> list[Account]:
    return await services.registry.list_accounts()


@router.post("/accounts", status_code=201)
async def add_account(spec: AccountSpec, services: ServicesDep) -> Account:
    return await services.registry.add_account(spec)


@router.patch("/accounts/{name}")
async def update_account(name: NameParam, patch: AccountUpdate, services: ServicesDep) -> Account:
    return await services.registry.update_account(name, patch)


@router.delete("/accounts/{name}")
async def remove_account(name: NameParam, services: ServicesDep) -> Removed:
    await services.registry.remove_account(name)
    return Removed(removed=name)


@router.get("/paths")
async def list_paths(services: ServicesDep, kind: Annotated[PathKind | None, Query()] = None) -> list[PathBase]:
    return await services.registry.list_paths(kind)


@router.post("/paths", status_code=201)
async def add_path(spec: PathBaseSpec, services: ServicesDep) -> PathBase:
    return await services.registry.add_path(spec)


@router.delete("/paths/{path_id}")
async def remove_path(path_id: RecordId, services: ServicesDep) -> Removed:
    await services.registry.remove_path(path_id)
    return Removed(removed=str(path_id))


@router.get("/filters")
async def list_filters(services: ServicesDep) -> list[ProcessFilter]:
    return await services.registry.list_filters()


@router.post("/filters", status_code=201)
async def add_filter(spec: ProcessFilterSpec, services: ServicesDep) -> ProcessFilter:
    return await services.registry.add_filter(spec)


@router.delete("/filters/{filter_id}")
async def remove_filter(filter_id: RecordId, services: ServicesDep) -> Removed:
    await services.registry.remove_filter(filter_id)
    return Removed(removed=str(filter_id))


@router.get("/projects")
async def list_projects(services: ServicesDep) -> list[Project]:
    return await services.projects.list()


@router.post("/projects", status_code=201)
async def add_project(spec: ProjectSpec, services: ServicesDep) -> Project:
    return await services.projects.add(spec)


@router.patch("/projects/{name}")
async def update_project(name: NameParam, patch: ProjectUpdate, services: ServicesDep) -> Project:
    return await services.projects.update(name, patch)


@router.delete("/projects/{name}")
async def remove_project(name: NameParam, services: ServicesDep) -> Removed:
    await services.projects.remove(name)
    return Removed(removed=name)
