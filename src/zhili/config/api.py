"""The one API object: typed JSON API with an OpenAPI 3 schema at /api/v1/openapi.json.

Every refusal uses the one error envelope: an :class:`ApplicationError` with its own status, and a request
the schema refuses with 400 (``invalid_parameter``, worded by ``core.parameters``)."""

from __future__ import annotations

import threading

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import Throttled, ValidationError
from ninja.throttling import BaseThrottle

from zhili.cases.api import router as cases_router
from zhili.core.client_address import client_address
from zhili.core.errors import ApplicationError
from zhili.core.parameters import validation_errors_message
from zhili.core.rate_limits import RateLimitedError, rate_limit_hit, rate_limited_message
from zhili.enterprises.api import router as enterprises_router
from zhili.geo.api import router as geo_router
from zhili.indicators.api import router as indicators_router


class UserRateThrottle(BaseThrottle):
    """``ZHILI_RATE_LIMITS["api_user"]`` per user, after authentication (an API key counts as its user)."""

    def __init__(self) -> None:
        self._refused = threading.local()  # the throttle object is shared by the threads of a process

    def allow_request(self, request: HttpRequest) -> bool:
        auth = getattr(request, "auth", None)
        user_id = getattr(auth, "user_id", None) or getattr(auth, "pk", None)
        identity = f"user:{user_id}" if user_id else f"address:{client_address(request)}"
        try:
            rate_limit_hit(scope="api_user", identity=identity)
        except RateLimitedError as error:
            self._refused.retry_after = error.retry_after
            return False
        return True

    def wait(self) -> float | None:
        return float(getattr(self._refused, "retry_after", 1))


api = NinjaAPI(title="zhili API", version="1", urls_namespace="api", docs_url="/docs", throttle=[UserRateThrottle()])
api.add_router("/geo", geo_router)
api.add_router("/cases", cases_router)
api.add_router("/indicators", indicators_router)
api.add_router("/enterprises", enterprises_router)


@api.exception_handler(ApplicationError)
def application_error_handler(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    return api.create_response(request, error.envelope(), status=error.status_code)


@api.exception_handler(Throttled)
def throttled_handler(request: HttpRequest, error: Throttled) -> HttpResponse:
    """429 in the API's error envelope; ninja adds ``Retry-After`` from the throttle's wait."""
    retry_after = max(1, int(error.wait or 1))
    envelope = {"error": {"code": "rate_limited", "message": rate_limited_message(retry_after),
                          "details": {"scope": "api_user", "retry_after": retry_after}}}
    return api.create_response(request, envelope, status=429)


@api.exception_handler(ValidationError)
def validation_error_handler(request: HttpRequest, error: ValidationError) -> HttpResponse:
    """A request the schema refuses (a bad parameter or body): 400 in the platform's error envelope, the
    message in the request's language, instead of django-ninja's 422 with pydantic's English."""
    message, details = validation_errors_message(error.errors)
    envelope = ApplicationError("invalid_parameter", message, details={"errors": details}).envelope()
    return api.create_response(request, envelope, status=400)
