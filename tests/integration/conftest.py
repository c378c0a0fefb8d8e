"""Fixtures for tests against the real lab: clusters registered in a scratch clausius."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from clausius.bootstrap import Bootstrap
from clausius.core.config_models import ClusterSpec
from clausius.services.app import Services
from tests.labkit import Lab, require_lab, run_demo

pytestmark = pytest.mark.lab
T = TypeVar("T")


@pytest.fixture(scope="session")
def lab() -> Lab:
    return require_lab()


@pytest.fixture(scope="session")
def demo(lab: Lab) -> dict[str, dict[str, str]]:
    """The demo workload, submitted once per test session (it cancels the previous one first)."""
    return run_demo()


def lab_bootstrap(lab: Lab, data_dir: Path, *, known_hosts: Path | None = None) -> Bootstrap:
    return Bootstrap(
        data_dir=data_dir,
        port=7272,
        ssh_user="alice",
        ssh_key=lab.ssh_key,
        source_file=None,
        ssh_config=lab.ssh_config,
        known_hosts=known_hosts or lab.known_hosts,
    )


@pytest.fixture
def services(lab: Lab, tmp_path: Path) -> Iterator[Services]:
    """A clausius with the lab's two clusters registered as a user would (host aliases from ~/.ssh/config)."""
    svc = Services.open(lab_bootstrap(lab, tmp_path / "data"))
    for name in ("alpha", "beta"):
        asyncio.run(
            svc.clusters.add(
                ClusterSpec(name=name, host=f"{name}-login", user="alice", gpu_type=lab.cluster(name).get("gpu_type"))
            )
        )
    yield svc
    svc.close()


def run_with(svc: Services, scenario: Callable[[], Awaitable[T]]) -> T:
    """Run one async scenario and close the connections it opened in the same event loop."""

    async def wrapped() -> T:
        try:
            return await scenario()
        finally:
            await svc.aclose()

    return asyncio.run(wrapped())
