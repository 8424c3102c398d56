"""Who answers for what (权责清单): the departments and street offices cases are dispatched to, the
categories of appeals, and the matters catalogue (matter → department, time limits, urgency)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhili.geo.models.places import Area


class Department(models.Model):
    """A responsible department (职能部门) or street office that receives dispatched cases."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    area = models.ForeignKey(Area, verbose_name=_("所属区域"), null=True, blank=True, on_delete=models.PROTECT)
    is_active = models.BooleanField(_("启用"), default=True)
    webhook_url = models.URLField(_("回调地址"), blank=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class MatterCategory(models.Model):
    """A case category (诉求分类), e.g. 市容环境; matters belong to one."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("诉求分类")
        verbose_name_plural = _("诉求分类")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    EMERGENCY = "emergency", _("特急")


class Matter(models.Model):
    """A line of the responsibility list (权责清单): matter → department, time limits, urgency."""

    code = models.CharField(_("事项编码"), max_length=32, unique=True)
    name = models.CharField(_("事项名称"), max_length=120)
    category = models.ForeignKey(MatterCategory, verbose_name=_("分类"), on_delete=models.PROTECT,
                                 related_name="matters")
    department = models.ForeignKey(Department, verbose_name=_("责任部门"), on_delete=models.PROTECT,
                                   related_name="matters")
    keywords = models.TextField(_("关键词"), blank=True, help_text=_("以逗号分隔"))
    urgency = models.CharField(_("紧急程度"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    accept_limit_hours = models.PositiveIntegerField(_("签收时限(工作小时)"), default=2)
    handle_limit_days = models.PositiveIntegerField(_("办理时限(工作日)"), default=5)
    reply_limit_days = models.PositiveIntegerField(_("答复时限(工作日)"), default=1)
    urgent_limit_hours = models.PositiveIntegerField(_("紧急办理时限(自然小时)"), default=24)
    grid_self_handling_allowed = models.BooleanField(_("可网格自处置"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("权责事项")
        verbose_name_plural = _("权责清单")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.category.name}/{self.name}"

    @property
    def keyword_list(self) -> list[str]:
        return [word.strip() for word in self.keywords.replace("，", ",").split(",") if word.strip()]
