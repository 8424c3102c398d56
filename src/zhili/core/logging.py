"""Log hygiene: personal data never reaches a log line."""

from __future__ import annotations

import logging
import re

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_personal_text(text: str) -> str:
    """Mask mainland mobile numbers (138****1234) and resident ID numbers inside free text."""
    text = _ID_NUMBER.sub(r"\1********\2", text)
    return _MOBILE.sub(r"\1****\2", text)


class PersonalDataFilter(logging.Filter):
    """Rewrites every record's message so phone and ID numbers are masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True
