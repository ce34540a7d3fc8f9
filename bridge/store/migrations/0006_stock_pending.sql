-- Each (sku, warehouse)'s movements that the cloud's figure does not include yet, summed as they
-- are written (sync-protocol.md's stock rule: local = cloud figure + these). A sale's stock check,
-- the stock view and an import then read one row per SKU instead of summing every movement since
-- the last sync, which grows without end on a till that stays offline.
-- Kept by the triggers below. Movements are only ever inserted; stock_levels.included_seq (the
-- cloud's includes[this instance]) is the only boundary, so a change to it recomputes its row.
CREATE TABLE stock_pending (
    sku             TEXT NOT NULL,
    warehouse       TEXT NOT NULL,
    quantity_milli  INTEGER NOT NULL,
    PRIMARY KEY (sku, warehouse)
) STRICT, WITHOUT ROWID;

INSERT INTO stock_pending (sku, warehouse, quantity_milli)
SELECT m.sku, m.warehouse, SUM(m.quantity_milli)
FROM stock_movements m
LEFT JOIN stock_levels l ON l.sku = m.sku AND l.warehouse = m.warehouse
WHERE m.seq > COALESCE(l.included_seq, 0)
GROUP BY m.sku, m.warehouse;

CREATE TRIGGER stock_pending_on_movement AFTER INSERT ON stock_movements
WHEN NEW.seq > COALESCE(
    (SELECT included_seq FROM stock_levels WHERE sku = NEW.sku AND warehouse = NEW.warehouse), 0)
BEGIN
    INSERT INTO stock_pending (sku, warehouse, quantity_milli)
    VALUES (NEW.sku, NEW.warehouse, NEW.quantity_milli)
    ON CONFLICT (sku, warehouse) DO UPDATE SET quantity_milli = quantity_milli + excluded.quantity_milli;
END;

CREATE TRIGGER stock_pending_on_cloud_figure AFTER INSERT ON stock_levels
BEGIN
    INSERT INTO stock_pending (sku, warehouse, quantity_milli)
    SELECT NEW.sku, NEW.warehouse, COALESCE(SUM(quantity_milli), 0) FROM stock_movements
    WHERE sku = NEW.sku AND warehouse = NEW.warehouse AND seq > NEW.included_seq
    ON CONFLICT (sku, warehouse) DO UPDATE SET quantity_milli = excluded.quantity_milli;
END;

CREATE TRIGGER stock_pending_on_cloud_includes AFTER UPDATE OF included_seq ON stock_levels
BEGIN
    INSERT INTO stock_pending (sku, warehouse, quantity_milli)
    SELECT NEW.sku, NEW.warehouse, COALESCE(SUM(quantity_milli), 0) FROM stock_movements
    WHERE sku = NEW.sku AND warehouse = NEW.warehouse AND seq > NEW.included_seq
    ON CONFLICT (sku, warehouse) DO UPDATE SET quantity_milli = excluded.quantity_milli;
END;

CREATE TRIGGER stock_pending_on_cloud_gone AFTER DELETE ON stock_levels
BEGIN
    INSERT INTO stock_pending (sku, warehouse, quantity_milli)
    SELECT OLD.sku, OLD.warehouse, COALESCE(SUM(quantity_milli), 0) FROM stock_movements
    WHERE sku = OLD.sku AND warehouse = OLD.warehouse
    ON CONFLICT (sku, warehouse) DO UPDATE SET quantity_milli = excluded.quantity_milli;
END;
