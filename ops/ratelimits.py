"""Rate limits on what writes or renders heavily, counted per client address.

The counting is django-ratelimit's (`get_usage`, a fixed window per address in the default
cache); this middleware only decides which views are limited, from their URL names, so the
views themselves stay as they are. Past the limit the answer is 429 with Retry-After: JSON in
the API's error envelope under /api/, a plain page elsewhere.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

from ops.errors import is_api, json_errors

# (URL name, method) -> the key of settings.RATE_LIMITS that limits it.
LIMITED_VIEWS = {
    ("api:assessments", "POST"): "api",
    ("decision:save", "POST"): "save",
    ("decision:assessment_pdf", "GET"): "pdf",
    ("admin:login", "POST"): "admin_login",
    ("cdshooks:service", "POST"): "cds",
    ("cdshooks:feedback", "POST"): "cds",
}
WHAT = {
    "api": "assessments created through the API",
    "save": "saved assessments",
    "pdf": "PDF downloads",
    "admin_login": "sign-in attempts",
    "cds": "CDS Hooks calls",
}


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        name = LIMITED_VIEWS.get((match.view_name, request.method)) if match else None
        if name is None or not settings.RATELIMIT_ENABLE:
            return None
        exceeded = []
        for rate in settings.RATE_LIMITS[name]:
            usage = get_usage(request, group=f"nmdar:{name}", key="ip", rate=rate, increment=True)
            if usage is not None and usage["should_limit"]:
                exceeded.append((max(1, usage["time_left"]), rate))
        if not exceeded:
            return None
        retry_after, rate = max(exceeded)
        return too_many(request, name, rate, retry_after)


UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def describe(rate: str) -> str:
    """'30/m' -> '30 a minute', '2/h' -> '2 an hour', '100/5m' -> '100 every 5 minutes'."""
    count, period = rate.split("/")
    multiple, unit = period[:-1], UNITS[period[-1]]
    if multiple:
        return f"{count} every {multiple} {unit}s"
    return f"{count} {'an' if unit == 'hour' else 'a'} {unit}"


def too_many(request: HttpRequest, name: str, rate: str, retry_after: int) -> HttpResponse:
    message = (
        f"Too many {WHAT[name]} from this address (at most {describe(rate)}); "
        f"try again in {retry_after} s."
    )
    if is_api(request):
        response = json_errors(429, {"rate_limit": [message]})
    elif request.path.startswith("/cds-services"):
        # An EHR reads CDS Hooks errors as FHIR OperationOutcomes.
        issue = {"severity": "error", "code": "throttled", "details": {"text": message}}
        response = JsonResponse({"resourceType": "OperationOutcome", "issue": [issue]}, status=429)
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return response
