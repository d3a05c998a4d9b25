"""Open311 GeoReport v2 under /open311/v2/: every resource takes the format as its extension."""

from django.urls import re_path

from tsur.intake import open311, open311_schema

app_name = "open311"

urlpatterns = [
    re_path(r"^openapi\.json$", open311_schema.openapi, name="openapi"),  # part abuse: the schema of the endpoints below
    re_path(r"^services\.(?P<fmt>\w+)$", open311.services, name="services"),
    re_path(r"^services/(?P<service_code>[^/]+)\.(?P<fmt>\w+)$", open311.service_definition, name="service"),
    re_path(r"^requests\.(?P<fmt>\w+)$", open311.requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]+)\.(?P<fmt>\w+)$", open311.request_detail, name="request"),
    re_path(r"^.*$", open311.not_found, name="not-found"),
]
