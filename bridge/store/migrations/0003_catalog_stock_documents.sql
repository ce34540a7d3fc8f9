-- The offline store: catalog, stock (cloud figures plus this till's movements), documents, shifts.
-- Quantities in movements are integers in thousandths (exact SQL sums); every other decimal is TEXT.
CREATE TABLE products (
    sku          TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    price        TEXT NOT NULL,
    currency     TEXT NOT NULL,
    unit         TEXT NOT NULL,
    tax_rate     TEXT,
    group_key    TEXT,
    attributes   TEXT NOT NULL DEFAULT '{}',
    search_text  TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX products_group ON products (group_key) WHERE group_key IS NOT NULL;

CREATE TABLE barcodes (
    code  TEXT PRIMARY KEY,
    sku   TEXT NOT NULL REFERENCES products (sku) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX barcodes_sku ON barcodes (sku);

-- search_text is folded in Python (case, diacritics, one token per CJK character).
CREATE VIRTUAL TABLE product_search USING fts5 (
    search_text, content = 'products', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER products_search_ai AFTER INSERT ON products BEGIN
    INSERT INTO product_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER products_search_ad AFTER DELETE ON products BEGIN
    INSERT INTO product_search (product_search, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
END;
CREATE TRIGGER products_search_au AFTER UPDATE OF search_text ON products BEGIN
    INSERT INTO product_search (product_search, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO product_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;

-- The cloud's last figures per (sku, warehouse), or a local baseline; included_seq is
-- includes[this instance], cached so the stock query needs no JSON.
CREATE TABLE stock_levels (
    sku           TEXT NOT NULL,
    warehouse     TEXT NOT NULL,
    physical      TEXT NOT NULL,
    reserved      TEXT NOT NULL,
    includes      TEXT NOT NULL DEFAULT '{}',
    included_seq  INTEGER NOT NULL DEFAULT 0,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (sku, warehouse)
) STRICT, WITHOUT ROWID;

-- This till's stock movements, each tied to the outbox seq of the document that made it.
CREATE TABLE stock_movements (
    id              INTEGER PRIMARY KEY,
    seq             INTEGER NOT NULL,
    document_id     TEXT NOT NULL,
    sku             TEXT NOT NULL,
    warehouse       TEXT NOT NULL,
    quantity_milli  INTEGER NOT NULL
) STRICT;
CREATE INDEX stock_movements_key ON stock_movements (sku, warehouse, seq);
CREATE INDEX stock_movements_document ON stock_movements (document_id);

-- Versions of pulled changes per (kind, key): an older or equal version is skipped.
CREATE TABLE sync_versions (
    kind     TEXT NOT NULL,
    key      TEXT NOT NULL,
    version  INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    type          TEXT NOT NULL,
    seq           INTEGER NOT NULL UNIQUE,
    occurred_at   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    shift_id      TEXT,
    sale_id       TEXT,
    request_hash  TEXT NOT NULL,
    body          TEXT NOT NULL
) STRICT;
CREATE INDEX documents_shift ON documents (shift_id) WHERE shift_id IS NOT NULL;
CREATE INDEX documents_sale ON documents (sale_id) WHERE sale_id IS NOT NULL;

CREATE TABLE shifts (
    id             TEXT PRIMARY KEY,
    currency       TEXT NOT NULL,
    opening_float  TEXT NOT NULL,
    opened_at      TEXT NOT NULL,
    closed_at  TEXT,
    closed_by  TEXT
) STRICT;
CREATE UNIQUE INDEX shifts_one_open ON shifts ((closed_at IS NULL)) WHERE closed_at IS NULL;

-- What an inventory count or an import found, against what the system held at that moment.
CREATE TABLE stock_counts (
    id           INTEGER PRIMARY KEY,
    document_id  TEXT NOT NULL,
    sku          TEXT NOT NULL,
    warehouse    TEXT NOT NULL,
    counted      TEXT NOT NULL,
    expected     TEXT NOT NULL,
    counted_at   TEXT NOT NULL
) STRICT;
CREATE INDEX stock_counts_key ON stock_counts (sku, warehouse, id);
