from django.contrib import admin
from django.urls import include, path

from decision import health
from decision.api import api

urlpatterns = [
    path("livez", health.livez, name="livez"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("cdshooks.urls")),
    path("", include("decision.urls")),
]

# A lost or timed-out database is a 503, in the API's JSON envelope under /api/ (ops/errors.py).
handler500 = "ops.errors.server_error"
