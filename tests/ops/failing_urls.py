"""The site's URLs and error handlers, plus views that lose the database or fail otherwise."""

from django.db import OperationalError
from django.urls import path

from config.urls import handler500
from config.urls import urlpatterns as site_urlpatterns

__all__ = ["handler500", "urlpatterns"]


def lost_database(request):
    raise OperationalError("server closed the connection unexpectedly\n\tThis probably means…")


def crash(request):
    raise RuntimeError("secret internal detail")


urlpatterns = [
    path("lost/page", lost_database),
    path("api/v1/lost", lost_database),
    path("api/v1/crash", crash),
    *site_urlpatterns,
]
