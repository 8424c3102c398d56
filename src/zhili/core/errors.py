"""The one application error type and its envelope.

Services raise :class:`ApplicationError` with a stable ``code`` and a message a person can act on
(in the active language); views and API routes turn it into a page message or the JSON envelope
``{"error": {"code": ..., "message": ..., "details": ...}}``.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A refusal a person can understand: what is wrong and what to do next."""

    status_code = 400

    def __init__(self, code: str, message: str, *, details: dict[str, Any] | None = None,
                 status_code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.details = details or {}
        if status_code is not None:
            self.status_code = status_code

    def envelope(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class NotFoundError(ApplicationError):
    status_code = 404


class PermissionDeniedError(ApplicationError):
    status_code = 403
