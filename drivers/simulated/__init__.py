"""Simulated twins of each device kind: the embedded default, and the daemon on any machine."""
