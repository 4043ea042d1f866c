"""What may reach a log line: no request details, and one line per database failure."""

from __future__ import annotations

import logging
import re

from ops.errors import database_unavailable, first_line

_QUERY = re.compile(r"\?\S*")


class PrivateRecords(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # django.request attaches the request (headers, GET and POST) for handlers that render
        # it, such as the e-mail report: none of ours may.
        record.__dict__.pop("request", None)
        if record.name == "django.server" and record.args:
            # The development server logs the request line, query string included.
            record.args = tuple(
                _QUERY.sub("", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and database_unavailable(error):
            record.msg = f"{record.getMessage()} (database unavailable: {first_line(error)})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True
