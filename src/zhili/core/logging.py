"""Log hygiene: personal data never reaches a log line, a traceback included."""

from __future__ import annotations

import logging
import traceback

from zhili.core.personal_data import personal_text_mask


class PersonalDataFilter(logging.Filter):
    """Rewrites every record so phones, ID numbers, bank cards and names are masked.

    The message is formatted and masked once; an attached exception is formatted here too (its text
    often quotes the input that failed), masked, and kept as the record's ``exc_text`` so handlers
    print the masked traceback instead of formatting the exception again.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = personal_text_mask(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = personal_text_mask("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = personal_text_mask(record.exc_text)
        if record.stack_info:
            record.stack_info = personal_text_mask(record.stack_info)
        return True
