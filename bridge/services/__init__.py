"""Services between the API and the drivers: scans, print queue, drawers, catalog."""
