"""The one sign-in form (the site's; /admin/login/ sends people here): password, throttle, TOTP code.

Order: the address-wide slow-down, then ``authenticate`` (django-axes refuses a locked-out
account+address pair before the password is checked, and records every failure), then the TOTP code
of accounts that turned it on — a wrong or replayed code is a failed sign-in like a wrong password.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhili.accounts import services
from zhili.accounts.models import User
from zhili.core.client_address import client_address


class ZhiliAuthenticationForm(AuthenticationForm):
    totp_code = forms.CharField(label=gettext_lazy("动态口令"), required=False, max_length=8)

    def clean(self) -> dict[str, Any]:
        if self.request is not None:
            services.login_address_wait(remote_address=client_address(self.request))
        cleaned = super().clean()
        user: User | None = self.get_user()
        if user is None:  # no password given: the form's own "required" errors say what is missing
            return cleaned
        if not services.totp_code_use(user=user, code=self.cleaned_data.get("totp_code") or ""):
            # counted by django-axes (and the failed-login metric) like a wrong password
            user_login_failed.send(sender=__name__, credentials={"username": user.get_username()},
                                   request=self.request)
            raise ValidationError(_("动态口令不正确或已使用过。请输入身份验证器中当前显示的6位数字。"), code="totp")
        return cleaned
