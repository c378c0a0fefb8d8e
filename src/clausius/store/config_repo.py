"""SQL for the configuration tables. Functions take a connection; the caller
decides whether it runs on the writer thread (writes) or a reader (reads)."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from clausius.core.config_models import (
    Account,
    Cluster,
    ClusterSpec,
    PathBase,
    ProcessFilter,
    Project,
    TeamMember,
    TeamQuota,
)

CLUSTER_COLUMNS = (
    "host",
    "port",
    "user",
    "key_path",
    "data_host",
    "gpu_type",
    "gpus_per_node",
    "gpu_mem_gb",
    "account",
    "mount_paths",
    "team_quota",
)


def _quota_to_db(value: TeamQuota) -> str | None:
    return None if value is None else str(value)


def _quota_from_db(value: str | None) -> TeamQuota:
    if value is None:
        return None
    return "any" if value == "any" else int(value)


# -- clusters ----------------------------------------------------------------------------------------


def cluster_row_to_model(row: sqlite3.Row) -> Cluster:
    return Cluster(
        name=row["name"],
        host=row["host"],
        port=row["port"],
        user=row["user"],
        key_configured=bool(row["key_path"]),
        data_host=row["data_host"],
        gpu_type=row["gpu_type"],
        gpus_per_node=row["gpus_per_node"],
        gpu_mem_gb=row["gpu_mem_gb"],
        account=row["account"],
        mount_paths=json.loads(row["mount_paths"]),
        team_quota=_quota_from_db(row["team_quota"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def list_clusters(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return list(conn.execute("SELECT * FROM clusters ORDER BY name"))


def get_cluster(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM clusters WHERE name = ?", (name,)).fetchone()
    return row


def insert_cluster(conn: sqlite3.Connection, spec: ClusterSpec) -> None:
    now = time.time()
    conn.execute(
        "INSERT INTO clusters (name, host, port, user, key_path, data_host, gpu_type, gpus_per_node, "
        "gpu_mem_gb, account, mount_paths, team_quota, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            spec.name,
            spec.host,
            spec.port,
            spec.user,
            spec.key,
            spec.data_host,
            spec.gpu_type,
            spec.gpus_per_node,
            spec.gpu_mem_gb,
            spec.account,
            json.dumps(spec.mount_paths or []),
            _quota_to_db(spec.team_quota),
            now,
            now,
        ),
    )


def update_cluster(conn: sqlite3.Connection, name: str, changes: dict[str, Any]) -> None:
    """Apply only the given columns; everything else keeps its stored value."""
    columns: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "key":
            columns["key_path"] = value
        elif field == "mount_paths":
            columns["mount_paths"] = json.dumps(value or [])
        elif field == "team_quota":
            columns["team_quota"] = _quota_to_db(value)
        elif field == "port":
            columns["port"] = value
        else:
            columns[field] = value
    unknown = set(columns) - set(CLUSTER_COLUMNS)
    if unknown:
        raise ValueError(f"not cluster columns: {sorted(unknown)}")
    if not columns:
        return
    assignments = ", ".join(f"{col} = ?" for col in columns)  # column names come from the allow-list above
    conn.execute(
        f"UPDATE clusters SET {assignments}, updated_at = ? WHERE name = ?",  # noqa: S608
        (*columns.values(), time.time(), name),
    )


def delete_cluster(conn: sqlite3.Connection, name: str) -> int:
    return conn.execute("DELETE FROM clusters WHERE name = ?", (name,)).rowcount


# -- team -------------------------------------------------------------------------------------------


def list_team(conn: sqlite3.Connection) -> list[TeamMember]:
    return [
        TeamMember(username=r["username"], display_name=r["display_name"], created_at=r["created_at"])
        for r in conn.execute("SELECT * FROM team_members ORDER BY username")
    ]


def insert_team_member(conn: sqlite3.Connection, username: str, display_name: str | None) -> None:
    conn.execute(
        "INSERT INTO team_members (username, display_name, created_at) VALUES (?, ?, ?)",
        (username, display_name, time.time()),
    )


def delete_team_member(conn: sqlite3.Connection, username: str) -> int:
    return conn.execute("DELETE FROM team_members WHERE username = ?", (username,)).rowcount


# -- accounts ---------------------------------------------------------------------------------------


def _account(row: sqlite3.Row) -> Account:
    return Account(
        name=row["name"], lustre_id=row["lustre_id"], description=row["description"], created_at=row["created_at"]
    )


def list_accounts(conn: sqlite3.Connection) -> list[Account]:
    return [_account(r) for r in conn.execute("SELECT * FROM accounts ORDER BY name")]


def get_account(conn: sqlite3.Connection, name: str) -> Account | None:
    row = conn.execute("SELECT * FROM accounts WHERE name = ?", (name,)).fetchone()
    return None if row is None else _account(row)


def insert_account(conn: sqlite3.Connection, name: str, lustre_id: int | None, description: str | None) -> None:
    conn.execute(
        "INSERT INTO accounts (name, lustre_id, description, created_at) VALUES (?, ?, ?, ?)",
        (name, lustre_id, description, time.time()),
    )


def update_account(conn: sqlite3.Connection, name: str, changes: dict[str, Any]) -> None:
    allowed = {"lustre_id", "description"}
    cols = {k: v for k, v in changes.items() if k in allowed}
    if cols:
        assignments = ", ".join(f"{c} = ?" for c in cols)  # names from the allow-list
        conn.execute(f"UPDATE accounts SET {assignments} WHERE name = ?", (*cols.values(), name))  # noqa: S608


def delete_account(conn: sqlite3.Connection, name: str) -> int:
    return conn.execute("DELETE FROM accounts WHERE name = ?", (name,)).rowcount


# -- path bases and process filters -----------------------------------------------------------------


def list_paths(conn: sqlite3.Connection, kind: str | None) -> list[PathBase]:
    if kind is None:
        rows = conn.execute("SELECT * FROM path_bases ORDER BY kind, path")
    else:
        rows = conn.execute("SELECT * FROM path_bases WHERE kind = ? ORDER BY path", (kind,))
    return [PathBase(id=r["id"], kind=r["kind"], path=r["path"]) for r in rows]


def find_path(conn: sqlite3.Connection, kind: str, path: str) -> PathBase | None:
    r = conn.execute("SELECT * FROM path_bases WHERE kind = ? AND path = ?", (kind, path)).fetchone()
    return None if r is None else PathBase(id=r["id"], kind=r["kind"], path=r["path"])


def insert_path(conn: sqlite3.Connection, kind: str, path: str) -> int:
    cur = conn.execute("INSERT INTO path_bases (kind, path, created_at) VALUES (?, ?, ?)", (kind, path, time.time()))
    return int(cur.lastrowid or 0)


def delete_path(conn: sqlite3.Connection, path_id: int) -> int:
    return conn.execute("DELETE FROM path_bases WHERE id = ?", (path_id,)).rowcount


def list_filters(conn: sqlite3.Connection) -> list[ProcessFilter]:
    rows = conn.execute("SELECT * FROM process_filters ORDER BY mode, pattern")
    return [ProcessFilter(id=r["id"], mode=r["mode"], pattern=r["pattern"]) for r in rows]


def find_filter(conn: sqlite3.Connection, mode: str, pattern: str) -> ProcessFilter | None:
    r = conn.execute("SELECT * FROM process_filters WHERE mode = ? AND pattern = ?", (mode, pattern)).fetchone()
    return None if r is None else ProcessFilter(id=r["id"], mode=r["mode"], pattern=r["pattern"])


def insert_filter(conn: sqlite3.Connection, mode: str, pattern: str) -> int:
    cur = conn.execute(
        "INSERT INTO process_filters (mode, pattern, created_at) VALUES (?, ?, ?)", (mode, pattern, time.time())
    )
    return int(cur.lastrowid or 0)


def delete_filter(conn: sqlite3.Connection, filter_id: int) -> int:
    return conn.execute("DELETE FROM process_filters WHERE id = ?", (filter_id,)).rowcount


# -- settings ---------------------------------------------------------------------------------------


def load_settings(conn: sqlite3.Connection) -> dict[str, Any]:
    return {r["key"]: json.loads(r["value_json"]) for r in conn.execute("SELECT key, value_json FROM app_settings")}


def upsert_setting(conn: sqlite3.Connection, key: str, value: Any) -> None:
    conn.execute(
        "INSERT INTO app_settings (key, value_json, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at",
        (key, json.dumps(value), time.time()),
    )


def delete_setting(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("DELETE FROM app_settings WHERE key = ?", (key,))


# -- projects ---------------------------------------------------------------------------------------


def _project(row: sqlite3.Row) -> Project:
    return Project(
        name=row["name"], prefix=row["prefix"], color=row["color"], emoji=row["emoji"], created_at=row["created_at"]
    )


def list_projects(conn: sqlite3.Connection) -> list[Project]:
    return [_project(r) for r in conn.execute("SELECT * FROM projects ORDER BY name")]


def get_project(conn: sqlite3.Connection, name: str) -> Project | None:
    row = conn.execute("SELECT * FROM projects WHERE name = ?", (name,)).fetchone()
    return None if row is None else _project(row)


def project_by_prefix(conn: sqlite3.Connection, prefix: str) -> Project | None:
    row = conn.execute("SELECT * FROM projects WHERE prefix = ?", (prefix,)).fetchone()
    return None if row is None else _project(row)


def insert_project(conn: sqlite3.Connection, project: Project) -> None:
    conn.execute(
        "INSERT INTO projects (name, prefix, color, emoji, created_at) VALUES (?, ?, ?, ?, ?)",
        (project.name, project.prefix, project.color, project.emoji, project.created_at),
    )


def update_project(conn: sqlite3.Connection, name: str, changes: dict[str, Any]) -> None:
    allowed = {"prefix", "color", "emoji"}
    cols = {k: v for k, v in changes.items() if k in allowed and v is not None}
    if cols:
        assignments = ", ".join(f"{c} = ?" for c in cols)  # names from the allow-list
        conn.execute(f"UPDATE projects SET {assignments} WHERE name = ?", (*cols.values(), name))  # noqa: S608


def delete_project(conn: sqlite3.Connection, name: str) -> int:
    return conn.execute("DELETE FROM projects WHERE name = ?", (name,)).rowcount


# -- audit ------------------------------------------------------------------------------------------


def audit(conn: sqlite3.Connection, interface: str, action: str, target: str, detail: str | None = None) -> None:
    conn.execute(
        "INSERT INTO audit_log (ts, interface, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (time.time(), interface, action, target, detail),
    )


def list_audit(conn: sqlite3.Connection, limit: int) -> list[sqlite3.Row]:
    return list(conn.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)))


# -- trusted host keys ------------------------------------------------------------------------------


def list_host_keys(conn: sqlite3.Connection, cluster: str) -> list[sqlite3.Row]:
    return list(conn.execute("SELECT * FROM host_keys WHERE cluster = ? ORDER BY host, port", (cluster,)))


def trust_host_key(
    conn: sqlite3.Connection, cluster: str, host: str, port: int, algorithm: str, public_key: str, fingerprint: str
) -> None:
    conn.execute(
        "INSERT INTO host_keys (cluster, host, port, algorithm, public_key, fingerprint, trusted_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (cluster, host, port, algorithm) DO UPDATE SET "
        "public_key = excluded.public_key, fingerprint = excluded.fingerprint, trusted_at = excluded.trusted_at",
        (cluster, host, port, algorithm, public_key, fingerprint, time.time()),
    )
