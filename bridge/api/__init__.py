"""The localhost HTTP/WebSocket API (local-api.md)."""
