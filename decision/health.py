"""Liveness and readiness probes for load balancers and the benchmark baseline."""

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def livez(request: HttpRequest) -> JsonResponse:
    # Touches nothing: the benchmark's baseline for "same server, same middleware, no work".
    return JsonResponse({"status": "ok"})


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    if not _database_answers():
        return JsonResponse(
            {"status": "failing", "database": "unreachable", "knowledge_base": "unknown"},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "ok", "knowledge_base": "none"})
