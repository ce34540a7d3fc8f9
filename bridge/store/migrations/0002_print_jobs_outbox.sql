-- The print queue, and the upstream outbox: one ordered stream of events per database instance.
CREATE TABLE print_jobs (
    id               TEXT PRIMARY KEY,
    printer          TEXT NOT NULL,
    idempotency_key  TEXT,
    request_hash     BLOB NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('receipt', 'raw', 'test')),
    payload          BLOB NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'printing', 'waiting', 'done', 'failed', 'cancelled')),
    reason           TEXT,
    message          TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    token_id         TEXT,
    reprint_of       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX print_jobs_idempotency ON print_jobs (printer, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX print_jobs_open ON print_jobs (printer, state, created_at);

-- seq is contiguous: AUTOINCREMENT never reuses a number, and a rolled-back insert gives its number back.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    type         TEXT NOT NULL,
    occurred_at  TEXT NOT NULL,
    payload      TEXT NOT NULL,
    acked_at     TEXT
) STRICT;
CREATE INDEX outbox_pending ON outbox (seq) WHERE acked_at IS NULL;
