"""Sign-in and sign-out: one sign-in page for the site and the admin."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhili.accounts.forms import ZhiliAuthenticationForm
from zhili.accounts.services import login_lockout_window

login_page = auth_views.LoginView.as_view(
    template_name="accounts/login.html", redirect_authenticated_user=True,
    authentication_form=ZhiliAuthenticationForm,
)


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    return auth_views.LogoutView.as_view()(request)


def admin_login(request: HttpRequest) -> HttpResponse:
    """``/admin/login/``: never a second sign-in form — the site's (password, throttle, TOTP) is the only one.

    Signed out: to the site's sign-in page, coming back to the admin page asked for. Signed in with
    admin rights: on to that page. Signed in without them: refused (403), not sent round in a circle.
    """
    wanted = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()) or not wanted:
        wanted = reverse("admin:index")
    if request.user.is_authenticated:
        if admin.site.has_permission(request):
            return HttpResponseRedirect(wanted)
        return render(request, "accounts/admin_denied.html", status=403)
    login_url = resolve_url(settings.LOGIN_URL)
    return HttpResponseRedirect(f"{login_url}?{urlencode({'next': wanted})}")


def login_locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """django-axes' answer for a locked-out account+address pair: the sign-in page saying so (429)."""
    window = login_lockout_window()
    minutes = max(1, math.ceil(window.total_seconds() / 60))
    context = {
        "form": ZhiliAuthenticationForm(request),
        "next": request.POST.get("next", "") or request.GET.get("next", ""),
        "locked_out": _("登录失败次数过多，该账号已临时锁定。请%(minutes)s分钟后再试，或联系管理员解锁。")
        % {"minutes": minutes},
    }
    response = render(request, "accounts/login.html", context, status=429)
    response["Retry-After"] = str(int(window.total_seconds()))
    return response
