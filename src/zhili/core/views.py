"""Home page (each role's entry points) and the liveness probe."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return render(request, "core/home.html")


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. It touches nothing else, so an outage of the database does not
    make a supervisor restart healthy processes; ``/readyz`` says whether the server can serve."""
    return JsonResponse({"status": "ok"})
