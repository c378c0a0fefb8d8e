-- Configuration: everything the service needs to know about the user's world.
CREATE TABLE clusters (
    name          TEXT PRIMARY KEY,
    host          TEXT NOT NULL,
    port          INTEGER CHECK (port IS NULL OR port BETWEEN 1 AND 65535),  -- NULL: ~/.ssh/config or 22
    user          TEXT,
    key_path      TEXT,
    data_host     TEXT,
    gpu_type      TEXT,
    gpus_per_node INTEGER CHECK (gpus_per_node IS NULL OR gpus_per_node >= 0),
    gpu_mem_gb    INTEGER CHECK (gpu_mem_gb IS NULL OR gpu_mem_gb >= 0),
    account       TEXT,
    mount_paths   TEXT NOT NULL DEFAULT '[]',   -- JSON array of remote roots
    team_quota    TEXT,                          -- NULL, 'any' or a GPU count
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL
) STRICT;

CREATE TABLE team_members (
    username     TEXT PRIMARY KEY,
    display_name TEXT,
    created_at   REAL NOT NULL
) STRICT;

CREATE TABLE accounts (
    name        TEXT PRIMARY KEY,
    lustre_id   INTEGER,
    description TEXT,
    created_at  REAL NOT NULL
) STRICT;

CREATE TABLE path_bases (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('log_search', 'nemo_run', 'lustre_prefix')),
    path       TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (kind, path)
) STRICT;

CREATE TABLE process_filters (
    id         INTEGER PRIMARY KEY,
    mode       TEXT NOT NULL CHECK (mode IN ('include', 'exclude')),
    pattern    TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (mode, pattern)
) STRICT;

CREATE TABLE app_settings (
    key        TEXT PRIMARY KEY,
    value_json TEXT NOT NULL,
    updated_at REAL NOT NULL
) STRICT;

CREATE TABLE projects (
    name       TEXT PRIMARY KEY,
    prefix     TEXT NOT NULL UNIQUE,
    color      TEXT NOT NULL,
    emoji      TEXT NOT NULL,
    created_at REAL NOT NULL
) STRICT;
