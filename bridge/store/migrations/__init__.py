"""Numbered schema migrations, ``NNNN_name.sql``, applied in order and recorded in user_version."""
