-- Browser sessions: a random id in an HttpOnly cookie, stored here only as its SHA-256, so a
-- copy of the database (a backup) cannot be replayed as a cookie. Logout deletes the row.
CREATE TABLE web_sessions (
    id_hash    TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
) STRICT;
