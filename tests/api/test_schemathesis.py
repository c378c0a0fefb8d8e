"""Schemathesis over every operation of the HTTP API, against a real server on a throw-away data dir.

Each operation gets a bounded number of generated requests, valid (positive) and invalid
(negative), sent with the bearer token. Checks: no 5xx other than 502/504 (a cluster that
cannot be reached, or did not answer in time), the status code and content type are
documented, the body matches the documented schema, and invalid input is refused with a 4xx.
The run fails on any finding; the one-line summary (operations, cases, seconds) is printed.

Nothing leaves this machine: the server resolves every cluster host through an SSH config
that sends it to a closed loopback port, and the `local` pseudo-cluster is made inert (no
command runs, no process is signalled), because the fuzzer may add clusters, enable
run_script and cancel jobs with arbitrary names.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clausius.remote.base import TransportStats
from clausius.remote.errors import Unreachable
from clausius.services import local_agent, transports
from tests.api.conftest import LiveServer, free_port, serving

pytestmark = pytest.mark.slow

# Per operation and generation mode: keeps the whole run within CI's budget. For a deeper run, or
# other cases than CI's fixed ones: CLAUSIUS_SCHEMATHESIS_EXAMPLES=200 CLAUSIUS_SCHEMATHESIS_SEED=7.
EXAMPLES_PER_MODE = int(os.environ.get("CLAUSIUS_SCHEMATHESIS_EXAMPLES", "20"))
PINNED_EXAMPLES = max(1, EXAMPLES_PER_MODE // 2)  # extra valid cases aimed at the configured clusters
SEED = os.environ.get("CLAUSIUS_SCHEMATHESIS_SEED")
REQUEST_TIMEOUT = 15.0
UNREACHABLE = "unreach"  # a configured cluster whose host no one answers for
UNREACHABLE_SPEC = {"name": UNREACHABLE, "host": "login.unreach.invalid"}
GATEWAY_STATUSES = (502, 504)  # the cluster could not be reached / did not answer in time
CLUSTER_PARAMS = ("name", "cluster")


class InertLocal:
    """The `local` pseudo-cluster's transport for this test: runs nothing on this machine."""

    def __init__(self, name: str = "local", env: dict[str, str] | None = None) -> None:
        self.name = name

    def _refusal(self) -> Unreachable:
        return Unreachable(f"{self.name}: commands are switched off in this test")

    async def run(self, *_: object, **__: object) -> Any:
        raise self._refusal()

    async def run_script(self, *_: object, **__: object) -> Any:
        raise self._refusal()

    async def read(self, *_: object, **__: object) -> Any:
        raise self._refusal()

    async def stat(self, *_: object, **__: object) -> Any:
        raise self._refusal()

    async def listdir(self, *_: object, **__: object) -> Any:
        raise self._refusal()

    async def realpath(self, *_: object, **__: object) -> Any:
        raise self._refusal()

    def stats(self) -> TransportStats:
        return TransportStats()

    async def close(self) -> None:
        return None


CHECKS = [
    not_a_server_error,  # with 502/504 allowed in the config below
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@dataclass
class Tally:
    cases: int = 0
    planned: int = 0  # the most cases the examples settings allow; small input spaces run fewer
    per_operation: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def fuzz_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    monkeypatch.setattr(transports, "LocalTransport", InertLocal)
    monkeypatch.setattr(local_agent, "_scan", lambda *_: [])  # no real process is ever on the board
    monkeypatch.setattr(local_agent.LocalAgent, "has_slurm", staticmethod(lambda: False))
    ssh_config = tmp_path / "ssh_config"
    # Every host, whatever the fuzzer names, is dialled on loopback where nothing listens.
    ssh_config.write_text(f"Host *\n  HostName 127.0.0.1\n  Port {free_port()}\n", encoding="utf-8")
    with serving(tmp_path, ssh_config=ssh_config) as live:
        with httpx.Client(base_url=live.url, headers=live.bearer, timeout=10) as http:
            enabled = http.put("/api/settings/allow_run_script", json={"value": True})
            assert enabled.status_code == 200, enabled.text
        yield live


def _ensure_unreachable_cluster(session: requests.Session, url: str) -> None:
    """The fuzzer may have deleted or changed it: put it back as it was."""
    session.delete(f"{url}/api/clusters/{UNREACHABLE}", timeout=REQUEST_TIMEOUT)
    added = session.post(f"{url}/api/clusters", json=UNREACHABLE_SPEC, timeout=REQUEST_TIMEOUT)
    assert added.status_code == 201, added.text


def _has_inputs(operation: schemathesis.APIOperation) -> bool:
    parts = (operation.path_parameters, operation.query, operation.headers, operation.cookies, operation.body)
    return any(len(part) for part in parts)


def _strategies(operation: schemathesis.APIOperation) -> list[tuple[str, Any, int]]:
    plans: list[tuple[str, Any, int]] = [
        ("positive", operation.as_strategy(GenerationMode.POSITIVE), EXAMPLES_PER_MODE)
    ]
    if _has_inputs(operation):  # nothing to make invalid otherwise
        plans.append(("negative", operation.as_strategy(GenerationMode.NEGATIVE), EXAMPLES_PER_MODE))
    path_names = {p.name for p in operation.path_parameters}
    for param in CLUSTER_PARAMS:
        if param in path_names:
            for cluster in (UNREACHABLE, "local"):
                pinned = operation.as_strategy(GenerationMode.POSITIVE, path_parameters={param: cluster})
                plans.append((f"pinned {cluster}", pinned, PINNED_EXAMPLES))
    return plans


def _run(operation: schemathesis.APIOperation, strategy: Any, examples: int, send: Callable[[Case], None]) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=SEED is None,  # by default the same cases every run: CI stays reproducible
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def test(case: Case) -> None:
        send(case)

    (seed(int(SEED))(test) if SEED is not None else test)()


def _operation_count(document: dict[str, Any]) -> int:
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return sum(1 for item in document["paths"].values() for method in item if method in methods)


def test_every_operation_conforms_to_its_schema(fuzz_server: LiveServer) -> None:
    live = fuzz_server
    document = httpx.get(f"{live.url}/api/openapi.json", headers=live.bearer, timeout=10).json()
    config = schemathesis.Config.from_dict(
        {
            "max-stream-events": 1,  # the board stream never ends: its first event is the response
            "request-timeout": REQUEST_TIMEOUT,
            "checks": {"not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", *map(str, GATEWAY_STATUSES)]}},
        }
    )
    schema = schemathesis.openapi.from_dict(document, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == _operation_count(document) > 0
    assert all(op.path.startswith("/api/") for op in operations), "only the API is in the schema"

    tally = Tally()
    started = time.monotonic()
    with requests.Session() as session:
        # Bearer requests are exempt from the CSRF and Origin checks (web/security.py): the token is all.
        session.headers.update(live.bearer)
        for operation in operations:
            label = operation.label

            def send(case: Case, label: str = label) -> None:
                tally.cases += 1
                tally.per_operation[label] += 1
                response = case.call(base_url=live.url, session=session, timeout=REQUEST_TIMEOUT)
                tally.statuses[response.status_code] += 1
                case.validate_response(response, checks=CHECKS, headers=dict(session.headers))

            for mode, strategy, examples in _strategies(operation):
                tally.planned += examples
                if mode.startswith("pinned"):
                    _ensure_unreachable_cluster(session, live.url)
                try:
                    _run(operation, strategy, examples, send)
                except (Exception, FailureGroup) as exc:  # FailureGroup is a BaseExceptionGroup
                    tally.failures[f"{label} [{mode}]"] = str(exc)
    seconds = time.monotonic() - started

    statuses = " ".join(f"{code}:{n}" for code, n in sorted(tally.statuses.items()))
    print(
        f"\nschemathesis: {len(operations)} operations, {tally.cases} cases (at most {tally.planned}), {seconds:.1f} s "
        f"(statuses {statuses}; {len(tally.failures)} failing)"
    )
    assert not tally.failures, "\n\n".join(f"=== {where}\n{text}" for where, text in tally.failures.items())
    untested = [op.label for op in operations if tally.per_operation[op.label] == 0]
    assert not untested, f"operations that ran no case: {untested}"
    assert tally.cases >= tally.planned // 2, f"only {tally.cases} of at most {tally.planned} cases ran"
    assert tally.statuses[502] > 0, "no case reached the unreachable cluster"
    assert sum(n for code, n in tally.statuses.items() if code < 300) > 0, "no case succeeded"
