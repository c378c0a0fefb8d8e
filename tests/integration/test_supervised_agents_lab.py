"""A bug in one cluster's refresh or loop is logged, counted and shown, and that cluster recovers;
the other cluster never stops refreshing."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from clausius.services.app import Services
from tests.integration.conftest import run_with

pytestmark = pytest.mark.lab


def test_one_cluster_recovers_from_injected_bugs_and_the_other_never_stops(
    services: Services, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(services.settings.set("poll_interval_sec", 5))

    async def scenario() -> dict[str, object]:
        alpha = await services.board.agent("alpha")
        beta = await services.board.agent("beta")
        real_fetch = alpha._fetch_and_record
        real_delay = alpha._next_delay
        injected = {"refresh": 1, "loop": 1}

        async def broken_fetch():  # type: ignore[no-untyped-def]
            if injected["refresh"]:
                injected["refresh"] -= 1
                raise KeyError("injected bug in a refresh")
            return await real_fetch()

        def broken_delay() -> float:
            if injected["loop"] and injected["refresh"] == 0:
                injected["loop"] -= 1
                raise ZeroDivisionError("injected bug in the loop")
            return real_delay()

        monkeypatch.setattr(alpha, "_fetch_and_record", broken_fetch)
        monkeypatch.setattr(alpha, "_next_delay", broken_delay)
        services.board.supervisor._base = 0.2  # restart quickly in the test
        seen_error = ""
        beta_refreshes: list[int] = []
        await services.board.start_polling()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            board = await services.board.read()  # someone is looking: both clusters are wanted
            alpha_status = next(c.status for c in board.clusters if c.name == "alpha")
            if alpha_status.error and "internal error" in alpha_status.error:
                seen_error = alpha_status.error
            beta_refreshes.append(beta.status().refreshes)
            if seen_error and not injected["loop"] and alpha.status().state == "live" and alpha.status().error is None:
                break
            await asyncio.sleep(0.5)
        reports = {r.cluster: r for r in await services.board.reports()}
        return {
            "error": seen_error,
            "alpha": alpha.status(),
            "alpha_report": reports["alpha"],
            "beta_refreshes": beta_refreshes,
            "loop_running": services.board.supervisor.running("agent-alpha"),
        }

    with caplog.at_level(logging.ERROR):
        result = run_with(services, scenario)
    assert "KeyError" in str(result["error"]) or "ZeroDivisionError" in str(result["error"])
    alpha = result["alpha"]
    assert alpha.state == "live" and alpha.error is None, alpha  # type: ignore[attr-defined]
    assert result["alpha_report"].crashes == 2  # type: ignore[attr-defined]
    assert result["loop_running"]
    refreshes = result["beta_refreshes"]
    assert isinstance(refreshes, list) and refreshes[-1] >= 2 and refreshes[-1] > refreshes[0]
    messages = [r.getMessage() for r in caplog.records if r.exc_info]
    assert any("refresh failed on an unexpected error" in m for m in messages)
    assert any("background task agent-alpha crashed" in m for m in messages)
