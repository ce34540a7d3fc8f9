"""The in-process event bus behind the events WebSocket."""
