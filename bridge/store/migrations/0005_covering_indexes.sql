-- A sale's negative-stock check sums the SKU's movements past the cloud's figure
-- (bridge.stock.ledger PHYSICAL_MANY_SQL): with quantity_milli in the index the sum is read
-- from the index alone, never from the table rows. It replaces stock_movements_key, its prefix.
CREATE INDEX stock_movements_sum ON stock_movements (sku, warehouse, seq, quantity_milli);
DROP INDEX stock_movements_key;

-- A repeated document looks up the drawer open its first request attempted
-- (bridge.documents.repeats); the expression and the WHERE must match that query's.
CREATE INDEX audit_log_drawer_document ON audit_log (json_extract(details, '$.document_id'))
    WHERE action = 'drawer.open';
