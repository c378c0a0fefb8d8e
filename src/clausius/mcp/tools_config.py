"""Configuration tools: clusters, team, PPP accounts, paths, process filters, app settings.

The add tools take the same fields as the service's Spec models (their signatures are
generated from them); the update tools take a `changes` object holding only what changes.
"""

from __future__ import annotations

from typing import Annotated

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
    TeamMember,
    TeamMemberSpec,
)
from clausius.core.validation import STORE_INT_MAX
from clausius.mcp.toolkit import ToolRegistry
from clausius.services.app import Services
from clausius.services.settings import SettingInfo

Name = Annotated[str, Field(max_length=128)]


class Removed(BaseModel):
    removed: str


def register(tools: ToolRegistry, services: Services) -> None:
    _clusters(tools, services)
    _team_and_accounts(tools, services)
    _paths_and_filters(tools, services)
    _settings(tools, services)


def _clusters(tools: ToolRegistry, services: Services) -> None:
    @tools.tool(title="List clusters", read_only=True)
    async def list_cluster_configs() -> list[Cluster]:
        """Every registered cluster: host, SSH user/port, GPU type, default account. Key paths are never shown."""
        return await services.clusters.list()

    @tools.tool(title="Show one cluster", read_only=True)
    async def get_cluster_config(name: Annotated[Name, Field(description="Cluster name.")]) -> Cluster:
        """One cluster's configuration."""
        return await services.clusters.get(name)

    tools.spec_tool(
        name="add_cluster_config",
        title="Add a cluster",
        doc="Register a cluster reached over SSH (host may be a ~/.ssh/config alias).\n\n"
        "Then check it with get_cluster_status(check=true). If the host key is unknown, the status shows its "
        "fingerprint; a person must trust it (`clausius trust-host-key`), agents cannot.",
        spec=ClusterSpec,
        returns=Cluster,
        call=services.clusters.add,
    )

    @tools.tool(title="Change a cluster", read_only=False, destructive=True, idempotent=True)
    async def update_cluster_config(
        name: Annotated[Name, Field(description="Cluster name.")],
        changes: Annotated[ClusterUpdate, Field(description="Only the fields to change; null clears a field.")],
    ) -> Cluster:
        """Change some fields of a cluster; fields not given keep their value."""
        return await services.clusters.update(name, changes)

    @tools.tool(title="Remove a cluster", read_only=False, destructive=True, idempotent=True)
    async def remove_cluster_config(name: Annotated[Name, Field(description="Cluster name.")]) -> Removed:
        """Unregister a cluster. Its recorded job history is kept. Only when the user asked for it."""
        await services.clusters.remove(name)
        return Removed(removed=name)


def _team_and_accounts(tools: ToolRegistry, services: Services) -> None:
    @tools.tool(title="List team members", read_only=True)
    async def list_team_members() -> list[TeamMember]:
        """The team: cluster user names whose usage counts as the team's."""
        return await services.registry.list_team()

    tools.spec_tool(
        name="add_team_member",
        title="Add a team member",
        doc="Add a team member by cluster user name.",
        spec=TeamMemberSpec,
        returns=TeamMember,
        call=services.registry.add_team_member,
    )

    @tools.tool(title="Remove a team member", read_only=False, destructive=True, idempotent=True)
    async def remove_team_member(username: Annotated[Name, Field(description="Cluster user name.")]) -> Removed:
        """Remove a team member."""
        await services.registry.remove_team_member(username)
        return Removed(removed=username)

    @tools.tool(title="List PPP accounts", read_only=True)
    async def list_ppp_accounts() -> list[Account]:
        """Slurm accounts (PPPs) the team submits under."""
        return await services.registry.list_accounts()

    tools.spec_tool(
        name="add_ppp_account",
        title="Add a PPP account",
        doc="Add a Slurm account (PPP) the team submits under.",
        spec=AccountSpec,
        returns=Account,
        call=services.registry.add_account,
    )

    @tools.tool(title="Change a PPP account", read_only=False, destructive=True, idempotent=True)
    async def update_ppp_account(
        name: Annotated[Name, Field(description="Account name.")],
        changes: Annotated[AccountUpdate, Field(description="Only the fields to change.")],
    ) -> Account:
        """Change an account's Lustre id or description."""
        return await services.registry.update_account(name, changes)

    @tools.tool(title="Remove a PPP account", read_only=False, destructive=True, idempotent=True)
    async def remove_ppp_account(name: Annotated[Name, Field(description="Account name.")]) -> Removed:
        """Remove a Slurm account from the list."""
        await services.registry.remove_account(name)
        return Removed(removed=name)


def _paths_and_filters(tools: ToolRegistry, services: Services) -> None:
    @tools.tool(title="List path bases", read_only=True)
    async def list_path_bases(
        kind: Annotated[PathKind | None, Field(description="Only this kind.")] = None,
    ) -> list[PathBase]:
        """Remote roots: where logs are searched, NeMo-Run output roots, Lustre prefixes. Each has an id."""
        return await services.registry.list_paths(kind)

    tools.spec_tool(
        name="add_path_base",
        title="Add a path base",
        doc="Add a remote root of one kind (absolute path): where logs are searched, NeMo-Run outputs, Lustre.",
        spec=PathBaseSpec,
        returns=PathBase,
        call=services.registry.add_path,
    )

    @tools.tool(title="Remove a path base", read_only=False, destructive=True, idempotent=True)
    async def remove_path_base(
        path_id: Annotated[int, Field(ge=1, le=STORE_INT_MAX, description="Id from list_path_bases.")],
    ) -> Removed:
        """Remove a path base by id."""
        await services.registry.remove_path(path_id)
        return Removed(removed=str(path_id))

    @tools.tool(title="List local process filters", read_only=True)
    async def list_process_filters() -> list[ProcessFilter]:
        """Patterns choosing which of this machine's processes appear on the board as 'local' jobs."""
        return await services.registry.list_filters()

    tools.spec_tool(
        name="add_process_filter",
        title="Add a process filter",
        doc="Show (include) or hide (exclude) local processes whose command line contains the pattern.",
        spec=ProcessFilterSpec,
        returns=ProcessFilter,
        call=services.registry.add_filter,
    )

    @tools.tool(title="Remove a process filter", read_only=False, destructive=True, idempotent=True)
    async def remove_process_filter(
        filter_id: Annotated[int, Field(ge=1, le=STORE_INT_MAX, description="Id from list_process_filters.")],
    ) -> Removed:
        """Remove a process filter by id."""
        await services.registry.remove_filter(filter_id)
        return Removed(removed=str(filter_id))


def _settings(tools: ToolRegistry, services: Services) -> None:
    @tools.tool(title="List app settings", read_only=True)
    async def list_app_settings(
        category: Annotated[str | None, Field(max_length=32, description="Only this category.")] = None,
    ) -> list[SettingInfo]:
        """Every runtime setting with its value, default, type, range and description. Secrets show only is_set."""
        return [s for s in services.settings.list() if category is None or s.category == category]

    @tools.tool(title="Show one app setting", read_only=True)
    async def get_app_setting(key: Annotated[str, Field(max_length=64, description="Setting key.")]) -> SettingInfo:
        """One setting's value and what it means."""
        return services.settings.info(key)

    @tools.tool(title="Change an app setting", read_only=False, destructive=True, idempotent=True)
    async def set_app_setting(
        key: Annotated[str, Field(max_length=64, description="Setting key (see list_app_settings).")],
        value: Annotated[
            str | int | float | bool | list[str],
            Field(description="New value of the setting's type; strings are parsed (e.g. '30', 'true')."),
        ],
    ) -> SettingInfo:
        """Change a setting; it takes effect at once. Settings that widen what agents may do are person-only."""
        return await services.settings.set(key, value)
