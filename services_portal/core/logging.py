"""A safety net for the logs: whatever a log record says, an 18-character resident ID number in it is
masked before any handler writes it. The portal keeps numbers out of URLs and logs by design (they go
in POST bodies, which nothing logs); this catches what slips through, e.g. in an exception's message."""

from __future__ import annotations

import logging
import re

# 17 digits and a check character, of any script (a full-width number is the same number), not part
# of a longer run of digits.
RESIDENT_ID_IN_TEXT = re.compile(r"(?<!\d)(\d{4})\d{10}(\d{3}[\dXxＸｘ])(?!\d)")


def resident_ids_mask(text: str) -> str:
    """`text` with every ID-number-like sequence shown as 4501**********1234."""
    return RESIDENT_ID_IN_TEXT.sub(lambda match: f"{match[1]}{'*' * 10}{match[2]}", text)


class ResidentIdMask(logging.Filter):
    """Masks resident ID numbers in a record's message (with its arguments) and its traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = resident_ids_mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = resident_ids_mask(record.exc_text)
        return True
