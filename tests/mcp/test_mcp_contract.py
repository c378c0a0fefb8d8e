"""The MCP tool contract: seed names, schemas, annotations, groups and errors (no lab needed)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.types import Tool

from clausius.mcp.catalogue import GROUPS, NOW, SEED_TOOLS, TOOL_GROUPS
from tests.api.conftest import LiveServer, serving
from tests.mcp.conftest import mcp_session, structured, tool_error

SEED_TABLE = Path(__file__).resolve().parents[1] / "fixtures" / "seed-mcp-tools.md"
READ_ONLY_PREFIXES = ("list_", "get_", "wait_for_")
DESTRUCTIVE = {
    "cancel_job",
    "cancel_jobs",
    "clear_failed",
    "clear_completed",
    "cleanup_history",
    "run_script",
    "remove_cluster_config",
    "remove_team_member",
    "remove_ppp_account",
    "remove_path_base",
    "remove_process_filter",
    "update_cluster_config",
    "update_ppp_account",
    "set_app_setting",
}


@pytest.fixture(scope="module")
def live_mcp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(tmp_path_factory.mktemp("mcp")) as info:
        yield info


def list_tools(url: str) -> list[Tool]:
    async def scenario() -> list[Tool]:
        async with mcp_session(url) as session:
            return (await session.list_tools()).tools

    return asyncio.run(scenario())


def call(url: str, name: str, arguments: dict[str, Any]) -> Any:
    async def scenario() -> Any:
        async with mcp_session(url) as session:
            return await session.call_tool(name, arguments)

    return asyncio.run(scenario())


def seed_tool_names() -> list[str]:
    names = re.findall(r"`([a-z_]+)`", SEED_TABLE.read_text(encoding="utf-8"))
    assert len(names) > 40, "the seed table was not read"
    return names


def test_every_seed_tool_is_offered_or_listed_with_the_issue_that_brings_it() -> None:
    missing = [name for name in seed_tool_names() if name not in SEED_TOOLS]
    assert not missing, f"seed tools neither offered nor listed as 'comes with issue X' in mcp/catalogue.py: {missing}"
    assert set(SEED_TOOLS) == set(seed_tool_names()), "SEED_TOOLS lists names that are not in the seed table"
    for name, status in SEED_TOOLS.items():
        if status == NOW:
            assert name in TOOL_GROUPS, f"{name} is marked as offered now but has no group"
        else:
            assert name not in TOOL_GROUPS, f"{name} is offered: mark it NOW in SEED_TOOLS"
            assert "issue" in status, f"{name}: say which issue brings it"


def test_the_server_offers_exactly_the_catalogue(live_mcp: LiveServer) -> None:
    offered = {t.name for t in list_tools(f"{live_mcp.url}/mcp?groups=all")}
    assert offered == set(TOOL_GROUPS)
    assert {n for n, s in SEED_TOOLS.items() if s == NOW} <= offered
    default = {t.name for t in list_tools(f"{live_mcp.url}/mcp")}  # the mcp_tool_groups setting's choice
    assert len(default) <= 40, "the default groups must fit Cursor's 40-tool limit: narrow mcp_tool_groups"
    for group in GROUPS:
        assert sum(g == group for g in TOOL_GROUPS.values()) <= 40, f"group {group} alone exceeds 40 tools"


def assert_well_described(tool: Tool) -> None:
    """A typed, described input schema, an output schema, a title and honest hints, and its group."""
    assert tool.description and len(tool.description) > 20, tool.name
    assert tool.input_schema["type"] == "object", tool.name
    for prop, schema in tool.input_schema.get("properties", {}).items():
        described = schema.get("description") or "$ref" in schema or "allOf" in schema
        assert described, f"{tool.name}.{prop} has no description"
        assert "type" in schema or "anyOf" in schema or "$ref" in schema or "allOf" in schema, (
            f"{tool.name}.{prop} is untyped"
        )
    assert tool.output_schema is not None and tool.output_schema.get("type") == "object", tool.name
    notes = tool.annotations
    assert notes is not None and notes.title, tool.name
    read_only = tool.name.startswith(READ_ONLY_PREFIXES)
    assert notes.read_only_hint is read_only, tool.name
    assert notes.destructive_hint is (tool.name in DESTRUCTIVE), tool.name
    assert notes.idempotent_hint is not None and notes.open_world_hint is not None, tool.name
    assert tool.meta is not None and tool.meta["group"] == TOOL_GROUPS[tool.name]


def test_every_tool_has_a_typed_described_schema_and_honest_annotations(live_mcp: LiveServer) -> None:
    for tool in list_tools(f"{live_mcp.url}/mcp?groups=all"):
        assert_well_described(tool)


def test_tool_groups_select_a_coherent_subset_by_url_and_by_setting(live_mcp: LiveServer) -> None:
    jobs_only = {t.name for t in list_tools(f"{live_mcp.url}/mcp?groups=jobs")}
    assert jobs_only == {n for n, g in TOOL_GROUPS.items() if g == "jobs"}
    both = {t.name for t in list_tools(f"{live_mcp.url}/mcp?groups=jobs,admin")}
    assert both == {n for n, g in TOOL_GROUPS.items() if g in ("jobs", "admin")}
    refused = tool_error(call(f"{live_mcp.url}/mcp?groups=jobs", "list_team_members", {}))
    assert refused["code"] == "tool_not_offered" and "config" in refused["message"]

    with live_mcp.writer() as http:
        assert http.put("/api/settings/mcp_tool_groups", json={"value": ["config"]}).status_code == 200
    try:
        default = {t.name for t in list_tools(f"{live_mcp.url}/mcp")}
        assert default == {n for n, g in TOOL_GROUPS.items() if g == "config"}
    finally:
        with live_mcp.writer() as http:
            assert http.delete("/api/settings/mcp_tool_groups").status_code == 200
    assert set(GROUPS) >= set(TOOL_GROUPS.values())


def test_bad_arguments_come_back_as_structured_errors_that_say_what_to_change(live_mcp: LiveServer) -> None:
    url = f"{live_mcp.url}/mcp?groups=all"
    unknown = tool_error(call(url, "list_jobs", {"cluster": "nowhere"}))
    assert unknown["code"] == "not_found" and unknown["choices"] == ["local"]
    too_small = tool_error(call(url, "list_jobs", {"limit": 0}))
    assert too_small["code"] == "invalid_input" and "limit" in too_small["message"]
    missing = tool_error(call(url, "get_job_log", {"cluster": "local"}))
    assert "job_id" in missing["message"]
    wrong_type = tool_error(call(url, "wait_for_job", {"cluster": "local", "job_id": "1", "timeout_sec": "soon"}))
    assert "timeout_sec" in wrong_type["message"]
    bad_state = tool_error(call(url, "get_history", {"states": ["SLEEPING"]}))
    assert "SLEEPING" in bad_state["message"]
    bad_spec = tool_error(call(url, "add_cluster_config", {"name": "Bad Name!", "host": "h"}))
    assert bad_spec["code"] == "invalid_input" and "name" in bad_spec["message"]
    off = tool_error(call(url, "run_script", {"cluster": "local", "script": "echo hi"}))
    assert off["code"] == "not_allowed" and "allow_run_script" in off["message"]
    person_only = tool_error(call(url, "set_app_setting", {"key": "allow_run_script", "value": True}))
    assert person_only["code"] == "not_allowed"
    assert live_mcp.services.settings.get_bool("allow_run_script") is False
    assert "Traceback" not in str(bad_spec)


def test_config_tools_round_trip_and_are_audited_as_mcp(live_mcp: LiveServer) -> None:
    url = f"{live_mcp.url}/mcp?groups=config,admin"

    async def scenario() -> None:
        async with mcp_session(url) as s:
            added = structured(
                await s.call_tool("add_cluster_config", {"name": "eos", "host": "eos-login", "port": 2222})
            )
            assert added["port"] == 2222 and added["key_configured"] is False
            changed = structured(
                await s.call_tool("update_cluster_config", {"name": "eos", "changes": {"gpu_type": "H100"}})
            )
            assert changed["gpu_type"] == "H100" and changed["port"] == 2222  # untouched fields keep their value
            clusters = structured(await s.call_tool("list_cluster_configs", {}))["result"]
            assert [c["name"] for c in clusters] == ["eos"]
            duplicate = tool_error(await s.call_tool("add_cluster_config", {"name": "eos", "host": "x"}))
            assert duplicate["code"] == "already_exists"
            structured(await s.call_tool("add_ppp_account", {"name": "ppp-llm", "description": "LLM work"}))
            acct = structured(await s.call_tool("update_ppp_account", {"name": "ppp-llm", "changes": {"lustre_id": 7}}))
            assert acct["lustre_id"] == 7 and acct["description"] == "LLM work"
            path = structured(await s.call_tool("add_path_base", {"kind": "log_search", "path": "/lustre/logs"}))
            flt = structured(await s.call_tool("add_process_filter", {"mode": "include", "pattern": "train.py"}))
            setting = structured(await s.call_tool("set_app_setting", {"key": "poll_interval_sec", "value": "20"}))
            assert setting["value"] == 20
            assert structured(await s.call_tool("get_app_setting", {"key": "poll_interval_sec"}))["value"] == 20
            structured(await s.call_tool("remove_path_base", {"path_id": path["id"]}))
            structured(await s.call_tool("remove_process_filter", {"filter_id": flt["id"]}))
            structured(await s.call_tool("remove_cluster_config", {"name": "eos"}))
            gone = tool_error(await s.call_tool("get_cluster_config", {"name": "eos"}))
            assert gone["code"] == "not_found"
            audit = structured(await s.call_tool("get_audit_log", {"limit": 20}))["result"]
            assert {e["interface"] for e in audit[:8]} == {"mcp"}

    asyncio.run(scenario())
    assert live_mcp.services.settings.get_int("poll_interval_sec") == 20
    accounts = asyncio.run(live_mcp.services.registry.list_accounts())
    assert [a.name for a in accounts] == ["ppp-llm"]
