"""zhili's Open311 GeoReport v2 endpoints as an OpenAPI 3 document, for schemathesis.

The community swagger (``shared/data/open311/georeport_v2-1.swagger.yaml``) names ``/request/{id}`` for the
single request, puts POST fields in the query string and knows none of zhili's extensions, so a run against
it never reaches the form parser. This document describes what zhili serves (cases/open311.py): the five
routes in both formats, ``page``/``page_size``/``extensions``, the form-encoded POST with its ``attribute[…]``
values (single and list-valued) and location fields.
"""

from __future__ import annotations

from typing import Any

_FORMAT = {"name": "format", "in": "path", "required": True, "schema": {"type": "string", "enum": ["json", "xml"]}}
_ERRORS = {"description": "Open311 errors"}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def open311_openapi(service_codes: list[str]) -> dict[str, Any]:
    """The document, with the world's service codes as the known values of ``service_code``."""
    service_code = {"type": "string", "enum": service_codes} if service_codes else {"type": "string"}
    request_fields: dict[str, Any] = {
        "api_key": {"type": "string"},
        "service_code": service_code,
        # inside the world's district (a point elsewhere is refused before the attributes are read)
        "lat": {"type": "number", "minimum": 31.70, "maximum": 31.75},
        "long": {"type": "number", "minimum": 119.90, "maximum": 120.0},
        "address_string": {"type": "string"},
        "description": {"type": "string"}, "first_name": {"type": "string"}, "last_name": {"type": "string"},
        "phone": {"type": "string"}, "email": {"type": "string"}, "device_id": {"type": "string"},
        "media_url": {"type": "string"},
        "attribute[hazard]": {"type": "string", "enum": ["yes", "no", "maybe"]},
        "attribute[hazard][]": {"type": "array", "items": {"type": "string"}},
        "attribute[detail_location]": {"type": "string"},
        "attribute[detail_location][]": {"type": "array", "items": {"type": "string"}},
        "attribute[other]": {"type": "string"},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "zhili Open311 GeoReport v2", "version": "2"},
        "paths": {
            "/services.{format}": {"get": {"parameters": [_FORMAT], "responses": {"200": {"description": "services"},
                                                                                   "400": _ERRORS}}},
            "/services/{service_code}.{format}": {"get": {
                "parameters": [{"name": "service_code", "in": "path", "required": True, "schema": service_code},
                               _FORMAT],
                "responses": {"200": {"description": "definition"}, "404": _ERRORS}}},
            "/requests.{format}": {
                "get": {"parameters": [
                    _FORMAT,
                    _query("service_request_id", {"type": "string"}),
                    _query("service_code", {"type": "string"}),
                    _query("start_date", {"type": "string", "format": "date-time"}),
                    _query("end_date", {"type": "string", "format": "date-time"}),
                    _query("status", {"type": "string", "enum": ["open", "closed", "open,closed", "pending"]}),
                    _query("page", {"type": "integer"}),
                    _query("page_size", {"type": "integer"}),
                    _query("extensions", {"type": "string", "enum": ["true", "false"]}),
                ], "responses": {"200": {"description": "requests"}, "400": _ERRORS}},
                "post": {
                    "parameters": [_FORMAT],
                    "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
                        "schema": {"type": "object", "properties": request_fields,
                                   "required": ["service_code", "lat", "long"]}}}},
                    "responses": {"201": {"description": "created"}, "400": _ERRORS, "403": _ERRORS,
                                  "404": _ERRORS}},
            },
            "/requests/{service_request_id}.{format}": {"get": {
                "parameters": [{"name": "service_request_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}, _FORMAT,
                               _query("extensions", {"type": "string", "enum": ["true", "false"]})],
                "responses": {"200": {"description": "request"}, "404": _ERRORS}}},
            "/tokens/{token}.{format}": {"get": {
                "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}},
                               _FORMAT],
                "responses": {"200": {"description": "token"}, "404": _ERRORS}}},
        },
    }
