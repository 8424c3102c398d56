"""The one application error type and its envelope.

Services raise :class:`ApplicationError` with a stable ``code`` and a message a person can act on
(in the active language); views and API routes turn it into a page message or the JSON envelope
``{"error": {"code": ..., "message": ..., "details": ...}}``.

An error message quotes what was wrong, and what was wrong may be someone's phone number: messages
and details are masked here, once, for every page and API that shows them.
"""

from __future__ import annotations

from typing import Any

from zhili.core.personal_data import personal_data_mask, personal_text_mask


class ApplicationError(Exception):
    """A refusal a person can understand: what is wrong and what to do next."""

    status_code = 400

    def __init__(self, code: str, message: str, *, details: dict[str, Any] | None = None,
                 status_code: int | None = None) -> None:
        masked = personal_text_mask(str(message))
        super().__init__(masked)
        self.code = code
        self.message = masked
        self.details = personal_data_mask(details) if details else {}
        if status_code is not None:
            self.status_code = status_code

    def envelope(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class NotFoundError(ApplicationError):
    status_code = 404


class PermissionDeniedError(ApplicationError):
    status_code = 403
