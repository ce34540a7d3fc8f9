"""The durable local store: SQLite in WAL mode, one writer connection, numbered migrations."""

from bridge.store.database import Store, StoreError

__all__ = ["Store", "StoreError"]
