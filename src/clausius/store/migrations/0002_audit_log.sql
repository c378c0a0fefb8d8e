-- Who changed what: every configuration change and every destructive action
-- is recorded with the interface it came through (web, cli, mcp).
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    ts        REAL NOT NULL,
    interface TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    detail    TEXT
) STRICT;

CREATE INDEX audit_log_ts ON audit_log (ts);
