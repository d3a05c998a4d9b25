"""Open311 GeoReport v2 under /open311/v2/: every resource takes the format as its extension."""

from django.urls import re_path

from tsur.intake import open311

app_name = "open311"

urlpatterns = [
    re_path(r"^services\.(?P<fmt>\w+)$", open311.services, name="services"),
    re_path(r"^services/(?P<service_code>[^/]+)\.(?P<fmt>\w+)$", open311.service_definition, name="service"),
    re_path(r"^requests\.(?P<fmt>\w+)$", open311.requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]+)\.(?P<fmt>\w+)$", open311.request_detail, name="request"),
    re_path(r"^.*$", open311.not_found, name="not-found"),
]
