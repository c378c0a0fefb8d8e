"""Asking the running service instead of starting a second view of the clusters.

While `clausius serve` watches the clusters, its agents know their state (live, stale, errors,
counters); a CLI process that opened its own services would know nothing yet and say `never`.
Commands that report what is being watched ask the service over loopback with the access token
(same user, same file) and fall back to their own view, saying so, when none runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from clausius.errors import ClausiusError, InvalidInput, NotFound
from clausius.store.datadir import read_service_info
from clausius.web.auth import resolve_token

DEADLINE_SEC = 30.0  # the service answers from memory; a --check pings clusters with their own deadlines


@dataclass(frozen=True)
class RunningService:
    url: str
    token: str | None


def running_service(data_dir: Path) -> RunningService | None:
    """The service serving `data_dir` with a web API, if its service file says one runs and it answers."""
    info = read_service_info(data_dir)
    if info is None:
        return None
    url = info.get("url")
    if not isinstance(url, str):
        return None  # `mcp --stdio` standalone: no web API
    token = resolve_token(data_dir, None, create=False) if info.get("token_required") else None
    try:
        httpx.get(f"{url}/api/health", timeout=2).raise_for_status()
    except httpx.HTTPError:
        return None  # a killed service leaves its file behind
    return RunningService(url=url, token=token)


def get_json(service: RunningService, path: str, params: dict[str, Any]) -> Any:
    """GET one API route; its error body becomes the same typed error the service raised."""
    headers = {"Authorization": f"Bearer {service.token}"} if service.token else {}
    try:
        response = httpx.get(f"{service.url}{path}", params=params, headers=headers, timeout=DEADLINE_SEC)
    except httpx.HTTPError as exc:
        raise ClausiusError(f"the running service at {service.url} did not answer: {exc}") from None
    if response.status_code == 200:
        return response.json()
    try:
        body = response.json()
    except ValueError:
        body = {}
    message = str(body.get("error") or f"the service answered {response.status_code}")
    hint = body.get("hint")
    kind = {404: NotFound, 422: InvalidInput}.get(response.status_code, ClausiusError)
    raise kind(message, hint=hint if isinstance(hint, str) else None)
