"""Security headers (CSP without unsafe-inline for scripts), the Chinese-first language choice, and the page
that answers an :class:`~zhili.core.errors.ApplicationError` a page view let escape."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from zhili.core.errors import ApplicationError

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # ECharts writes inline style attributes on the elements it draws.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self)")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class ChineseFirstLocaleMiddleware:
    """Chinese unless the person chose another language (language switch cookie or their profile).

    Django's LocaleMiddleware would follow the browser's Accept-Language header; a district's
    platform speaks Chinese to everyone by default, whatever browser the workstation runs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        user = getattr(request, "user", None)
        if not chosen and user is not None and user.is_authenticated:
            chosen = getattr(user, "preferred_language", "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


class ApplicationErrorPageMiddleware:
    """A page view that lets an :class:`ApplicationError` escape (a bad parameter, a refusal) answers with
    the error's status and its message on a page — never a 500. An htmx request gets the message alone,
    to swap into the part of the page that asked. The JSON API and Open311 answer their own errors."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ApplicationError):
            return None
        template = "core/error.html#message" if request.headers.get("HX-Request") else "core/error.html"
        return render(request, template, {"error": exception, "back_url": _back_url(request)},
                      status=exception.status_code)


def _back_url(request: HttpRequest) -> str:
    """Where the person came from: the form page for a POST (when it is ours), the page itself without its
    query for a GET."""
    referer = request.headers.get("Referer", "")
    if request.method != "GET" and referer and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return referer
    return request.path if request.method == "GET" else ""
