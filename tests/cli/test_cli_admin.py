"""`clausius` set-up, v3 import, backups/restore, bootstrap errors and the version/help basics."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from clausius.store.migrations import LATEST_VERSION
from tests.cli.conftest import LEGACY_CONFIG, Cli, assert_error, assert_ok, describe, load_legacy_config

LIST_COMMANDS = ("list-clusters", "list-team", "list-ppp", "list-paths", "list-filters", "list-projects", "settings")


def user_version(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def team_in(db: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT username FROM team_members ORDER BY username")]
    finally:
        conn.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(cli: Cli) -> dict[str, Any]:
    return {command: cli.json(command) for command in LIST_COMMANDS}


# -- basics ---------------------------------------------------------------------------------------


def test_version_and_help(cli: Cli) -> None:
    shown = cli.ok("--version")
    assert f"clausius, version {version('clausius')}" in shown.stdout

    script = Path(sys.executable).parent / "clausius"
    assert script.is_file(), f"the `clausius` entry point is not installed next to {sys.executable}"
    helped = assert_ok(cli.run_argv([str(script), "--help"]))
    for command in ("setup", "add-cluster", "import-json", "backup", "restore", "settings"):
        assert command in helped.stdout
    assert not cli.data_dir.exists()  # --help and --version never create a database


# -- setup ----------------------------------------------------------------------------------------


def test_setup_non_interactive_creates_the_database(cli: Cli) -> None:
    out = cli.ok("setup", "--non-interactive").stdout
    assert cli.db_path.is_file()
    assert user_version(cli.db_path) == LATEST_VERSION
    assert f"(schema version {LATEST_VERSION})" in out
    assert str(cli.db_path) in out
    assert "ready: 0 cluster(s) configured" in out


def test_setup_without_a_terminal_uses_defaults_on_eof(cli: Cli) -> None:
    out = cli.ok("setup", input="").stdout
    assert "ready: 0 cluster(s) configured" in out
    assert cli.db_path.is_file()
    assert cli.json("list-clusters") == []


def test_setup_with_piped_answers_registers_a_cluster(cli: Cli) -> None:
    answers = [
        "Team X",  # team name
        "y",  # add a cluster now?
        "eos",  # cluster name
        "login-eos.example.com",  # host
        "2222",  # SSH port
        "alice",  # SSH user
        "H100",  # GPU type
        "8",  # GPUs per node
        "my_acct",  # account
        "/lustre/fsw/$USER",  # mount path
    ]
    out = cli.ok("setup", input="\n".join(answers) + "\n").stdout
    assert "added cluster eos (alice@login-eos.example.com:2222)" in out
    assert "ready: 1 cluster(s) configured" in out
    [eos] = cli.json("list-clusters")
    assert {k: eos[k] for k in ("name", "host", "port", "user", "gpu_type", "gpus_per_node", "account")} == {
        "name": "eos",
        "host": "login-eos.example.com",
        "port": 2222,
        "user": "alice",
        "gpu_type": "H100",
        "gpus_per_node": 8,
        "account": "my_acct",
    }
    assert eos["mount_paths"] == ["/lustre/fsw/$USER"]
    assert cli.ok("get", "team_name").stdout.strip() == "Team X"


def test_setup_with_a_bad_piped_answer_fails_cleanly(cli: Cli) -> None:
    result = cli("setup", input="\ny\neos\nnot a host\n\n\n\n\n\n\n")
    assert result.returncode == 2, describe(result)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "invalid host 'not a host'" in errors[0], describe(result)
    assert cli.json("list-clusters") == []


# -- import-json ----------------------------------------------------------------------------------


def test_import_json_imports_everything_once_and_is_idempotent(cli: Cli) -> None:
    legacy = load_legacy_config()
    token = legacy["sdk_ingest_token"]
    target = cli.root / "config.json"
    shutil.copyfile(LEGACY_CONFIG, target)

    first = cli.ok("import-json", str(target))
    for part in ("3 clusters", "4 team", "3 accounts", "5 paths", "4 filters", "3 projects"):
        assert part in first.stdout, describe(first)
    assert "warning:" not in first.stdout
    assert not target.exists()
    bak = cli.root / "config.json.bak"
    assert bak.read_bytes() == LEGACY_CONFIG.read_bytes()
    assert token not in first.stdout + first.stderr

    after_first = snapshot(cli)

    clusters = {c["name"]: c for c in after_first["list-clusters"]}
    assert sorted(clusters) == ["dfw", "eos", "hsg"]  # the `local` entry is built in, never imported
    for name, body in legacy["clusters"].items():
        if name == "local":
            continue
        got = clusters[name]
        for key in ("host", "port", "gpu_type", "gpu_mem_gb", "gpus_per_node", "account", "mount_paths"):
            assert got[key] == body[key], (name, key)
        assert got["data_host"] == (body["data_host"] or None)
        assert got["user"] == (body["user"] or None)
        assert got["key_configured"] is bool(body["key"])
        assert got["team_quota"] == legacy["team_gpu_allocations"][name]
    assert clusters["eos"]["team_quota"] == 256
    assert clusters["dfw"]["team_quota"] == "any"
    assert "~/.ssh" not in json.dumps(after_first["list-clusters"])  # key paths are never shown

    assert [m["username"] for m in after_first["list-team"]] == sorted(legacy["team_members"])
    assert {a["name"]: a["lustre_id"] for a in after_first["list-ppp"]} == legacy["ppps"]
    kinds = {"log_search": "log_search_bases", "nemo_run": "nemo_run_bases", "lustre_prefix": "mount_lustre_prefixes"}
    for kind, key in kinds.items():
        assert sorted(p["path"] for p in after_first["list-paths"] if p["kind"] == kind) == sorted(legacy[key])
    filters = legacy["local_process_filters"]
    assert {(f["mode"], f["pattern"]) for f in after_first["list-filters"]} == {
        *(("include", p) for p in filters["include"]),
        *(("exclude", p) for p in filters["exclude"]),
    }
    assert {p["name"]: {k: p[k] for k in ("prefix", "color", "emoji")} for p in after_first["list-projects"]} == (
        legacy["projects"]
    )

    settings = {s["key"]: s for s in after_first["settings"]}
    for key in ("ssh_timeout", "cache_fresh_sec", "stats_interval_sec", "backup_interval_hours", "backup_max_keep"):
        assert settings[key]["value"] == legacy[key], key
    for key in ("aihub_opensearch_url", "dashboard_url", "aihub_cache_ttl_sec", "wds_snapshot_interval_sec"):
        assert settings[key]["value"] == legacy[key], key
    assert settings["team_name"]["value"] == "my-team"
    assert (settings["sdk_ingest_token"]["is_set"], settings["sdk_ingest_token"]["value"]) == (True, None)
    assert token not in json.dumps(after_first)

    assert cli.ok("get", "ssh_timeout").stdout.split()[0] == str(legacy["ssh_timeout"])
    assert cli.ok("get", "team_name").stdout.strip() == "my-team"
    hidden = cli.ok("get", "sdk_ingest_token")
    assert hidden.stdout.strip() == "(set)"
    assert token not in hidden.stdout + hidden.stderr

    # Second run of the same file: nothing new, nothing changed, the first .bak kept.
    shutil.copyfile(LEGACY_CONFIG, target)
    second = cli.ok("import-json", str(target))
    assert "nothing new" in second.stdout, describe(second)
    assert "skipped" in second.stdout, describe(second)
    assert token not in second.stdout + second.stderr
    assert snapshot(cli) == after_first
    assert not target.exists()
    assert bak.read_bytes() == LEGACY_CONFIG.read_bytes()
    baks = sorted(p.name for p in cli.root.glob("config.json*.bak"))
    assert len(baks) == 2 and "config.json.bak" in baks, baks
    other = next(n for n in baks if n != "config.json.bak")
    assert (cli.root / other).read_bytes() == LEGACY_CONFIG.read_bytes()
    assert other in second.stdout


def test_import_json_never_overwrites_an_earlier_backup(cli: Cli) -> None:
    target = cli.root / "config.json"
    shutil.copyfile(LEGACY_CONFIG, target)
    # Occupy `config.json.bak` and every timestamped name the import could pick in the next seconds.
    earlier = {cli.root / "config.json.bak": "the first backup"}
    now = time.time()
    for offset in range(-2, 30):
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now + offset))
        earlier[cli.root / f"config.json.{stamp}.bak"] = f"backup {stamp}"
    for path, text in earlier.items():
        path.write_text(text, encoding="utf-8")

    cli.ok("import-json", str(target))
    assert not target.exists()
    for path, text in earlier.items():
        assert path.read_text(encoding="utf-8") == text, path.name
    new = [p for p in cli.root.glob("config.json*.bak") if p not in earlier]
    assert len(new) == 1
    assert new[0].read_bytes() == LEGACY_CONFIG.read_bytes()


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (None, ["config.json", "no such file"]),
        ('{\n  "team": "x",\n  "clusters": {,}\n}\n', ["config.json", "malformed JSON", "line 3"]),
        ('["not", "an", "object"]', ["JSON object"]),
    ],
    ids=["missing", "malformed", "not-an-object"],
)
def test_import_json_rejects_unreadable_files(cli: Cli, content: str | None, fragments: list[str]) -> None:
    target = cli.root / "config.json"
    if content is not None:
        target.write_text(content, encoding="utf-8")
    assert_error(cli("import-json", str(target)), 2, *fragments)
    assert target.exists() is (content is not None)  # a file that was not imported is not renamed
    assert not list(cli.root.glob("*.bak"))
    assert cli.json("list-clusters") == []


def test_import_json_keep_and_invalid_entries(cli: Cli) -> None:
    legacy = load_legacy_config()
    legacy["clusters"]["broken"] = {**legacy["clusters"]["eos"], "host": "login node"}
    target = cli.root / "config.json"
    target.write_text(json.dumps(legacy), encoding="utf-8")
    before = target.read_bytes()

    result = cli.ok("import-json", "--keep", str(target))
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, describe(result)
    assert "'broken'" in warnings[0] and "login node" in warnings[0]
    assert "3 clusters" in result.stdout
    assert target.read_bytes() == before  # --keep: left in place, not renamed
    assert not list(cli.root.glob("*.bak"))
    assert [c["name"] for c in cli.json("list-clusters")] == ["dfw", "eos", "hsg"]


def test_import_json_wrong_shapes_become_warnings_not_garbage(cli: Cli) -> None:
    """A bare string where a list belongs must not be imported letter by letter (`/` as a log root...)."""
    target = cli.root / "config.json"
    shaped = {
        "team_members": "jdoe",
        "log_search_bases": "/lustre/logs",
        "local_process_filters": {"include": "python"},
        "ppp_accounts": [["nested"]],
        "ppps": {"good_ppp": 7},
        "team": "bad\u0001team",
    }
    target.write_text(json.dumps(shaped), encoding="utf-8")
    result = cli.ok("import-json", "--keep", str(target))
    warnings = "\n".join(line for line in result.stdout.splitlines() if line.startswith("warning:"))
    for fragment in ("team_members", "log_search_bases", "local_process_filters.include", "nested", "team"):
        assert fragment in warnings, describe(result)
    assert cli.json("list-team") == []
    assert cli.json("list-paths") == []
    assert cli.json("list-filters") == []
    assert [(a["name"], a["lustre_id"]) for a in cli.json("list-ppp")] == [("good_ppp", 7)]


# -- backup and restore ---------------------------------------------------------------------------


def test_backup_and_restore(cli: Cli) -> None:
    cli.ok("add-team-member", "alice")
    made = cli.ok("backup")
    name = f"history-{datetime.now(UTC):%Y-%m-%d}.db"
    backup = cli.backup_dir / name
    assert backup.is_file(), describe(made)
    assert name in made.stdout
    assert team_in(backup) == ["alice"]
    assert [b["file"] for b in cli.json("backups")] == [name]

    cli.ok("add-team-member", "bob")
    restored = cli.ok("restore", str(backup))
    assert name in restored.stdout
    assert [m["username"] for m in cli.json("list-team")] == ["alice"]
    [safety] = (cli.backup_dir / "pre-restore").glob("*.db")
    assert team_in(safety) == ["alice", "bob"]  # the replaced database was kept
    assert str(safety) in restored.stdout

    junk = cli.root / "junk.db"
    junk.write_text("this is not a database\n", encoding="utf-8")
    assert_error(cli("restore", str(junk)), 2, "not an SQLite database")
    assert_error(cli("restore", str(cli.root / "missing.db")), 2, "missing.db", "no such file")

    # The database still works, and a bare name from `clausius backups` is found in the backup dir.
    cli.ok("add-team-member", "carol")
    cli.ok("restore", name)
    assert [m["username"] for m in cli.json("list-team")] == ["alice"]
    assert len(list((cli.backup_dir / "pre-restore").glob("*.db"))) == 2


def test_backup_retention_keeps_the_newest(cli: Cli) -> None:
    cli.ok("set", "backup_max_keep", "2")
    results = []
    for i in range(4):
        if i:
            time.sleep(1.1)
        results.append(cli.json("backup"))
    assert all(r["kept"] == 2 for r in results)
    assert sum(len(r["deleted"]) for r in results) >= 2
    remaining = sorted(p.name for p in cli.backup_dir.glob("history-*.db"))
    assert len(remaining) == 2, remaining
    assert set(remaining) <= {r["created"]["file"] for r in results}
    assert sorted(b["file"] for b in cli.json("backups")) == remaining


def test_backup_retention_never_deletes_the_backup_just_taken(cli: Cli) -> None:
    cli.ok("set", "backup_max_keep", "1")
    for _ in range(3):
        created = cli.json("backup")["created"]["file"]
        assert (cli.backup_dir / created).is_file(), f"{created} was reported written but is gone"


# -- bootstrap and database errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "env", "command", "fragments"),
    [
        ("[bootstrap\nport = 7272\n", {}, ["list-clusters"], ["clausius.toml", "malformed TOML"]),
        ('[bootstrap]\nport = "abc"\n', {}, ["settings"], ["clausius.toml", "port", "'abc'"]),
        ("[bootstrap]\nprot = 7272\n", {}, ["setup", "--non-interactive"], ["clausius.toml", "'prot'"]),
        ("[server]\nport = 1\n", {}, ["list-team"], ["clausius.toml", "[server]"]),
        ('[ssh]\nuser = "bad user"\n', {}, ["list-clusters"], ["clausius.toml", "[ssh] user"]),
        (None, {"CLAUSIUS_PORT": "0"}, ["list-clusters"], ["CLAUSIUS_PORT"]),
        (None, {"CLAUSIUS_PORT": "http"}, ["backups"], ["CLAUSIUS_PORT"]),
        (None, {"CLAUSIUS_BOOTSTRAP_FILE": "nowhere.toml"}, ["list-clusters"], ["nowhere.toml", "does not exist"]),
    ],
    ids=["malformed", "port-type", "unknown-key", "unknown-section", "ssh-user", "env-port", "env-port-text", "gone"],
)
def test_bootstrap_errors_are_one_line(
    cli: Cli, toml: str | None, env: dict[str, str], command: list[str], fragments: list[str]
) -> None:
    if toml is not None:
        path = cli.root / "clausius.toml"
        path.write_text(toml, encoding="utf-8")
        env = {**env, "CLAUSIUS_BOOTSTRAP_FILE": str(path)}
    assert_error(cli(*command, env=env), 2, *fragments)
    assert not cli.db_path.exists()  # refused before the database was touched


def test_database_from_a_newer_clausius_is_refused_untouched(cli: Cli) -> None:
    cli.data_dir.mkdir(mode=0o700)  # private, as clausius makes it (loose modes get a notice line)
    conn = sqlite3.connect(cli.db_path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    cli.db_path.chmod(0o600)
    digest = sha256(cli.db_path)

    for command in (["list-clusters"], ["setup", "--non-interactive"]):
        result = cli(*command)
        assert result.returncode != 0, describe(result)
        assert_error(result, result.returncode, "written by a newer clausius", "999")
    assert user_version(cli.db_path) == 999
    assert sha256(cli.db_path) == digest
    assert sorted(p.name for p in cli.data_dir.iterdir()) == ["history.db"]


def test_a_file_that_is_not_a_database_is_refused(cli: Cli) -> None:
    cli.data_dir.mkdir(mode=0o700)
    cli.db_path.write_text("hello\n", encoding="utf-8")
    cli.db_path.chmod(0o600)
    assert_error(cli("list-clusters"), 1, "not SQLite")
    assert cli.db_path.read_text(encoding="utf-8") == "hello\n"
