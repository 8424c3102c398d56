"""The sign-in form: password, throttling and (when enabled) a TOTP code."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhili.accounts import services
from zhili.accounts.models import User


class ZhiliAuthenticationForm(AuthenticationForm):
    totp_code = forms.CharField(label=gettext_lazy("动态口令"), required=False, max_length=8)

    def _remote_address(self) -> str:
        if self.request is None:
            return "unknown"
        return str(self.request.META.get("REMOTE_ADDR", "unknown"))

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = self._remote_address()
        if services.login_is_throttled(username=username, remote_address=address):
            raise ValidationError(_("登录失败次数过多，账号已临时锁定。请15分钟后再试，或联系管理员解锁。"),
                                  code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            services.login_failure_record(username=username, remote_address=address)
            raise
        user: User = self.get_user()
        if not services.totp_code_is_valid(user=user, code=self.cleaned_data.get("totp_code") or ""):
            services.login_failure_record(username=username, remote_address=address)
            raise ValidationError(_("动态口令不正确。请输入身份验证器中当前显示的6位数字。"), code="totp")
        services.login_failures_clear(username=username)
        return cleaned
