"""Sign-in and sign-out."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from zhili.accounts.forms import ZhiliAuthenticationForm

login_page = auth_views.LoginView.as_view(
    template_name="accounts/login.html", redirect_authenticated_user=True,
    authentication_form=ZhiliAuthenticationForm,
)


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    return auth_views.LogoutView.as_view()(request)
