-- Every job ever observed, kept after Slurm has forgotten it; runs; per-cluster sync state.
CREATE TABLE jobs (
    cluster         TEXT NOT NULL,           -- no FK: history outlives a removed cluster
    job_id          TEXT NOT NULL,           -- as Slurm shows it: 123, 13_1, 123+0
    raw_id          TEXT,
    name            TEXT NOT NULL DEFAULT '',
    user            TEXT,
    state           TEXT NOT NULL,
    state_detail    TEXT,
    reason          TEXT,
    exit_code       INTEGER,
    signal          INTEGER,
    account         TEXT,
    partition       TEXT,
    qos             TEXT,
    nodes           INTEGER,
    cpus            INTEGER,
    gpus            INTEGER,
    gpu_type        TEXT,
    node_list       TEXT,
    submit_time     REAL,
    start_time      REAL,
    end_time        REAL,
    time_limit_sec  INTEGER,
    elapsed_sec     INTEGER,
    dependencies    TEXT NOT NULL DEFAULT '[]',  -- JSON [[type, job_id], ...]
    project         TEXT,
    campaign        TEXT,
    run_id          TEXT,
    std_out         TEXT,
    std_err         TEXT,
    work_dir        TEXT,
    crash_kind      TEXT,
    crash_line      TEXT,
    pinned          INTEGER NOT NULL DEFAULT 0,  -- finished while watched: stays on the board until dismissed
    missing_since   REAL,                        -- left squeue, no accounting record yet
    first_seen      REAL NOT NULL,
    last_seen       REAL NOT NULL,
    finalised_at    REAL,
    PRIMARY KEY (cluster, job_id)
) STRICT;

CREATE INDEX jobs_by_state ON jobs (cluster, state);
CREATE INDEX jobs_pinned ON jobs (cluster, pinned) WHERE pinned = 1;
CREATE INDEX jobs_by_end ON jobs (end_time);
CREATE INDEX jobs_by_run ON jobs (run_id);
CREATE INDEX jobs_by_project ON jobs (project);

CREATE TABLE runs (
    run_id       TEXT PRIMARY KEY,
    cluster      TEXT NOT NULL,
    label        TEXT NOT NULL,
    project      TEXT,
    campaign     TEXT,
    root_job_id  TEXT,
    starred      INTEGER NOT NULL DEFAULT 0,
    notes        TEXT,
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL
) STRICT;

CREATE TABLE cluster_sync (
    cluster            TEXT PRIMARY KEY,
    last_clock         REAL,      -- the cluster's own clock at the last good refresh: next sacct window start
    utc_offset         INTEGER,
    last_success_at    REAL,
    last_error         TEXT,
    last_error_at      REAL
) STRICT;
