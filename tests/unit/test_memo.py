"""The single-flight memo that keeps polling agents from multiplying cluster commands."""

from __future__ import annotations

import asyncio

import pytest

from clausius.services.memo import Memo


def test_concurrent_callers_share_one_call_and_later_ones_its_answer() -> None:
    ttl = [60.0]
    memo: Memo[int] = Memo(lambda: ttl[0])
    started = 0

    async def slow() -> int:
        nonlocal started
        started += 1
        await asyncio.sleep(0.05)
        return started

    async def scenario() -> list[int]:
        first = await asyncio.gather(*(memo.get("job", slow) for _ in range(20)))
        again = await memo.get("job", slow)
        other = await memo.get("other-job", slow)
        ttl[0] = 0.0  # expired: the next caller runs it again
        fresh = await memo.get("job", slow)
        return [*first, again, other, fresh]

    results = asyncio.run(scenario())
    assert results[:21] == [1] * 21 and results[21] == 2 and results[22] == 3
    assert memo.calls == 3


def test_failures_are_not_kept() -> None:
    memo: Memo[str] = Memo(lambda: 60.0)
    attempts = 0

    async def flaky() -> str:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise TimeoutError("cluster slow")
        return "ok"

    async def scenario() -> str:
        with pytest.raises(TimeoutError):
            await memo.get("k", flaky)
        return await memo.get("k", flaky)

    assert asyncio.run(scenario()) == "ok" and attempts == 2
