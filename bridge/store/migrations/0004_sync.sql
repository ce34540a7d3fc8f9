-- Cloud sync: the till's own sync state (cursor, applied signed config, alert) and the events the
-- cloud reported as quarantined (stored there, effects not applied: a person must look).
CREATE TABLE sync_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) STRICT;

CREATE TABLE sync_quarantine (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL,
    type         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    reported_at  TEXT NOT NULL
) STRICT;
