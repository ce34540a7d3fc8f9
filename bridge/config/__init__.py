"""Config: typed models and the TOML loader."""
