"""Form data the app cannot decode is a 400 naming the problem, before anything reads it."""

from __future__ import annotations

import codecs
from urllib.parse import parse_qsl

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ops.errors import is_api

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
NOT_UTF8 = "Form data must be sent in UTF-8 (the form's own encoding), not {charset}."
UNDECODABLE = "The form data is not valid UTF-8."
TOO_LARGE = "The form data is larger than the server accepts."


class FormEncodingMiddleware:
    """Refuse form posts in another charset, or whose fields are not valid UTF-8.

    Django requires urlencoded forms in UTF-8, but raises from inside `request.POST`, where the
    CSRF check reads it, and its 400 handler then reads it again: the exception escapes and the
    server answers a bare 500. Bytes that are not UTF-8 are silently replaced instead. Both are
    refused here with a 400. Multipart bodies (file uploads) are not read here; only their
    declared charset is checked.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The API takes JSON only and refuses a form body itself (415).
        if request.method == "POST" and request.content_type in FORM_TYPES and not is_api(request):
            problem = self._problem(request)
            if problem:
                return _bad_request(request, problem)
        return self.get_response(request)

    def _problem(self, request: HttpRequest) -> str:
        charset = request.content_params.get("charset")
        if charset is not None and _codec(charset) != "utf-8":
            return NOT_UTF8.format(charset=repr(charset)[:40])
        if request.content_type != "application/x-www-form-urlencoded":
            return ""
        try:
            body = request.body
        except RequestDataTooBig:
            # Refused here too: Django's own 400 for it would fail the same way as above.
            return TOO_LARGE
        try:
            parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            return UNDECODABLE
        return ""


def _codec(charset: str) -> str:
    try:
        return codecs.lookup(charset.strip()).name
    except LookupError:
        return ""


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "400.html", {"message": message}, status=400)
