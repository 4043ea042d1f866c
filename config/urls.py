from django.contrib import admin
from django.urls import include, path

from decision import health

urlpatterns = [
    path("livez", health.livez, name="livez"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("decision.urls")),
]
