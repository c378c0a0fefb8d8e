"""Every validation rule of the settings registry."""

from __future__ import annotations

from typing import Any

import pytest

from clausius.core.settings_registry import REGISTRY, SETTINGS, coerce, get_spec, public_value
from clausius.errors import InvalidInput, NotFound

SEED_ADVANCED = (
    "ssh_timeout",
    "cache_fresh_sec",
    "stats_interval_sec",
    "backup_interval_hours",
    "backup_max_keep",
    "history_page_size",
    "jsonl_record_limit",
    "jsonl_load_mode",
    "background_run_suffixes",
    "sdk_ingest_token",
)


def test_registry_covers_the_seed_advanced_list_with_docs() -> None:
    for key in SEED_ADVANCED:
        assert key in REGISTRY
    for spec in SETTINGS:
        assert spec.description.endswith(".") or spec.description.endswith(")"), spec.key
        coerce(spec, spec.default)  # every default passes its own validation
    assert len({s.key for s in SETTINGS}) == len(SETTINGS)


def test_unknown_key() -> None:
    with pytest.raises(NotFound, match="unknown setting 'nope'"):
        get_spec("nope")


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("ssh_timeout", "12", 12),
        ("ssh_timeout", 12, 12),
        ("ssh_timeout", 12.0, 12),
        ("ssh_timeout", " 5 ", 5),
        ("ssh_timeout", 60, 60),
        ("allow_run_script", "yes", True),
        ("allow_run_script", "OFF", False),
        ("allow_run_script", True, True),
        ("jsonl_load_mode", "all", "all"),
        ("theme", "dark", "dark"),
        ("background_run_suffixes", "_server, _vllm", ["_server", "_vllm"]),
        ("background_run_suffixes", '["a", "b", "a"]', ["a", "b"]),
        ("background_run_suffixes", ["x"], ["x"]),
        ("background_run_suffixes", "", []),
        ("team_name", "  my team ", "my team"),
        ("dashboard_url", "https://dash.example.com/x", "https://dash.example.com/x"),
        ("dashboard_url", "", ""),
        ("sdk_ingest_token", "a" * 16, "a" * 16),
        ("sdk_ingest_token", "", ""),
    ],
)
def test_valid_values(key: str, raw: Any, expected: Any) -> None:
    assert coerce(REGISTRY[key], raw) == expected


@pytest.mark.parametrize(
    ("key", "raw", "fragment"),
    [
        ("ssh_timeout", "abc", "must be an integer"),
        ("ssh_timeout", 4, "at least 5"),
        ("ssh_timeout", 61, "at most 60"),
        ("ssh_timeout", True, "integer"),
        ("ssh_timeout", 2.5, "integer"),
        ("ssh_timeout", None, "integer"),
        ("backup_max_keep", 0, "at least 1"),
        ("backup_max_keep", 91, "at most 90"),
        ("backup_interval_hours", 169, "at most 168"),
        ("history_page_size", 4, "at least 5"),
        ("jsonl_record_limit", -1, "at least 0"),
        ("stats_interval_sec", 59, "at least 60"),
        ("allow_run_script", "maybe", "true or false"),
        ("allow_run_script", 1, "true or false"),
        ("jsonl_load_mode", "middle", "one of first, last, all"),
        ("theme", "purple", "one of"),
        ("background_run_suffixes", "[1, 2]", "list of strings"),
        ("background_run_suffixes", "[oops", "malformed"),
        ("background_run_suffixes", 5, "list of strings"),
        ("background_run_suffixes", ",".join("x" * 65), "at most"),
        ("team_name", "a\nb", "control characters"),
        ("team_name", "x" * 121, "at most 120"),
        ("team_name", 5, "must be a string"),
        ("dashboard_url", "ftp://x", "http(s) URL"),
        ("dashboard_url", "not a url", "http(s) URL"),
        ("sdk_ingest_token", "short", "at least 16"),
    ],
)
def test_invalid_values(key: str, raw: Any, fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        coerce(REGISTRY[key], raw)
    assert fragment in info.value.message
    assert key in info.value.message


def test_secrets_are_never_public() -> None:
    spec = REGISTRY["sdk_ingest_token"]
    assert spec.secret
    assert public_value(spec, "a" * 20) is None
    assert public_value(REGISTRY["ssh_timeout"], 9) == 9
