"""Till side of the cloud sync protocol (sync-protocol.md)."""
