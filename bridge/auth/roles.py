"""Roles and what each may do."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    CASHIER = "cashier"
    TECHNICIAN = "technician"

    def allows(self, needed: Role) -> bool:
        """A technician may do everything a cashier may."""
        return self is Role.TECHNICIAN or needed is Role.CASHIER
