"""Why a document was refused: a stable code, the field at fault, and text for the cashier."""

from __future__ import annotations

from typing import Any


class DocumentRejected(Exception):
    def __init__(
        self, status: int, code: str, field: str | None, message: str, **details: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.field = field
        self.message = f"{field}: {message}" if field else message
        self.details = {"field": field, **details} if field else details


def invalid(code: str, field: str | None, message: str, **details: Any) -> DocumentRejected:
    return DocumentRejected(422, code, field, message, **details)


def conflict(code: str, field: str | None, message: str, **details: Any) -> DocumentRejected:
    return DocumentRejected(409, code, field, message, **details)
