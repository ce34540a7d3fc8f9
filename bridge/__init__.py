"""The tillbridge daemon: config, store, services, API, sync and CLI."""

__version__ = "0.1.0"
