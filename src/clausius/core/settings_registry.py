"""The typed registry of runtime settings.

Each setting is declared once, as data: key, type, default, bounds and a
description. Every interface lists, reads and writes settings through this
registry, so a value is validated the same way whether it comes from the
browser, the CLI (as a string) or an agent (as JSON).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from clausius.core.naming import MAX_STAGE_SUFFIX_LENGTH, MAX_STAGE_SUFFIXES, stage_suffix_error
from clausius.errors import InvalidInput, NotFound

SettingType = Literal["int", "float", "bool", "str", "choice", "str_list", "secret", "url"]
SettingValue = int | float | bool | str | list[str]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


@dataclass(frozen=True)
class SettingSpec:
    key: str
    type: SettingType
    default: SettingValue
    description: str
    category: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    max_items: int = 64
    max_length: int = 1024
    unit: str | None = None

    @property
    def secret(self) -> bool:
        return self.type == "secret"


# Settings that widen what an agent may do (or hold a secret): only a person changes them,
# through the UI or the CLI; an agent asking to change them is refused.
PERSON_ONLY: frozenset[str] = frozenset({"allow_run_script", "mcp_tool_groups", "sdk_ingest_token"})


def _spec(*args: Any, **kwargs: Any) -> SettingSpec:
    return SettingSpec(*args, **kwargs)


SETTINGS: tuple[SettingSpec, ...] = (
    # Connections
    _spec(
        "ssh_timeout",
        "int",
        8,
        "Deadline in seconds for one remote command on a cluster (a refresh of three commands gets twice this).",
        "connections",
        5,
        60,
        unit="s",
    ),
    _spec(
        "ssh_connect_timeout",
        "int",
        10,
        "Deadline in seconds for opening an SSH connection.",
        "connections",
        2,
        120,
        unit="s",
    ),
    # Live board
    _spec(
        "cache_fresh_sec",
        "int",
        30,
        "How long a cluster snapshot counts as fresh, and how long per-job answers (stats, priority) are shared.",
        "board",
        5,
        600,
        unit="s",
    ),
    _spec(
        "poll_interval_sec",
        "int",
        15,
        "Refresh interval for a cluster while someone is watching.",
        "board",
        5,
        600,
        unit="s",
    ),
    _spec(
        "demand_window_sec",
        "int",
        120,
        "A cluster stays polled this long after the last read or viewer.",
        "board",
        10,
        3600,
        unit="s",
    ),
    _spec(
        "background_run_suffixes",
        "str_list",
        ["_server"],
        "Job-name suffixes of long-running helper jobs, shown dimmed on the board.",
        "board",
    ),
    _spec(
        "stage_suffixes",
        "str_list",
        ["-judge-rs<N>", "-summarize-results"],
        "Run-name suffixes that link a run as the child of its base run (<N> matches a number, [...] is "
        "optional, | separates alternatives).",
        "board",
        max_items=MAX_STAGE_SUFFIXES,
        max_length=MAX_STAGE_SUFFIX_LENGTH,
    ),
    _spec(
        "stats_interval_sec",
        "int",
        1800,
        "Minimum interval between stored GPU/CPU stats snapshots of a job.",
        "board",
        60,
        7200,
        unit="s",
    ),
    # History and logs
    _spec("history_page_size", "int", 50, "Runs per page in the history view.", "history", 5, 500),
    _spec("jsonl_record_limit", "int", 100, "JSONL records loaded at once in the log explorer.", "logs", 0, 10000),
    _spec(
        "jsonl_load_mode",
        "choice",
        "last",
        "Which JSONL records the explorer loads first.",
        "logs",
        choices=("first", "last", "all"),
    ),
    _spec(
        "log_tail_bytes",
        "int",
        65536,
        "Bytes of a log tail read for crash and progress detection.",
        "logs",
        4096,
        4 * 1024 * 1024,
        unit="bytes",
    ),
    # Backups
    _spec(
        "backup_interval_hours",
        "int",
        24,
        "Hours between automatic database backups while serving.",
        "backups",
        1,
        168,
        unit="h",
    ),
    _spec("backup_max_keep", "int", 7, "Number of backups kept; older ones are deleted.", "backups", 1, 90),
    # Team and allocations
    _spec("team_name", "str", "", "Team name shown on the Compute page.", "team", max_length=120),
    _spec(
        "aihub_opensearch_url", "url", "", "OpenSearch endpoint with allocation and fair-share data (optional).", "team"
    ),
    _spec("dashboard_url", "url", "", "Cluster utilisation dashboard base URL (optional).", "team"),
    _spec("aihub_cache_ttl_sec", "int", 300, "Cache lifetime for allocation data.", "team", 30, 3600, unit="s"),
    _spec(
        "wds_snapshot_interval_sec",
        "int",
        900,
        "Interval of where-to-submit score snapshots.",
        "team",
        60,
        86400,
        unit="s",
    ),
    # SDK and agents
    _spec(
        "sdk_ingest_token",
        "secret",
        "",
        "Bearer token the SDK must send to POST /api/sdk/events "
        "(empty: no token required on loopback). Never shown once set.",
        "sdk",
        max_length=256,
    ),
    _spec(
        "sdk_max_event_bytes",
        "int",
        1_048_576,
        "Largest SDK ingest request accepted.",
        "sdk",
        1024,
        64 * 1024 * 1024,
        unit="bytes",
    ),
    _spec(
        "allow_run_script",
        "bool",
        False,
        "Allow agents and the UI to run scripts on clusters (run_script). Off by default.",
        "agents",
    ),
    _spec(
        "mcp_tool_groups",
        "str_list",
        ["jobs", "config", "logbook", "compute", "admin"],
        "MCP tool groups offered to agents by default.",
        "agents",
    ),
    # UI
    _spec("theme", "choice", "system", "Colour theme of the web UI.", "ui", choices=("system", "light", "dark")),
    _spec("auto_refresh", "bool", True, "Update the board live in the browser.", "ui"),
    _spec(
        "refresh_interval_sec",
        "int",
        30,
        "Browser fallback refresh interval when live updates are off.",
        "ui",
        5,
        600,
        unit="s",
    ),
)

REGISTRY: dict[str, SettingSpec] = {spec.key: spec for spec in SETTINGS}

_APP = "the app shell issue (Runs view, notifications, live board options)"
_LOGS = "the log explorer and job stats issue"
_COMPUTE = "the compute issue (allocations, where to submit)"
_SDK = "the SDK and metrics issue"
# Settings offered for the v3 import and the settings page but read by no code yet, with the capability
# that will use them. `clausius settings`, the API and MCP mark them; a contract test fails when one of
# these is read by code (take it off the list) or when any other setting is read by nothing.
NOT_USED_YET: dict[str, str] = {
    "stats_interval_sec": _LOGS,
    "history_page_size": _APP,
    "jsonl_record_limit": _LOGS,
    "jsonl_load_mode": _LOGS,
    "aihub_opensearch_url": _COMPUTE,
    "dashboard_url": _COMPUTE,
    "aihub_cache_ttl_sec": _COMPUTE,
    "wds_snapshot_interval_sec": _COMPUTE,
    "sdk_ingest_token": _SDK,
    "sdk_max_event_bytes": _SDK,
    "auto_refresh": _APP,
    "refresh_interval_sec": _APP,
}


def get_spec(key: str) -> SettingSpec:
    try:
        return REGISTRY[key]
    except KeyError:
        raise NotFound(f"unknown setting {key!r}", hint="`clausius settings` lists them") from None


def _as_int(spec: SettingSpec, raw: Any) -> int:
    if isinstance(raw, bool):
        raise InvalidInput(f"{spec.key} must be an integer, got {raw!r}")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, str):
        try:
            raw = int(raw.strip())
        except ValueError:
            raise InvalidInput(f"{spec.key} must be an integer, got {raw!r}") from None
    if not isinstance(raw, int):
        raise InvalidInput(f"{spec.key} must be an integer, got {raw!r}")
    return raw


def _as_float(spec: SettingSpec, raw: Any) -> float:
    if isinstance(raw, bool):
        raise InvalidInput(f"{spec.key} must be a number, got {raw!r}")
    try:
        value = float(raw.strip()) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        raise InvalidInput(f"{spec.key} must be a number, got {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput(f"{spec.key} must be a finite number")
    return value


def _as_bool(spec: SettingSpec, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise InvalidInput(f"{spec.key} must be true or false, got {raw!r}")


def _as_str(spec: SettingSpec, raw: Any) -> str:
    if not isinstance(raw, str):
        raise InvalidInput(f"{spec.key} must be a string, got {raw!r}")
    value = raw.strip()
    if len(value) > spec.max_length:
        raise InvalidInput(f"{spec.key} must be at most {spec.max_length} characters")
    if any(ord(ch) < 32 for ch in value):
        raise InvalidInput(f"{spec.key} must not contain control characters")
    return value


def _as_list(spec: SettingSpec, raw: Any) -> list[str]:
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                raw = json.loads(text)
            except json.JSONDecodeError:
                raise InvalidInput(f"{spec.key}: malformed JSON list") from None
        else:
            raw = [part for part in (p.strip() for p in text.split(",")) if part]
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise InvalidInput(f"{spec.key} must be a list of strings (or a comma-separated string)")
    items = [_as_str(spec, item) for item in raw]
    if any(not item for item in items):
        raise InvalidInput(f"{spec.key}: items must not be empty")
    if len(items) > spec.max_items:
        raise InvalidInput(f"{spec.key} accepts at most {spec.max_items} items")
    return list(dict.fromkeys(items))


def format_bound(value: float) -> str:
    """Bounds print in full (4194304, not 4.1943e+06)."""
    return str(int(value)) if float(value).is_integer() else str(value)


# Lists whose items have a syntax of their own, checked on every write (API, CLI and MCP alike).
_ITEM_CHECKS: dict[str, Callable[[str], str | None]] = {"stage_suffixes": stage_suffix_error}


def coerce(spec: SettingSpec, raw: Any) -> SettingValue:
    """Validate `raw` (a JSON value, or a CLI string) into the setting's typed value."""
    value: SettingValue
    if spec.type == "int":
        value = _as_int(spec, raw)
    elif spec.type == "float":
        value = _as_float(spec, raw)
    elif spec.type == "bool":
        value = _as_bool(spec, raw)
    elif spec.type == "str_list":
        value = _as_list(spec, raw)
        check = _ITEM_CHECKS.get(spec.key)
        problems = [(item, check(item)) for item in value] if check is not None else []
        for item, problem in problems:
            if problem is not None:
                raise InvalidInput(f"{spec.key}: {item!r}: {problem}")
    else:
        value = _as_str(spec, raw)
        if spec.type == "choice" and value not in spec.choices:
            raise InvalidInput(f"{spec.key} must be one of {', '.join(spec.choices)}; got {value!r}")
        if spec.type == "url" and value and not _URL_RE.match(value):
            raise InvalidInput(f"{spec.key} must be an http(s) URL, got {value!r}")
        if spec.type == "secret" and value and len(value) < 16:
            raise InvalidInput(f"{spec.key} must be at least 16 characters (or empty to disable)")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            raise InvalidInput(f"{spec.key} must be at least {format_bound(spec.minimum)}, got {value}")
        if spec.maximum is not None and value > spec.maximum:
            raise InvalidInput(f"{spec.key} must be at most {format_bound(spec.maximum)}, got {value}")
    return value


def mask_url_credentials(url: str) -> str:
    """`https://user:pw@host/x` → `https://***@host/x`: credentials in a URL are never shown back."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


def keep_masked_credentials(new: str, stored: str) -> str:
    """A URL saved back as it was shown (`https://***@host/x`) keeps the stored credentials for that host.

    Without this, editing another part of a form that shows the masked URL would replace the real
    credentials with `***`. A URL for another host, or with new credentials, is taken as typed.
    """
    parts = urlsplit(new)
    if not parts.netloc.startswith("***@"):
        return new
    old = urlsplit(stored)
    if "@" not in old.netloc or old.netloc.rsplit("@", 1)[1] != parts.netloc.removeprefix("***@"):
        return new
    return urlunsplit(parts._replace(netloc=old.netloc))


def public_value(spec: SettingSpec, value: SettingValue) -> SettingValue | None:
    """What may be shown to anyone: secrets are never returned, only whether they are set; a URL's
    credentials are masked."""
    if spec.secret:
        return None
    if spec.type == "url" and isinstance(value, str):
        return mask_url_credentials(value)
    return value
