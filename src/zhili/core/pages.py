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

from zhili.core.errors import ApplicationError


def page_refusal(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    """The refusal page for ``error``, with its status (403, 400, 404, 409, 413…)."""
    return render(request, "core/refused.html", {"error": error}, status=error.status_code)


def page_guard[PageView: Callable[..., HttpResponseBase]](view: PageView) -> PageView:
    """Render the view's :class:`ApplicationError` as :func:`page_refusal` instead of a server error."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            return page_refusal(request, error)

    return cast(PageView, guarded)
