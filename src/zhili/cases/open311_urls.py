"""Open311 GeoReport v2 endpoints, mounted at /open311/v2/."""

from django.urls import re_path

from zhili.cases import open311

app_name = "open311"

urlpatterns = [
    re_path(r"^services\.(?P<fmt>[a-z]+)$", open311.services_list, name="services"),
    re_path(r"^services/(?P<service_code>[^/]+)\.(?P<fmt>[a-z]+)$", open311.service_definition, name="service"),
    re_path(r"^requests\.(?P<fmt>[a-z]+)$", open311.requests_collection, name="requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]+)\.(?P<fmt>[a-z]+)$", open311.request_single, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+)\.(?P<fmt>[a-z]+)$", open311.token_lookup, name="token"),
]
