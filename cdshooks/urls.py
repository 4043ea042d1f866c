from django.urls import path, re_path

from cdshooks import views

app_name = "cdshooks"

# The specification spells the paths without a trailing slash; one is accepted too.
urlpatterns = [
    re_path(r"^cds-services/?$", views.discovery, name="discovery"),
    re_path(r"^cds-services/(?P<service_id>[^/]+)/?$", views.service, name="service"),
    re_path(r"^cds-services/(?P<service_id>[^/]+)/feedback/?$", views.feedback, name="feedback"),
    # Anything else under /cds-services is an unknown service, answered as one.
    re_path(r"^cds-services/(?P<service_id>.+)$", views.service, name="unknown"),
    path("cds-hooks/about/", views.about, name="about"),
]
