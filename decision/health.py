"""Liveness and readiness probes for load balancers, and the benchmark's baseline."""

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from decision.models import Activation


@require_GET
def livez(request: HttpRequest) -> JsonResponse:
    # Touches nothing: the benchmark's baseline for "same server, same middleware, no work".
    return JsonResponse({"status": "ok"})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and a release is active; 503 naming what fails."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        # The version only: the release's payload is large and not needed here.
        version = (
            Activation.objects.order_by("-id").values_list("release__version", flat=True).first()
        )
    except DatabaseError:
        body = {"status": "failing", "database": "unreachable", "knowledge_base": "unknown"}
        return JsonResponse(body, status=503)
    if version is None:
        body = {"status": "failing", "database": "ok", "knowledge_base": "none"}
        return JsonResponse(body, status=503)
    body = {"status": "ok", "database": "ok", "knowledge_base": version}
    return JsonResponse(body)
