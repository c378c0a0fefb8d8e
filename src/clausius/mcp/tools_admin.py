"""Compute and admin tools: scripts on clusters, history clean-up, the audit log."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from clausius.mcp.toolkit import ToolRegistry
from clausius.services.app import AuditEntry, Services
from clausius.services.history import CleanupResult
from clausius.services.scripts import Interpreter, ScriptResult

Cluster = Annotated[str, Field(max_length=64, description="Cluster name, as in list_cluster_configs.")]
AnyCluster = Annotated[str | None, Field(max_length=64, description="Only this cluster (default: every cluster).")]


def register(tools: ToolRegistry, services: Services) -> None:
    @tools.tool(title="Run a script on a cluster", read_only=False, destructive=True, open_world=True)
    async def run_script(
        cluster: Cluster,
        script: Annotated[str, Field(min_length=1, max_length=32768, description="The script's text.")],
        interpreter: Annotated[Interpreter, Field(description="bash or python3.")] = "bash",
        timeout_sec: Annotated[int, Field(ge=1, le=600, description="Stopped (process group killed) after this.")] = 60,
        max_output_bytes: Annotated[
            int, Field(ge=256, le=262144, description="Per stream; the rest is dropped and flagged.")
        ] = 16384,
    ) -> ScriptResult:
        """Run a short bash or Python script on the cluster's login node and return its output.

        Off unless a person enabled the allow_run_script setting. Login nodes are shared:
        no heavy work here; submit a job instead. Every run is recorded in the audit log.
        """
        return await services.scripts.run_script(
            cluster, script, interpreter=interpreter, timeout=timeout_sec, max_output_bytes=max_output_bytes
        )

    @tools.tool(title="Delete old job history", read_only=False, destructive=True, idempotent=True)
    async def cleanup_history(
        older_than_days: Annotated[int, Field(ge=1, le=36500, description="Delete jobs that ended before this.")],
        cluster: AnyCluster = None,
        states: Annotated[
            list[str], Field(max_length=20, description="Only these final states (e.g. CANCELLED).")
        ] = [],  # noqa: B006
        dry_run: Annotated[bool, Field(description="Only count what would be deleted (default).")] = True,
    ) -> CleanupResult:
        """Delete finished jobs older than N days from clausius's history (never jobs still on the board).

        Runs as a dry run unless dry_run=false: show the user the count first. Only when asked.
        """
        return await services.history.cleanup(older_than_days, cluster=cluster, states=states or None, dry_run=dry_run)

    @tools.tool(title="Recent changes (audit log)", read_only=True)
    async def get_audit_log(
        limit: Annotated[int, Field(ge=1, le=500, description="How many entries, newest first.")] = 50,
    ) -> list[AuditEntry]:
        """Who changed what and through which interface (web, cli, mcp): config, cancels, scripts, clean-ups."""
        return await services.audit_log(limit)
