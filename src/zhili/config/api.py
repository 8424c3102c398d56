"""The one API object: typed JSON API with an OpenAPI 3 schema at /api/v1/openapi.json."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from zhili.cases.api import router as cases_router
from zhili.core.errors import ApplicationError
from zhili.enterprises.api import router as enterprises_router
from zhili.geo.api import router as geo_router
from zhili.indicators.api import router as indicators_router
from zhili.textintel.api import router as textintel_router

api = NinjaAPI(title="zhili API", version="1", urls_namespace="api", docs_url="/docs")
api.add_router("/geo", geo_router)
api.add_router("/cases", cases_router)
api.add_router("/textintel", textintel_router)
api.add_router("/indicators", indicators_router)
api.add_router("/enterprises", enterprises_router)


@api.exception_handler(ApplicationError)
def application_error_handler(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    return api.create_response(request, error.envelope(), status=error.status_code)
