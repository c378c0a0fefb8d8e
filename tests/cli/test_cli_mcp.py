"""`clausius mcp`: listing tools, and the stdio entry point's refusals (the lab tests cover serving)."""

from __future__ import annotations

import json

from clausius.mcp.catalogue import TOOL_GROUPS
from clausius.store.lock import DataDirLock
from tests.cli.conftest import Cli, assert_error


def test_list_tools_by_group(cli: Cli) -> None:
    groups = cli.json("mcp", "--list-tools")
    assert sorted(t for names in groups.values() for t in names) == sorted(TOOL_GROUPS)
    assert groups["logbook"] == [] and "wait_for_job" in groups["jobs"]
    table = cli.ok("mcp", "--list-tools").stdout
    assert "run_script" in table and "(comes later)" in table


def test_mcp_without_a_mode_says_what_to_choose(cli: Cli) -> None:
    assert_error(cli("mcp"), 2, "--stdio", "--list-tools")


def test_stdio_refuses_to_relay_to_a_token_protected_service_without_the_token(cli: Cli) -> None:
    cli.data_dir.mkdir(parents=True)
    with DataDirLock(cli.data_dir, "serve", "only one"):  # a service owns the data directory...
        (cli.data_dir / "service.json").write_text(
            json.dumps(
                {"pid": 1, "url": "http://127.0.0.1:9", "mcp_url": "http://127.0.0.1:9/mcp", "token_required": True}
            )
        )  # ...and says it needs the access token
        assert_error(cli("mcp", "--stdio"), 2, "requires its access token", "--token-file")


def test_stdio_names_a_holder_that_offers_no_mcp(cli: Cli) -> None:
    cli.data_dir.mkdir(parents=True)
    with DataDirLock(cli.data_dir, "restore", "wait"):
        result = cli("mcp", "--stdio")
    assert_error(result, 2, "in use by clausius restore", "offers no MCP endpoint")
