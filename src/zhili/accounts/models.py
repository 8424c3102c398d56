"""Users, their role and their scope (an area subtree and/or a department)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhili.accounts.roles import Role


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices, default=Role.CITIZEN)
    display_name = models.CharField(_("姓名"), max_length=60, blank=True)
    scope_area = models.ForeignKey(
        "geo.Area", verbose_name=_("管辖区域"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="scoped_users",
    )
    department = models.ForeignKey(
        "geo.Department", verbose_name=_("所属部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="members",
    )
    # the TOTP secret, encrypted with ZHILI_PII_KEY (zhili.core.encryption); empty: no second factor
    totp_secret_encrypted = models.TextField(_("动态口令密钥（加密）"), blank=True)
    # the last time step (30 s) whose code signed in: a code is accepted once, never replayed
    totp_last_step = models.BigIntegerField(_("动态口令最近使用时段"), null=True, blank=True)
    preferred_language = models.CharField(_("界面语言"), max_length=10, default="zh-hans")

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


class GridAssignment(models.Model):
    """A grid worker (网格员) assigned to a grid."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grid_assignments")
    grid = models.ForeignKey("geo.Area", on_delete=models.CASCADE, related_name="grid_assignments")
    is_primary = models.BooleanField(_("专职"), default=True)

    class Meta:
        verbose_name = _("网格员分配")
        verbose_name_plural = _("网格员分配")
        constraints = [models.UniqueConstraint(fields=["user", "grid"], name="accounts_unique_grid_assignment")]

    def __str__(self) -> str:
        return f"{self.user} → {self.grid}"
