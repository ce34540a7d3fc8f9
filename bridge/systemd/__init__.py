"""Talking to systemd: readiness, watchdog and stopping notifications."""
