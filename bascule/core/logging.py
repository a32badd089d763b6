"""Log filters: a refusal is one line, not a traceback."""

from __future__ import annotations

import logging


class OneLineRefusals(logging.Filter):
    """Django logs every 403 (PermissionDenied) with its traceback; a refusal is expected, not a fault: keep the
    line (« Forbidden (Permission denied): /path ») and drop the traceback. Errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
