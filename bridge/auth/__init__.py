"""Who may call the API: roles, hashed bearer tokens, pairing codes."""
