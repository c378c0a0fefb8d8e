"""The clausius MCP server: tools over the shared services, served in the running process.

One `McpEndpoint` per process. Its Streamable HTTP handler is mounted at /mcp in the web
app (and answered on the MCP port from the same uvicorn server), so people and agents
share one snapshot per cluster, one demand signal and one set of SSH connections.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, ListToolsResult, TextContent
from pydantic import ValidationError

from clausius import __version__
from clausius.errors import from_validation_error
from clausius.mcp import tools_admin, tools_config, tools_jobs
from clausius.mcp.catalogue import GROUPS, TOOL_GROUPS, parse_groups
from clausius.mcp.toolkit import ToolRegistry, error_result
from clausius.services.app import Services

MCP_PATH = "/mcp"

INSTRUCTIONS = """\
clausius watches the user's Slurm jobs on all their clusters (over SSH) and keeps their history.
- Start with list_jobs (live board; filter by cluster, project, state) or get_history (everything recorded).
- A failed job: get_job_log gives the end of its log with the crash class; get_run_info shows its chain.
- To wait for a job, call wait_for_job instead of polling: it costs the cluster nothing extra.
- Pending: get_pending_reason explains why and when it may start.
- Cancel, clear, clean-up and config changes only when the user asked for them.
- Answers are paged and capped: follow next_offset / more_before when you need more.
"""


class ToolGroupFilter:
    """Offers each connection the tool groups it asked for (`/mcp?groups=jobs,config`, else the setting)."""

    def __init__(self, services: Services, server: MCPServer[Any]) -> None:
        self._services = services
        self._server = server
        self.stdio_groups: set[str] | None = None  # `clausius mcp --stdio --groups ...` (no URL to read)

    def _groups(self, ctx: ServerRequestContext[Any, Any]) -> set[str]:
        query = getattr(ctx.request, "query_params", None)
        if query is None and self.stdio_groups is not None:
            return self.stdio_groups
        raw = query.get("groups") if query is not None else None
        return parse_groups(raw, self._services.settings.get_list("mcp_tool_groups"))

    def _invalid_arguments(self, name: object, arguments: object) -> CallToolResult | None:
        """Bad arguments as one short structured error (the SDK's own message embeds pydantic's full report)."""
        tool = self._server._tool_manager.get_tool(name) if isinstance(name, str) else None
        if tool is None:
            return None
        try:
            tool.fn_metadata.arg_model.model_validate(arguments if isinstance(arguments, dict) else {})
        except ValidationError as exc:
            return error_result(from_validation_error(exc))
        return None

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method not in ("tools/list", "tools/call"):
            return await call_next(ctx)
        groups = self._groups(ctx)
        if ctx.method == "tools/call":
            name = (ctx.params or {}).get("name")
            group = TOOL_GROUPS.get(name) if isinstance(name, str) else None
            invalid = self._invalid_arguments(name, (ctx.params or {}).get("arguments"))
            if invalid is not None:
                return invalid
            if group is not None and group not in groups:
                text = (
                    f"error: tool {name} is in the '{group}' group, which this connection does not offer "
                    f"(offered: {', '.join(sorted(groups))}); connect to {MCP_PATH}?groups={group},... to use it"
                )
                return CallToolResult(
                    content=[TextContent(type="text", text=text)],
                    structured_content={
                        "error": {"code": "tool_not_offered", "message": text, "choices": sorted(groups)}
                    },
                    is_error=True,
                )
            return await call_next(ctx)
        result = await call_next(ctx)
        if isinstance(result, ListToolsResult):
            return result.model_copy(update={"tools": [t for t in result.tools if TOOL_GROUPS.get(t.name) in groups]})
        if isinstance(result, dict) and isinstance(result.get("tools"), list):  # the runner's serialised form
            return {**result, "tools": [t for t in result["tools"] if TOOL_GROUPS.get(t.get("name")) in groups]}
        return result


class McpEndpoint:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.server: MCPServer[Any] = MCPServer(
            "clausius",
            title="clausius: Slurm jobs on every cluster",
            instructions=INSTRUCTIONS,
            version=__version__,
            log_level="WARNING",
        )
        self.group_filter = ToolGroupFilter(services, self.server)
        self.server.middleware.append(self.group_filter)
        tools = ToolRegistry(self.server)
        tools_jobs.register(tools, services)
        tools_config.register(tools, services)
        tools_admin.register(tools, services)
        self._add_resources()
        # Host and Origin are checked by clausius's own security middleware, which knows the
        # configured addresses and token; the SDK's loopback-only check would refuse them.
        self.server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self.asgi = StreamableHTTPASGIApp(self.server.session_manager)

    def _add_resources(self) -> None:
        services = self.services

        @self.server.resource(
            "jobs://summary",
            name="jobs-summary",
            title="Jobs summary",
            description="A few lines per cluster: running, pending, failed (with the failed jobs named).",
            mime_type="text/plain",
        )
        async def jobs_summary() -> str:
            return await services.jobs.summary_text()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Keep the HTTP session manager running (the web app's lifespan holds this)."""
        async with self.server.session_manager.run():
            yield

    async def run_stdio(self) -> None:
        await self.server.run_stdio_async()


def describe_groups() -> dict[str, list[str]]:
    return {group: sorted(t for t, g in TOOL_GROUPS.items() if g == group) for group in GROUPS}
