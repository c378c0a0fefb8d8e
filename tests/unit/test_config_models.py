"""Validation of configuration records (the same rules serve CLI, web and MCP)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from clausius.core.config_models import ClusterSpec, ClusterUpdate, PathBaseSpec, ProjectSpec
from clausius.core.projects import EMOJIS, PALETTE, pick_style
from clausius.errors import from_validation_error

GOOD = {"name": "eos", "host": "login.eos.example.com"}


def test_a_full_cluster_spec() -> None:
    spec = ClusterSpec(
        **GOOD,
        port=2222,
        user="alice",
        key="~/.ssh/id_eos",
        data_host="dc.eos.example.com",
        gpu_type="H100",
        gpus_per_node=8,
        gpu_mem_gb=80,
        account="my_ppp",
        mount_paths=["/shared/$USER/", "/lustre/x"],
        team_quota="any",
    )
    assert spec.mount_paths == ["/shared/$USER", "/lustre/x"]
    assert spec.team_quota == "any"


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("name", "Eos", "invalid cluster name"),
        ("name", "local", "reserved"),
        ("name", "a;b", "invalid cluster"),
        ("name", "x" * 33, "max 32"),
        ("host", "a b", "invalid host"),
        ("host", "$(id)", "invalid host"),
        ("host", "a..b", "invalid host"),
        ("host", "-oProxyCommand=x", "invalid host"),
        ("port", 0, "invalid port"),
        ("port", 65536, "invalid port"),
        ("user", "bad user", "invalid user"),
        ("user", "-oX", "invalid user"),
        ("key", "relative", "must be absolute"),
        ("gpus_per_node", -1, "greater than or equal"),
        ("gpu_type", "H 100", "invalid GPU"),
        ("account", "a b", "invalid account"),
        ("mount_paths", ["rel"], "absolute"),
        ("mount_paths", ["/a/../b"], "'..'"),
        ("mount_paths", ["/a\nb"], "control"),
        ("mount_paths", ["/a", "/a/"], "unique"),
        ("team_quota", -5, "non-negative"),
        ("team_quota", "lots", "team_quota"),
        ("extra", 1, "unknown field"),
    ],
)
def test_cluster_spec_rejects(field: str, value: Any, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        ClusterSpec(**{**GOOD, field: value})
    message = from_validation_error(info.value).message
    assert fragment in message, message


def test_update_tracks_only_the_fields_sent() -> None:
    patch = ClusterUpdate(gpu_type="A100", data_host=None)
    assert patch.model_fields_set == {"gpu_type", "data_host"}


def test_paths_and_projects() -> None:
    assert PathBaseSpec(kind="log_search", path="/lustre/logs/").path == "/lustre/logs"
    with pytest.raises(ValidationError):
        PathBaseSpec(kind="elsewhere", path="/x")  # type: ignore[arg-type]
    assert ProjectSpec(name="hle", color="#AABBCC").color == "#aabbcc"
    for bad in (
        {"name": "HLE"},
        {"name": "hle", "color": "red"},
        {"name": "hle", "prefix": "a b"},
        {"name": "hle", "emoji": ""},
    ):
        with pytest.raises(ValidationError):
            ProjectSpec(**bad)


def test_palette_picks_unused_then_cycles() -> None:
    assert pick_style(set(), set(), 0) == (PALETTE[0], EMOJIS[0])
    assert pick_style({PALETTE[0]}, {EMOJIS[0]}, 1) == (PALETTE[1], EMOJIS[1])
    assert pick_style(set(PALETTE), set(EMOJIS), 13) == (PALETTE[1], EMOJIS[1])
