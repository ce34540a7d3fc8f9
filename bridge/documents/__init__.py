"""Sales and cash documents: validated, recorded with their stock movements and sync event."""
