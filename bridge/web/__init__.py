"""The technician page and its static files."""
