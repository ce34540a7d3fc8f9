-- stock_pending (0006) is now kept by bridge.stock.ledger.add_movements_blocking, one statement
-- per batch of movements: the trigger's per-row cost (about 17 us a movement) took 3.5 s of a
-- 100,000-row import. The triggers on stock_levels stay: cloud figures change rarely.
DROP TRIGGER stock_pending_on_movement;
