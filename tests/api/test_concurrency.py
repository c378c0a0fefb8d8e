"""200 concurrent setting writes and reads through the API: nothing lost, never a 5xx."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import defaultdict

import httpx

from tests.api.conftest import LiveServer

KEYS = (
    "ssh_timeout",
    "cache_fresh_sec",
    "poll_interval_sec",
    "history_page_size",
    "backup_max_keep",
    "jsonl_record_limit",
    "refresh_interval_sec",
    "stats_interval_sec",
    "demand_window_sec",
    "backup_interval_hours",
)
WRITES_PER_KEY = 10


def _value(key: str, i: int) -> int:
    return {
        "ssh_timeout": 10,
        "cache_fresh_sec": 10,
        "poll_interval_sec": 10,
        "history_page_size": 10,
        "backup_max_keep": 10,
        "jsonl_record_limit": 10,
        "refresh_interval_sec": 10,
        "stats_interval_sec": 100,
        "demand_window_sec": 100,
        "backup_interval_hours": 10,
    }[key] + i


def test_concurrent_writes_and_reads(live: LiveServer) -> None:
    async def scenario() -> tuple[list[httpx.Response], list[httpx.Response]]:
        limits = httpx.Limits(max_connections=200)
        headers = {"X-CSRF-Token": live.csrf, "Origin": live.url, **live.bearer}
        async with httpx.AsyncClient(base_url=live.url, headers=headers, timeout=30, limits=limits) as http:
            writes = [
                http.put(f"/api/settings/{key}", json={"value": _value(key, i)})
                for key in KEYS
                for i in range(WRITES_PER_KEY)
            ]
            reads = [http.get(f"/api/settings/{KEYS[i % len(KEYS)]}") for i in range(100)]
            tasks = [asyncio.ensure_future(c) for pair in zip(writes, reads, strict=True) for c in pair]
            done = await asyncio.gather(*tasks)
        return list(done[0::2]), list(done[1::2])

    write_responses, read_responses = asyncio.run(scenario())
    assert len(write_responses) + len(read_responses) == 200
    assert all(r.status_code == 200 for r in write_responses), {r.status_code for r in write_responses}
    assert all(r.status_code == 200 for r in read_responses), {r.status_code for r in read_responses}
    for response in read_responses:  # every read saw either the default or one of the written values
        body = response.json()
        assert body["value"] == body["default"] or body["value"] in {_value(body["key"], i) for i in range(10)}

    with sqlite3.connect(live.boot.db_path) as conn:
        audited = conn.execute(
            "SELECT target, detail FROM audit_log WHERE action = 'set_setting' ORDER BY id"
        ).fetchall()
        stored = dict(conn.execute("SELECT key, value_json FROM app_settings").fetchall())
    assert len(audited) == len(KEYS) * WRITES_PER_KEY  # no write was lost
    per_key: dict[str, list[int]] = defaultdict(list)
    for key, detail in audited:
        per_key[key].append(json.loads(detail))
    with live.client() as http:
        for key in KEYS:
            assert sorted(per_key[key]) == [_value(key, i) for i in range(WRITES_PER_KEY)]
            last_committed = per_key[key][-1]
            assert json.loads(stored[key]) == last_committed  # the database holds the last commit...
            assert http.get(f"/api/settings/{key}").json()["value"] == last_committed  # ...and so does the view
