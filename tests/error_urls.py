"""URLs for testing the custom error pages: the real site plus views that fail on purpose."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def bad_request(request):
    raise SuspiciousOperation("tampered request")


def forbidden(request):
    raise PermissionDenied


def crash(request):
    raise RuntimeError("secret internal detail")


urlpatterns = [
    path("boom/400", bad_request),
    path("boom/403", forbidden),
    path("boom/500", crash),
    *site_urlpatterns,
]
