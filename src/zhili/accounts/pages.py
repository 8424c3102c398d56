"""The guard of a staff page: signed in, the role grants the action, and every refusal or bad parameter
rendered as the platform's error page (``core.pages``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from zhili.accounts.permissions import Action, require
from zhili.core.pages import page_guard

View = Callable[..., HttpResponse]


def permission_page(action: Action) -> Callable[[View], View]:
    """Signed in (else the sign-in page) and the role grants ``action`` (else the 403 refusal page)."""

    def decorator(view: View) -> View:
        @login_required
        @page_guard
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require(request.user, action)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
