"""Fault tests: a login node that freezes or dies mid-command, while the other cluster carries on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from clausius.remote.errors import CircuitOpen, CommandTimeout, TransportError, Unreachable
from clausius.services.app import Services
from tests.integration.conftest import run_with
from tests.labkit import Lab

pytestmark = pytest.mark.lab


@pytest.fixture
def restore_ssh(lab: Lab) -> Iterator[None]:
    yield
    lab.ssh_up()  # whatever a test did, both login nodes are back afterwards


async def _until_ok(services: Services, cluster: str, seconds: float) -> float:
    """Retry a command until it succeeds (the breaker lets one probe through per back-off step)."""
    start = time.monotonic()
    transport = await services.transports.get(cluster)
    while True:
        try:
            result = await transport.run(["true"], timeout=5)
            if result.rc == 0:
                return time.monotonic() - start
        except TransportError:
            if time.monotonic() - start > seconds:
                raise
        await asyncio.sleep(0.5)


def test_frozen_login_node_fails_within_the_deadline_and_recovers(
    services: Services, lab: Lab, restore_ssh: None
) -> None:
    async def scenario() -> dict[str, object]:
        alpha = await services.transports.get("alpha")
        beta = await services.transports.get("beta")
        assert (await alpha.run(["true"], timeout=10)).rc == 0  # the connection is open before the fault

        slow = asyncio.create_task(alpha.run(["bash", "-c", "sleep 2; echo late"], timeout=4))
        await asyncio.sleep(0.5)
        await asyncio.to_thread(lab.ssh_down, "alpha", freeze=True)  # kill -STOP on sshd and its sessions
        frozen_at = time.monotonic()

        beta_results = await asyncio.gather(*(beta.run(["squeue", "-h"], timeout=10) for _ in range(5)))
        beta_elapsed = time.monotonic() - frozen_at

        with pytest.raises(CommandTimeout):
            await slow
        failed_after = time.monotonic() - frozen_at
        with pytest.raises((CommandTimeout, CircuitOpen, Unreachable)):
            await alpha.run(["true"], timeout=2)

        await asyncio.to_thread(lab.ssh_up, "alpha")
        recovered_in = await _until_ok(services, "alpha", 60)
        return {
            "beta_ok": [r.rc for r in beta_results],
            "beta_elapsed": beta_elapsed,
            "failed_after": failed_after,
            "recovered_in": recovered_in,
        }

    outcome = run_with(services, scenario)
    assert outcome["beta_ok"] == [0] * 5
    assert isinstance(outcome["beta_elapsed"], float) and outcome["beta_elapsed"] < 10  # not held up by alpha
    assert isinstance(outcome["failed_after"], float) and outcome["failed_after"] < 4.5  # within its deadline
    print(f"alpha failed {outcome['failed_after']:.1f}s after the freeze; recovered in {outcome['recovered_in']:.1f}s")


def test_login_node_dying_mid_command_fails_fast_and_recovers(services: Services, lab: Lab, restore_ssh: None) -> None:
    async def scenario() -> tuple[float, str, float, list[int]]:
        alpha = await services.transports.get("alpha")
        beta = await services.transports.get("beta")
        assert (await alpha.run(["true"], timeout=10)).rc == 0
        running = asyncio.create_task(alpha.run(["bash", "-c", "sleep 3; echo late"], timeout=20))
        await asyncio.sleep(0.5)
        listener = await asyncio.to_thread(lab.sshd_pid, "alpha")
        await asyncio.to_thread(lab.crash_login_node, "alpha")
        died_at = time.monotonic()
        with pytest.raises(Unreachable) as info:
            await running
        failed_after = time.monotonic() - died_at
        beta_ok = [(await beta.run(["true"], timeout=10)).rc for _ in range(3)]
        await asyncio.to_thread(lab.ssh_up, "alpha")
        assert await asyncio.to_thread(lab.sshd_pid, "alpha") != listener
        return failed_after, str(info.value), await _until_ok(services, "alpha", 60), beta_ok

    failed_after, message, recovered_in, beta_ok = run_with(services, scenario)
    assert failed_after < 5  # far inside the 20 s deadline: a dead connection is noticed, not waited out
    assert "connection lost" in message
    assert beta_ok == [0, 0, 0]
    assert recovered_in < 60


def test_stopped_login_node_refuses_quickly_and_recovers(services: Services, lab: Lab, restore_ssh: None) -> None:
    async def scenario() -> tuple[float, str, float]:
        alpha = await services.transports.get("alpha")
        assert (await alpha.run(["true"], timeout=10)).rc == 0
        await asyncio.to_thread(lab.ssh_down, "alpha")
        # An established connection outlives the listener (OpenSSH keeps sessions); drop it to force a reconnect.
        await services.aclose()
        alpha = await services.transports.get("alpha")
        start = time.monotonic()
        with pytest.raises(Unreachable) as info:
            await alpha.run(["true"], timeout=10)
        refused_in = time.monotonic() - start
        beta = await services.transports.get("beta")
        assert (await beta.run(["true"], timeout=10)).rc == 0
        await asyncio.to_thread(lab.ssh_up, "alpha")
        return refused_in, str(info.value), await _until_ok(services, "alpha", 60)

    refused_in, message, recovered_in = run_with(services, scenario)
    assert refused_in < 2
    assert "alpha" in message and "connection refused" in message
    assert recovered_in < 60
