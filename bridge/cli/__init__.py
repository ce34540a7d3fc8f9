"""The `tillbridge` command."""
