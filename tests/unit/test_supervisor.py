"""The supervisor logs, counts and restarts a background task that crashes (and leaves others alone)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from clausius.services.supervisor import Supervisor


def test_a_crashing_task_is_logged_counted_and_restarted(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> tuple[int, int, list[str], bool, int]:
        supervisor = Supervisor(base_delay=0.01, max_delay=0.05)
        attempts = 0
        steady_ticks = 0
        seen: list[str] = []

        async def flaky() -> None:
            nonlocal attempts
            attempts += 1
            if attempts <= 2:
                raise RuntimeError(f"bug number {attempts}")
            await asyncio.Event().wait()  # then it runs for good

        async def steady() -> None:
            nonlocal steady_ticks
            while True:
                steady_ticks += 1
                await asyncio.sleep(0.005)

        supervisor.start("flaky", flaky, on_crash=lambda exc: seen.append(str(exc)))
        supervisor.start("steady", steady)
        for _ in range(200):
            if attempts >= 3:
                break
            await asyncio.sleep(0.01)
        running = supervisor.running("flaky") and supervisor.running("steady")
        crashes = supervisor.crashes("flaky")
        await supervisor.stop_all()
        return attempts, crashes, seen, running, steady_ticks

    with caplog.at_level(logging.ERROR):
        attempts, crashes, seen, running, steady_ticks = asyncio.run(scenario())
    assert (attempts, crashes) == (3, 2)
    assert seen == ["bug number 1", "bug number 2"]
    assert running and steady_ticks > 5
    logged = [r for r in caplog.records if "background task flaky crashed" in r.getMessage()]
    assert len(logged) == 2 and all(r.exc_info for r in logged)  # with the traceback


def test_a_task_that_finishes_is_not_restarted() -> None:
    async def scenario() -> int:
        supervisor = Supervisor(base_delay=0.01)
        runs = 0

        async def once() -> None:
            nonlocal runs
            runs += 1

        supervisor.start("once", once)
        await asyncio.sleep(0.1)
        return runs

    assert asyncio.run(scenario()) == 1
