"""Cash drawers on their own port (a drawer kicked through its printer is wired by the bridge)."""
