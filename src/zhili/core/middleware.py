"""Security headers (CSP without unsafe-inline for scripts), the Chinese-first language choice, the page
that answers an :class:`~zhili.core.errors.ApplicationError` a page view let escape, and the refusal of a
request carrying a NUL character."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.translation import gettext as _

from zhili.core.errors import ApplicationError
from zhili.core.pages import page_refusal
from zhili.core.parameters import ParameterError

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
        return page_refusal(request, exception)


class NulCharacterRefusalMiddleware:
    """A request whose path, query or form fields (or JSON body) contain a NUL character is refused with a
    400 before any view sees it: nobody types one, and PostgreSQL cannot compare or store text holding it
    (the query would fail with a 500). The JSON API gets its error envelope, Open311 its error list, a
    page the error page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = _nul_parameter(request)
        if name is None:
            return self.get_response(request)
        error = ParameterError(name, _("参数 %(name)s 含有空字符（NUL），无法处理。请删除后重试。") % {"name": name})
        if request.path.startswith("/api/"):
            return JsonResponse(error.envelope(), status=400)
        if request.path.startswith("/open311/"):  # GeoReport v2's error format, JSON or XML as the path asks
            if request.path.endswith(".xml"):
                body = ('<?xml version="1.0" encoding="utf-8"?>\n<errors><error><code>400</code><description>'
                        f"{escape(error.message)}</description></error></errors>")
                return HttpResponse(body, status=400, content_type="text/xml; charset=utf-8")
            return JsonResponse([{"code": 400, "description": error.message}], status=400, safe=False,
                                json_dumps_params={"ensure_ascii": False})
        return page_refusal(request, error, back=False)


def _nul_parameter(request: HttpRequest) -> str | None:
    """The first place of the request holding a NUL: "path", a parameter's name, or "body"; None if none."""
    if "\x00" in request.path_info:
        return "path"
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return key.replace("\x00", "") or "?"
    content_type = request.content_type or ""
    if request.method == "POST" and content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, values in request.POST.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return key.replace("\x00", "") or "?"
    elif request.method in ("POST", "PUT", "PATCH") and content_type == "application/json":
        body = request.body
        if b"\x00" in body or b"\\u0000" in body:
            return "body"
    return None
