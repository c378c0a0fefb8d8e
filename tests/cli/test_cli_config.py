"""`clausius` configuration commands: clusters, team, PPP accounts, paths, filters, projects, settings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from clausius.core.projects import EMOJIS, PALETTE
from clausius.core.settings_registry import SETTINGS
from tests.cli.conftest import Cli, assert_error, assert_ok

SEED_CLUSTER = [
    "add-cluster",
    "my-cluster",
    "--host",
    "login-node.example.com",
    "--gpu-type",
    "H100",
    "--gpus-per-node",
    "8",
    "--account",
    "my_ppp_account",
    "--mount-path",
    "/shared/storage/$USER",
    "--mount-path",
    "/lustre/x",
]
KEY_PATH = "/home/alice/.ssh/id_cluster_secret"


def by_name(items: list[dict[str, Any]], key: str = "name") -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


# -- clusters ------------------------------------------------------------------------------------


def test_add_cluster_with_every_field_round_trips_without_the_key_path(cli: Cli) -> None:
    added = cli.ok(
        *SEED_CLUSTER,
        "--port",
        "2222",
        "--user",
        "alice",
        "--key",
        KEY_PATH,
        "--data-host",
        "dc-node.example.com",
        "--gpu-mem-gb",
        "80",
        "--team-quota",
        "64",
    )
    assert "added cluster my-cluster (alice@login-node.example.com:2222)" in added.stdout
    cli.ok("add-cluster", "other", "--host", "10.0.0.5", "--team-quota", "ANY")

    listed = cli("list-clusters", "--json")
    assert_ok(listed)
    assert "id_cluster_secret" not in listed.stdout
    clusters = json.loads(listed.stdout)
    assert [c["name"] for c in clusters] == ["my-cluster", "other"]
    mine, other = clusters
    assert {k: v for k, v in mine.items() if k not in ("created_at", "updated_at")} == {
        "name": "my-cluster",
        "host": "login-node.example.com",
        "port": 2222,
        "user": "alice",
        "key_configured": True,
        "data_host": "dc-node.example.com",
        "gpu_type": "H100",
        "gpus_per_node": 8,
        "gpu_mem_gb": 80,
        "account": "my_ppp_account",
        "mount_paths": ["/shared/storage/$USER", "/lustre/x"],  # order kept, $USER stored as written
        "team_quota": 64,
    }
    assert "key" not in mine and "key_path" not in mine
    # Defaults for everything not given.
    assert other["port"] is None  # unset: ~/.ssh/config decides, else 22
    assert other["user"] is None
    assert other["key_configured"] is False
    assert other["mount_paths"] == []
    assert other["team_quota"] == "any"

    table = cli.ok("list-clusters")
    assert "id_cluster_secret" not in table.stdout
    assert "8× H100" in table.stdout
    assert "(data: dc-node.example.com)" in table.stdout
    assert "/shared/storage/$USER, /lustre/x" in table.stdout


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """A data directory holding only the seed cluster, built once and copied per test."""
    template = Cli(tmp_path_factory.mktemp("seeded"))
    template.ok(*SEED_CLUSTER)
    return template.data_dir, template.json("list-clusters")


BAD_CLUSTERS: list[tuple[list[str], int, str]] = [
    (["my-cluster", "--host", "other.example.com"], 1, "already exists"),
    (["Bad;Name", "--host", "h.example.com"], 2, "invalid cluster name 'Bad;Name'"),
    (["local", "--host", "h.example.com"], 2, "reserved"),
    (["new", "--host", "h.example.com", "--port", "0"], 2, "port"),
    (["new", "--host", "h.example.com", "--port", "70000"], 2, "port"),
    (["new", "--host", "h.example.com", "--port", "abc"], 2, "--port"),
    (["new", "--host", "a b"], 2, "invalid host 'a b'"),
    (["new", "--host", "$(touch x)"], 2, "invalid host"),
    (["new", "--host", "h.example.com", "--gpus-per-node", "-1"], 2, "gpus_per_node"),
    (["new", "--host", "h.example.com", "--team-quota", "lots"], 2, "team quota 'lots'"),
    (["new", "--host", "h.example.com", "--team-quota", "-5"], 2, "team_quota"),
    (["new", "--host", "h.example.com", "--mount-path", "relative/path"], 2, "relative/path"),
    (["new", "--host", "h.example.com", "--mount-path", "/a/../b"], 2, "'..'"),
    (["new", "--host", "h.example.com", "--mount-path", "/a", "--mount-path", "/a/"], 2, "unique"),
    (["new", "--host", "h.example.com", "--user", "bad user"], 2, "user"),
    (["new", "--host", "h.example.com", "--key", "relative/key"], 2, "key path"),
    (["new"], 2, "--host"),
]


@pytest.mark.parametrize(("args", "code", "fragment"), BAD_CLUSTERS, ids=[" ".join(a) for a, _, _ in BAD_CLUSTERS])
def test_add_cluster_rejects_bad_input_and_leaves_the_db_unchanged(
    cli: Cli, seeded: tuple[Path, list[dict[str, Any]]], args: list[str], code: int, fragment: str
) -> None:
    template, before = seeded
    shutil.copytree(template, cli.data_dir)
    assert_error(cli("add-cluster", *args), code, fragment)
    assert cli.json("list-clusters") == before
    assert not (cli.root / "x").exists()  # nothing was ever handed to a shell


def test_update_cluster_merges_clears_and_reports_unknown_names(cli: Cli) -> None:
    cli.ok(*SEED_CLUSTER, "--key", KEY_PATH, "--data-host", "dc-node.example.com", "--team-quota", "64")
    [before] = cli.json("list-clusters")

    assert "updated cluster my-cluster" in cli.ok("update-cluster", "my-cluster", "--gpu-type", "A100").stdout
    [after] = cli.json("list-clusters")
    assert after["gpu_type"] == "A100"
    unchanged = ("host", "port", "mount_paths", "account", "key_configured", "data_host", "team_quota", "created_at")
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert after["key_configured"] is True
    assert after["updated_at"] >= before["updated_at"]

    cli.ok("update-cluster", "my-cluster", "--clear", "data_host", "--team-quota", "any")
    [cleared] = cli.json("list-clusters")
    assert cleared["data_host"] is None
    assert cleared["team_quota"] == "any"
    assert cleared["mount_paths"] == ["/shared/storage/$USER", "/lustre/x"]
    assert cleared["key_configured"] is True
    assert cleared["gpu_type"] == "A100"

    line = assert_error(cli("update-cluster", "nope", "--gpu-type", "A100"), 1, "unknown cluster 'nope'")
    assert "my-cluster" in line  # the message lists the known clusters
    assert_error(cli("update-cluster", "my-cluster"), 2, "nothing to change")
    assert_error(cli("update-cluster", "my-cluster", "--clear", "host"), 2, "host")
    assert_error(cli("update-cluster", "my-cluster", "--port", "0"), 2, "port")
    assert cli.json("list-clusters") == [cleared]


def test_remove_cluster(cli: Cli) -> None:
    cli.ok(*SEED_CLUSTER)
    cli.ok("add-cluster", "other", "--host", "other.example.com")
    assert "removed cluster my-cluster" in cli.ok("remove-cluster", "my-cluster").stdout
    assert [c["name"] for c in cli.json("list-clusters")] == ["other"]
    assert_error(cli("remove-cluster", "my-cluster"), 1, "unknown cluster 'my-cluster'", "other")


# -- team -----------------------------------------------------------------------------------------


def test_team_members(cli: Cli) -> None:
    assert "added team member alice" in cli.ok("add-team-member", "alice", "--display-name", "Alice A").stdout
    cli.ok("add-team-member", "bob")
    team = cli.json("list-team")
    assert [(m["username"], m["display_name"]) for m in team] == [("alice", "Alice A"), ("bob", None)]
    assert "Alice A" in cli.ok("list-team").stdout

    assert_error(cli("add-team-member", "alice"), 1, "already exists")
    assert_error(cli("add-team-member", "bad name"), 2, "invalid user name 'bad name'")
    assert_error(cli("add-team-member", "x;rm"), 2, "invalid user name")

    assert "removed team member alice" in cli.ok("remove-team-member", "alice").stdout
    assert [m["username"] for m in cli.json("list-team")] == ["bob"]
    assert_error(cli("remove-team-member", "alice"), 1, "alice")


# -- PPP accounts ---------------------------------------------------------------------------------


def test_ppp_accounts(cli: Cli) -> None:
    assert "added PPP account my_ppp" in cli.ok("add-ppp", "my_ppp", "--id", "12345").stdout
    cli.ok("add-ppp", "speech.ppp", "--description", "Speech team")
    accounts = by_name(cli.json("list-ppp"))
    assert accounts["my_ppp"]["lustre_id"] == 12345
    assert accounts["my_ppp"]["description"] is None
    assert accounts["speech.ppp"]["lustre_id"] is None
    assert accounts["speech.ppp"]["description"] == "Speech team"

    assert_error(cli("add-ppp", "my_ppp"), 1, "already exists")
    assert_error(cli("add-ppp", "other", "--id", "abc"), 2, "--id")
    assert_error(cli("add-ppp", "other", "--id", "-3"), 2, "lustre_id")
    assert_error(cli("add-ppp", "bad name"), 2, "invalid account name")

    cli.ok("update-ppp", "my_ppp", "--id", "54321", "--description", "main allocation")
    accounts = by_name(cli.json("list-ppp"))
    assert (accounts["my_ppp"]["lustre_id"], accounts["my_ppp"]["description"]) == (54321, "main allocation")
    assert_error(cli("update-ppp", "nope", "--id", "1"), 1, "nope")
    assert_error(cli("update-ppp", "my_ppp"), 2, "nothing to change")

    cli.ok("remove-ppp", "my_ppp")
    assert [a["name"] for a in cli.json("list-ppp")] == ["speech.ppp"]
    assert_error(cli("remove-ppp", "my_ppp"), 1, "my_ppp")


# -- path bases -----------------------------------------------------------------------------------


def test_paths(cli: Cli) -> None:
    added = cli.ok("add-path", "--kind", "log_search", "/lustre/logs")
    assert "added log_search path /lustre/logs" in added.stdout
    cli.ok("add-path", "--kind", "nemo_run", "/lustre/nemo/")  # trailing slash is dropped
    cli.ok("add-path", "--kind", "lustre_prefix", "/lustre/[abc]")  # brackets are data, not markup

    [log] = cli.json("list-paths", "--kind", "log_search")
    assert (log["kind"], log["path"]) == ("log_search", "/lustre/logs")
    assert f"(id {log['id']})" in added.stdout
    everything = cli.json("list-paths")
    assert {(p["kind"], p["path"]) for p in everything} == {
        ("log_search", "/lustre/logs"),
        ("nemo_run", "/lustre/nemo"),
        ("lustre_prefix", "/lustre/[abc]"),
    }
    assert "/lustre/[abc]" in cli.ok("list-paths").stdout

    assert_error(cli("add-path", "--kind", "bogus", "/x"), 2, "--kind")
    assert_error(cli("add-path", "/x"), 2, "--kind")  # missing required choice option: still one line
    assert_error(cli("add-path", "--kind", "log_search", "relative/logs"), 2, "must be absolute")
    assert_error(cli("add-path", "--kind", "log_search", "/lustre/logs/"), 1, "already exists")

    assert f"removed path {log['id']}" in cli.ok("remove-path", str(log["id"])).stdout
    assert cli.json("list-paths", "--kind", "log_search") == []
    assert_error(cli("remove-path", str(log["id"])), 1, f"no path with id {log['id']}")
    assert_error(cli("remove-path", "abc"), 2, "ID")
    assert len(cli.json("list-paths")) == 2


# -- local process filters ------------------------------------------------------------------------


def test_filters(cli: Cli) -> None:
    assert "added include filter 'python'" in cli.ok("add-filter", "--mode", "include", "python").stdout
    cli.ok("add-filter", "--mode", "exclude", "jupyter")
    odd = cli.ok("add-filter", "--mode", "exclude", "[/x] :fire:")  # printed literally, never as rich markup
    assert "'[/x] :fire:'" in odd.stdout

    filters = cli.json("list-filters")
    assert {(f["mode"], f["pattern"]) for f in filters} == {
        ("include", "python"),
        ("exclude", "jupyter"),
        ("exclude", "[/x] :fire:"),
    }
    assert "[/x] :fire:" in cli.ok("list-filters").stdout

    assert_error(cli("add-filter", "--mode", "maybe", "x"), 2, "--mode")
    assert_error(cli("add-filter", "x"), 2, "--mode")
    assert_error(cli("add-filter", "--mode", "include", "python"), 1, "already exists")

    python = next(f for f in filters if f["pattern"] == "python")
    cli.ok("remove-filter", str(python["id"]))
    assert {f["pattern"] for f in cli.json("list-filters")} == {"jupyter", "[/x] :fire:"}
    assert_error(cli("remove-filter", str(python["id"])), 1, str(python["id"]))


# -- projects -------------------------------------------------------------------------------------


def test_projects(cli: Cli) -> None:
    added = cli.ok("add-project", "hle")
    assert "prefix hle_" in added.stdout
    cli.ok("add-project", "aime", "--prefix", "aime-")
    projects = by_name(cli.json("list-projects"))
    hle, aime = projects["hle"], projects["aime"]
    assert hle["prefix"] == "hle_"
    assert aime["prefix"] == "aime-"
    assert hle["color"] in PALETTE and hle["emoji"] in EMOJIS
    assert aime["color"] in PALETTE and aime["emoji"] in EMOJIS
    assert (hle["color"], hle["emoji"]) != (aime["color"], aime["emoji"])  # the palette moves on

    assert_error(cli("add-project", "x", "--color", "red"), 2, "colour 'red'")
    assert_error(cli("add-project", "Bad Name"), 2, "invalid project name")
    assert_error(cli("add-project", "hle"), 1, "already exists")
    assert_error(cli("add-project", "other", "--prefix", "hle_"), 1, "prefix 'hle_'")

    cli.ok("update-project", "hle", "--color", "#112233")
    cli.ok("update-project", "aime", "--color", "#AABBCC")
    projects = by_name(cli.json("list-projects"))
    assert projects["hle"] == {**hle, "color": "#112233"}
    assert projects["aime"]["color"] == "#aabbcc"
    assert_error(cli("update-project", "aime", "--prefix", "hle_"), 1, "prefix 'hle_'")
    assert_error(cli("update-project", "hle", "--color", "#12345"), 2, "colour")
    assert_error(cli("update-project", "nope", "--color", "#112233"), 1, "nope")
    assert_error(cli("update-project", "hle"), 2, "nothing to change")

    cli.ok("remove-project", "hle")
    assert list(by_name(cli.json("list-projects"))) == ["aime"]
    assert_error(cli("remove-project", "hle"), 1, "hle")


# -- settings -------------------------------------------------------------------------------------


def test_set_get_reset(cli: Cli) -> None:
    assert "ssh_timeout = 12 s" in cli.ok("set", "ssh_timeout", "12").stdout
    assert cli.ok("get", "ssh_timeout").stdout.split()[0] == "12"
    info = cli.json("get", "ssh_timeout")
    assert (info["value"], info["default"], info["is_default"]) == (12, 8, False)

    cli.ok("set", "background_run_suffixes", "_server,_vllm")
    assert cli.json("get", "background_run_suffixes")["value"] == ["_server", "_vllm"]
    cli.ok("set", "allow_run_script", "yes")
    assert cli.json("get", "allow_run_script")["value"] is True

    assert "(default)" in cli.ok("reset", "ssh_timeout").stdout
    info = cli.json("get", "ssh_timeout")
    assert (info["value"], info["is_default"]) == (8, True)


BAD_SETTINGS: list[tuple[list[str], int, list[str]]] = [
    (["set", "ssh_timeout", "999"], 2, ["ssh_timeout", "at most 60"]),
    (["set", "ssh_timeout", "1"], 2, ["at least 5"]),
    (["set", "ssh_timeout", "abc"], 2, ["must be an integer", "'abc'"]),
    (["set", "allow_run_script", "maybe"], 2, ["true or false"]),
    (["set", "theme", "purple"], 2, ["theme", "purple"]),
    (["set", "dashboard_url", "ftp://x"], 2, ["http(s) URL"]),
    (["set", "sdk_ingest_token", "short"], 2, ["at least 16 characters"]),
    (["set", "ssh_timeout"], 2, ["VALUE"]),
    (["set", "no_such_key", "1"], 1, ["unknown setting 'no_such_key'"]),
    (["get", "no_such_key"], 1, ["unknown setting 'no_such_key'"]),
    (["reset", "no_such_key"], 1, ["unknown setting 'no_such_key'"]),
]


@pytest.mark.parametrize(("args", "code", "fragments"), BAD_SETTINGS, ids=[" ".join(a) for a, _, _ in BAD_SETTINGS])
def test_settings_reject_bad_input(cli: Cli, args: list[str], code: int, fragments: list[str]) -> None:
    assert_error(cli(*args), code, *fragments)
    assert all(info["is_default"] for info in cli.json("settings"))


def test_secret_setting_is_never_printed(cli: Cli) -> None:
    token = "tok3n-abcdefghijklmnopqr"
    assert len(token) == 24

    results = [cli.ok("set", "sdk_ingest_token", token)]
    assert "(set)" in results[0].stdout
    results.append(cli.ok("get", "sdk_ingest_token"))
    assert results[-1].stdout.strip() == "(set)"
    results.append(cli.ok("get", "sdk_ingest_token", "--json"))
    info = json.loads(results[-1].stdout)
    assert (info["is_set"], info["is_default"], info["value"]) == (True, False, None)
    results.append(cli.ok("settings"))
    [line] = [line for line in results[-1].stdout.splitlines() if "sdk_ingest_token" in line]
    assert "(set)" in line
    assert "1024–67108864" in results[-1].stdout  # bounds shown in full, not as 6.71089e+07
    results.append(cli.ok("settings", "--json"))
    infos = json.loads(results[-1].stdout)
    assert [i["key"] for i in infos] == [spec.key for spec in SETTINGS]
    secret = by_name(infos, "key")["sdk_ingest_token"]
    assert (secret["is_set"], secret["value"]) == (True, None)

    for result in results:
        assert token not in result.stdout + result.stderr
        assert token[6:] not in result.stdout + result.stderr
