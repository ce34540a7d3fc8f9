-- The foundation: instance identity, API tokens, and the audit trail.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('cashier', 'technician')),
    token_hash  BLOB NOT NULL UNIQUE,
    source      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT
) STRICT;

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT,
    origin    TEXT,
    action    TEXT NOT NULL,
    target    TEXT,
    result    TEXT NOT NULL,
    details   TEXT
) STRICT;
