"""`clausius mcp`: the MCP server over stdio, and what it offers."""

from __future__ import annotations

from pathlib import Path

import click

from clausius.cli.common import print_json, print_table


@click.command("mcp")
@click.option("--stdio", "use_stdio", is_flag=True, help="Speak MCP on stdin/stdout (for clients that launch servers).")
@click.option("--list-tools", is_flag=True, help="List the tools by group and exit.")
@click.option("--groups", help="Tool groups to offer, e.g. jobs,config (default: the mcp_tool_groups setting).")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Access token of a service that requires one (or set CLAUSIUS_ACCESS_TOKEN).",
)
@click.option("--json", "as_json", is_flag=True, help="With --list-tools: print JSON.")
def mcp(use_stdio: bool, list_tools: bool, groups: str | None, token_file: Path | None, as_json: bool) -> None:
    """The MCP server for AI agents.

    `clausius serve` already offers it over Streamable HTTP at /mcp and on port 7273.
    With --stdio this relays to that running service (same snapshot, same SSH
    connections); when none runs, this process becomes the service until the client exits.
    """
    if list_tools:
        from clausius.mcp.server import describe_groups

        described = describe_groups()
        if as_json:
            print_json(described)
            return
        rows = [[g, ", ".join(names) or "(comes later)"] for g, names in described.items()]
        print_table("MCP tools", ["group", "tools"], rows, empty="")
        return
    if not use_stdio:
        raise click.UsageError("choose --stdio (serve MCP on stdin/stdout) or --list-tools")
    from clausius.mcp.stdio import run_stdio
    from clausius.web.server import read_access_token

    run_stdio(groups, read_access_token(token_file), lambda: read_access_token(token_file))


COMMANDS = [mcp]
