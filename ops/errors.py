"""Answers for a database that is down or not answering: 503, quickly, in the caller's format.

Django answers an exception it did not expect with the `handler500` view; this one answers a lost
or timed-out database with a 503 (JSON in the API's error envelope under /api/, a plain page
elsewhere) and anything else as Django would. It renders without the database, and the logging
filter (ops/logging.py) turns the failure's traceback into one line.
"""

from __future__ import annotations

import json
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults

# How long a client is asked to wait before trying again.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = "The database is not answering; nothing was stored. Try again shortly."


def database_unavailable(error: BaseException) -> bool:
    # OperationalError: refused, lost, timed out or cancelled. InterfaceError: used after loss.
    return isinstance(error, OperationalError | InterfaceError)


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def json_errors(status: int, errors: dict[str, list[str]]) -> HttpResponse:
    return HttpResponse(
        json.dumps({"errors": errors}), status=status, content_type="application/json"
    )


def unavailable(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        response = json_errors(503, {"database": [UNAVAILABLE_MESSAGE]})
    else:
        # Rendered without the request: no context processor (sessions, users) may query.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception, so it is the one in sys.exc_info().
    error = sys.exc_info()[1]
    if error is not None and database_unavailable(error):
        return unavailable(request)
    if is_api(request):
        return json_errors(500, {"server": ["The server failed to answer; nothing was stored."]})
    return defaults.server_error(request)
