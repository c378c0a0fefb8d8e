-- Host keys the user trusted explicitly for a cluster (in addition to known_hosts).
CREATE TABLE host_keys (
    cluster     TEXT NOT NULL REFERENCES clusters (name) ON DELETE CASCADE,
    host        TEXT NOT NULL,
    port        INTEGER NOT NULL,
    algorithm   TEXT NOT NULL,
    public_key  TEXT NOT NULL,   -- "<algorithm> <base64>"
    fingerprint TEXT NOT NULL,   -- SHA256:...
    trusted_at  REAL NOT NULL,
    PRIMARY KEY (cluster, host, port, algorithm)
) STRICT;
