"""`status --check` pings clusters together: dead login nodes do not delay each other or the live one."""

from __future__ import annotations

import asyncio
import time

import pytest

from clausius.core.config_models import ClusterSpec
from clausius.services.app import Services
from tests.integration.conftest import run_with
from tests.labkit import Lab

pytestmark = pytest.mark.lab


def test_two_frozen_login_nodes_cost_one_deadline_not_two(services: Services, lab: Lab) -> None:
    asyncio.run(services.settings.set("ssh_connect_timeout", 3))
    # gamma is another name for beta's login node: with beta's sshd frozen, both hang until the deadline.
    asyncio.run(services.clusters.add(ClusterSpec(name="gamma", host="beta-login", user="alice")))
    lab.ssh_down("beta", freeze=True)
    try:

        async def scenario() -> tuple[float, dict[str, tuple[bool, float]]]:
            started = time.monotonic()
            found = await services.cluster_status(check=True)
            wall = time.monotonic() - started
            return wall, {c.cluster: (c.ping.ok, c.ping.seconds) for c in found if c.ping is not None}

        wall, pings = run_with(services, scenario)
    finally:
        lab.ssh_up("beta")
    assert pings["alpha"][0] is True
    assert pings["beta"][0] is False and pings["gamma"][0] is False
    # Sequential pings would take at least the two dead ones' time added up.
    assert wall < pings["beta"][1] + pings["gamma"][1], (wall, pings)
