"""The one page guard: how every page shows a refusal or a request it cannot answer.

A view decorated with :func:`page_guard` (or one that returns :func:`page_refusal` itself) answers an
:class:`~zhili.core.errors.ApplicationError` — a permission refusal, a bad parameter, something
missing — with the same page everywhere: the error's own message (what is wrong and what to do, in
the reader's language) under the platform's frame, with the error's HTTP status. The JSON API and
Open311 have their own envelope (``zhili.config.api``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from zhili.core.errors import ApplicationError
from zhili.core.rate_limits import RateLimitedError, retry_after_set


def page_refusal(request: HttpRequest, error: ApplicationError, *, back: bool = True) -> HttpResponse:
    """The refusal page for ``error``, with its status (403, 400, 404, 409, 413, 429…); an htmx request
    gets the message alone, to swap into the part of the page that asked; a rate limit says when to
    come back (``Retry-After``)."""
    template = "core/error.html#message" if request.headers.get("HX-Request") else "core/error.html"
    response = render(request, template, {"error": error, "back_url": _back_url(request) if back else ""},
                      status=error.status_code)
    if isinstance(error, RateLimitedError):
        retry_after_set(response, error)
    return response


def _back_url(request: HttpRequest) -> str:
    """Where the person came from: the form page for a POST (when it is ours), the page itself without its
    query for a GET."""
    referer = request.headers.get("Referer", "")
    if request.method != "GET" and referer and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return referer
    return request.path if request.method == "GET" else ""


def page_guard[PageView: Callable[..., HttpResponseBase]](view: PageView) -> PageView:
    """Render the view's :class:`ApplicationError` as :func:`page_refusal` instead of a server error."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            return page_refusal(request, error)

    return cast(PageView, guarded)

