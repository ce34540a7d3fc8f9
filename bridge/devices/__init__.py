"""Devices from config become driver objects, supervised and re-opened with backoff."""
