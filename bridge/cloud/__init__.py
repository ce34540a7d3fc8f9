"""The reference cloud: the cloud side of sync-protocol.md (`tillbridge cloud ...`).

The daemon's runtime never imports this package; it exists for backoffice teams to read and run,
and for the sync tests and benchmark to run against.
"""
