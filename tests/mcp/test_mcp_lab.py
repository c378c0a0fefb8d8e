"""The official MCP client against a running `clausius serve` on the real lab (HTTP and stdio)."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psutil
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

from clausius.mcp.catalogue import TOOL_GROUPS
from tests.labkit import Lab
from tests.mcp.conftest import mcp_session, structured, tool_error
from tests.mcp.test_mcp_contract import assert_well_described
from tests.served import Served

pytestmark = pytest.mark.lab

FAILING = "echo 'step 1/4'; echo 'step 2/4'; python3 -c 'raise FileNotFoundError(\"/data/shard-07.tar\")'"


@pytest.fixture
def submit(lab: Lab) -> Iterator[Callable[..., str]]:
    """Submit alice jobs on alpha under a unique folder; cancels exactly those jobs afterwards."""
    folder = f"/home/alice/clausius-mcp-test/{uuid.uuid4().hex[:8]}"
    assert lab.slurm("alpha", "mkdir", "-p", folder).returncode == 0
    submitted: list[str] = []

    def sbatch(name: str, wrap: str, *extra: str) -> str:
        out = lab.slurm(
            "alpha", "sbatch", "--parsable", "-D", folder, "-t", "5", "-J", name, *extra, "-o", f"{folder}/%x-%j.out",
            "--wrap", wrap,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        submitted.append(out.stdout.strip().split(";")[0])
        return submitted[-1]

    yield sbatch
    if submitted:
        lab.slurm("alpha", "scancel", *submitted)
    lab.slurm("alpha", "rm", "-rf", folder)


def sacct_state(lab: Lab, job_id: str) -> str:
    out = lab.slurm("alpha", "sacct", "-X", "-n", "-P", f"--jobs={job_id}", "--format=State")
    return out.stdout.strip().split(" ")[0] if out.returncode == 0 else ""


def on_mcp(served: Served, scenario: Callable[[ClientSession], Any], *, groups: str = "all") -> Any:
    async def run() -> Any:
        assert served.mcp_url is not None
        async with mcp_session(f"{served.mcp_url}?groups={groups}") as session:
            return await scenario(session)

    return asyncio.run(run())


async def until_listed(session: ClientSession, job_id: str, limit: float = 40) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while True:
        page = structured(await session.call_tool("list_jobs", {"cluster": "alpha", "limit": 500}))
        found = [j for j in page["jobs"] if j["job_id"] == job_id]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"job {job_id} never appeared: {[j['job_id'] for j in page['jobs']]}"
        await asyncio.sleep(1)


def test_the_running_service_lists_every_tool_with_its_schema_and_annotations(served: Served) -> None:
    async def scenario(s: ClientSession) -> list[Any]:
        return (await s.list_tools()).tools

    tools = on_mcp(served, scenario)
    assert {t.name for t in tools} == set(TOOL_GROUPS)
    for tool in tools:
        assert_well_described(tool)


def test_list_jobs_shows_a_real_job_and_cancel_job_cancels_it(served: Served, lab: Lab, submit: Any) -> None:
    job_id = submit("mcp-cancel-me", "sleep 300")

    async def scenario(s: ClientSession) -> dict[str, Any]:
        job = await until_listed(s, job_id)
        assert job["name"] == "mcp-cancel-me" and job["state"] in ("PENDING", "RUNNING")
        page = structured(await s.call_tool("list_jobs", {"cluster": "alpha", "state": ["running", "pending"]}))
        assert any(j["job_id"] == job_id for j in page["jobs"]) and page["clusters"][0]["state"] == "live"
        outcome = structured(await s.call_tool("cancel_job", {"cluster": "alpha", "job_id": job_id}))
        assert outcome["cancelled"] == [job_id] and outcome["errors"] == {}
        return structured(await s.call_tool("wait_for_job", {"cluster": "alpha", "job_id": job_id, "timeout_sec": 60}))

    waited = on_mcp(served, scenario)
    assert waited["reached"] and waited["state"] == "CANCELLED"
    deadline = time.monotonic() + 30
    while sacct_state(lab, job_id) != "CANCELLED":
        assert time.monotonic() < deadline, "sacct never said CANCELLED"
        time.sleep(1)


def test_wait_for_job_returns_when_a_real_job_finishes(served: Served, submit: Any) -> None:
    quick = submit("mcp-quick", "sleep 4; echo done")
    slow = submit("mcp-slow", "sleep 300")

    async def scenario(s: ClientSession) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], float]:
        started = time.monotonic()
        done = structured(await s.call_tool("wait_for_job", {"cluster": "alpha", "job_id": quick, "timeout_sec": 120}))
        elapsed = time.monotonic() - started
        running = structured(
            await s.call_tool("wait_for_job", {"cluster": "alpha", "job_id": slow, "states": ["running"]})
        )
        progress: list[tuple[float, float | None, str | None]] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append((done, total, message))

        short = structured(
            await s.call_tool(
                "wait_for_job", {"cluster": "alpha", "job_id": slow, "timeout_sec": 2}, progress_callback=on_progress
            )
        )
        assert progress and progress[0][1] == 2.0 and f"{slow} is RUNNING" in (progress[0][2] or ""), progress
        return done, running, short, elapsed

    done, running, short, elapsed = on_mcp(served, scenario)
    assert done["reached"] and done["state"] == "COMPLETED" and done["job"]["name"] == "mcp-quick", done
    assert elapsed >= 2, "returned before the job could have finished"
    assert running["reached"] and running["state"] == "RUNNING"
    assert not short["reached"] and short["state"] == "RUNNING" and short["waited_sec"] >= 2


def test_a_failed_job_is_explained_through_logs_history_and_run_tools(served: Served, submit: Any) -> None:
    name = f"mcp-fails-{uuid.uuid4().hex[:6]}"  # earlier runs' jobs are in the first refresh's window
    job_id = submit(name, FAILING)

    async def scenario(s: ClientSession) -> dict[str, Any]:
        ended = structured(await s.call_tool("wait_for_job", {"cluster": "alpha", "job_id": job_id, "timeout_sec": 90}))
        assert ended["state"] == "FAILED", ended
        assert (ended["job"]["crash"] or "").startswith("traceback"), ended  # the waiter is told why it died
        files = structured(await s.call_tool("list_log_files", {"cluster": "alpha", "job_id": job_id}))
        assert any(f["path"].endswith(f"{name}-{job_id}.out") and f["exists"] for f in files["files"])
        log = structured(await s.call_tool("get_job_log", {"cluster": "alpha", "job_id": job_id}))
        assert log["crash_kind"] == "traceback" and "shard-07" in (log["crash_line"] or "")
        assert "step 2/4" in log["text"] and log["size"] <= 8192
        history = structured(await s.call_tool("get_history", {"cluster": "alpha", "search": name}))
        assert [j["job_id"] for j in history["jobs"]] == [job_id] and history["jobs"][0]["state"] == "FAILED"
        run = structured(await s.call_tool("get_run_info", {"cluster": "alpha", "job_id": job_id}))
        assert job_id in [j["job_id"] for j in run["jobs"]]
        stats = structured(await s.call_tool("get_job_stats", {"cluster": "alpha", "job_id": job_id}))
        assert stats["source"] == "sacct" and stats["state"] == "FAILED"
        summary = await s.read_resource("jobs://summary")
        text = summary.contents[0].text  # type: ignore[union-attr]
        assert text.startswith("alpha (live") and "beta (" in text
        return log

    on_mcp(served, scenario)


def test_config_tools_and_the_cli_change_the_same_records(served: Served) -> None:
    async def add(s: ClientSession) -> None:
        structured(await s.call_tool("add_team_member", {"username": "mcp-bob", "display_name": "Bob via MCP"}))

    on_mcp(served, add, groups="config")
    listed = served.cli("list-team", "--json")
    assert listed.returncode == 0 and "mcp-bob" in listed.stdout
    assert served.cli("add-team-member", "cli-carol").returncode == 0

    async def check(s: ClientSession) -> list[str]:
        members = structured(await s.call_tool("list_team_members", {}))["result"]
        structured(await s.call_tool("remove_team_member", {"username": "mcp-bob"}))
        return [m["username"] for m in members]

    assert {"mcp-bob", "cli-carol"} <= set(on_mcp(served, check, groups="config"))
    assert "mcp-bob" not in served.cli("list-team", "--json").stdout
    audit = served.cli("audit", "--json").stdout
    assert '"mcp"' in audit and '"cli"' in audit


def test_run_script_is_off_until_a_person_allows_it_then_bounded(served: Served) -> None:
    def run(**arguments: Any) -> Any:
        async def scenario(s: ClientSession) -> Any:
            return await s.call_tool("run_script", {"cluster": "alpha", **arguments})

        return on_mcp(served, scenario, groups="compute")

    assert tool_error(run(script="hostname"))["code"] == "not_allowed"
    set_setting(served, "allow_run_script", "true")
    try:
        hello = structured(run(script='echo "user=$(id -un)"; echo oops >&2; exit 3'))
        assert hello["stdout"] == "user=alice\n" and hello["stderr"] == "oops\n" and hello["exit_code"] == 3
        py = structured(run(script="import sys; print(sum(range(10))); sys.exit(0)", interpreter="python3"))
        assert py["stdout"] == "45\n" and py["exit_code"] == 0
        flood = structured(run(script="yes clausius | head -c 200000; echo tail-marker", max_output_bytes=1000))
        assert flood["stdout_truncated"] and len(flood["stdout"]) == 1000 and flood["exit_code"] == 0
        stopped = structured(run(script="sleep 30", timeout_sec=2))
        assert stopped["timed_out"] and stopped["exit_code"] is None and stopped["seconds"] < 10
    finally:
        set_setting(served, "allow_run_script", "false")


def set_setting(served: Served, key: str, value: str) -> None:
    """Change a setting through the CLI (another process) and wait until the service has picked it up."""
    assert served.cli("set", key, value).returncode == 0
    deadline = time.monotonic() + 10
    while (
        str(httpx.get(f"{served.url}/api/settings/{key}", headers=served.bearer, timeout=5).json()["value"]).lower()
        != value
    ):
        assert time.monotonic() < deadline, f"the service never saw {key}={value}"
        time.sleep(0.2)


def agents(served: Served) -> dict[str, dict[str, Any]]:
    return {a["cluster"]: a for a in httpx.get(f"{served.url}/api/agents", headers=served.bearer, timeout=10).json()}


def test_stdio_relays_to_the_running_service_without_its_own_connections(served: Served, submit: Any) -> None:
    """Over stdio the client sees the same tools and acts on real jobs, through the service's own connections."""
    job_id = submit("mcp-stdio-cancel-me", "sleep 300")

    async def warm_up(s: ClientSession) -> None:  # the service has seen the job and is connected to both clusters
        await until_listed(s, job_id)
        assert structured(await s.call_tool("list_jobs", {"cluster": "beta"}))["clusters"][0]["state"] == "live"

    on_mcp(served, warm_up)

    def stdio(groups: str) -> StdioServerParameters:
        args = ["-m", "clausius", "mcp", "--stdio", "--groups", groups]
        return StdioServerParameters(command=sys.executable, args=args, env=served.env)

    async def jobs_only() -> tuple[list[str], dict[str, Any]]:
        async with stdio_client(stdio("jobs")) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            names = [t.name for t in (await session.list_tools()).tools]
            return names, structured(await session.call_tool("list_jobs", {"cluster": "beta"}))

    async def everything() -> tuple[list[Any], dict[str, Any], dict[str, Any], dict[str, Any], set[tuple[str, int]]]:
        async with stdio_client(stdio("all")) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            bad = tool_error(await session.call_tool("get_job_log", {"cluster": "nowhere", "job_id": job_id}))
            await until_listed(session, job_id)
            cancelled = structured(await session.call_tool("cancel_job", {"cluster": "alpha", "job_id": job_id}))
            waited = structured(
                await session.call_tool("wait_for_job", {"cluster": "alpha", "job_id": job_id, "timeout_sec": 60})
            )
            relay = [p for p in psutil.Process().children(recursive=True) if "--stdio" in p.cmdline()]
            assert len(relay) == 1
            peers = {(c.raddr.ip, c.raddr.port) for c in relay[0].net_connections(kind="tcp") if c.raddr}
            return tools, bad, cancelled, waited, peers

    names, page = asyncio.run(jobs_only())
    assert "list_jobs" in names and "add_cluster_config" not in names  # --groups reached the service
    assert [c["name"] for c in page["clusters"]] == ["beta"] and page["clusters"][0]["state"] == "live"

    tools, bad, cancelled, waited, peers = asyncio.run(everything())
    assert {t.name for t in tools} == set(TOOL_GROUPS)
    for tool in tools:
        assert_well_described(tool)
    assert bad["code"] == "not_found" and "alpha" in bad["choices"], bad
    assert cancelled["cancelled"] == [job_id] and waited["reached"] and waited["state"] == "CANCELLED"
    assert served.mcp_url is not None
    mcp_port = int(served.mcp_url.rsplit(":", 1)[1].split("/")[0])
    assert peers == {("127.0.0.1", mcp_port)}, f"the relay talked to something else: {peers}"
    after = agents(served)
    for cluster in ("alpha", "beta"):  # the service's persistent lanes (control, data) served every call
        assert 1 <= after[cluster]["connections_opened"] <= 2, after[cluster]


def test_the_same_job_queries_through_the_cli_and_http(served: Served, submit: Any) -> None:
    """Three equal interfaces: what the tools above do, the CLI and the HTTP API do too."""
    quick = submit(f"cli-quick-{uuid.uuid4().hex[:6]}", "sleep 2")
    waited = served.cli("wait", "alpha", quick, "--timeout", "90", "--json")
    assert waited.returncode == 0, waited.stderr
    assert '"reached": true' in waited.stdout and '"COMPLETED"' in waited.stdout
    info = served.cli("run-info", "alpha", quick)
    assert info.returncode == 0 and quick in info.stdout
    status = served.cli("status", "alpha", "--check")
    assert status.returncode == 0 and "alpha" in status.stdout and "ok " in status.stdout, status.stdout
    unknown = served.cli("wait", "nowhere", "1")
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: unknown cluster 'nowhere'")

    with httpx.Client(base_url=served.url, headers=served.bearer, timeout=120) as http:
        page = http.get("/api/jobs", params={"cluster": "alpha", "state": ["completed"], "limit": 500}).json()
        assert all(j["state"] == "COMPLETED" for j in page["jobs"]) and page["clusters"][0]["name"] == "alpha"
        waited_http = http.get(f"/api/jobs/alpha/{quick}/wait", params={"timeout": 5}).json()
        assert waited_http["reached"] and waited_http["state"] == "COMPLETED"
        assert http.get(f"/api/jobs/alpha/{quick}/run").json()["source"] in ("board", "history")
        health = http.get("/api/cluster-status").json()
        assert {c["cluster"] for c in health} >= {"alpha", "beta", "local"}
        csrf = http.get("/api/session").json()["csrf_token"]
        refused = http.post(
            "/api/clusters/alpha/run-script",
            json={"script": "hostname"},
            headers={"X-CSRF-Token": csrf, "Origin": served.url},
        )
        assert refused.status_code == 403 and "allow_run_script" in refused.json()["error"]
