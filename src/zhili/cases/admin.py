"""Django admin for the centre's own rules of the case workflow (工单办理规则)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from zhili.cases.models import WorkflowSettings
from zhili.cases.services.workflow_settings import workflow_settings_recorded
from zhili.core import clock

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
else:

    class ModelAdmin(admin.ModelAdmin):
        """``ModelAdmin[Model]`` at run time too (django-stubs makes it generic only for the type checker)."""

        def __class_getitem__(cls, item: Any) -> type:
            return cls


@admin.register(WorkflowSettings)
class WorkflowSettingsAdmin(ModelAdmin[WorkflowSettings]):
    """One row (pk 1): the appeal-type and dispatch limits, the return cap and the review categories."""

    fieldsets = (
        ("诉求类型办理时限（工作日）", {"fields": (
            "consultation_handle_days", "help_handle_days", "complaint_handle_days", "report_handle_days",
            "suggestion_handle_days", "praise_handle_days")}),
        ("派单时限（自然小时）", {"fields": ("dispatch_emergency_hours", "dispatch_urgent_hours",
                                     "dispatch_general_hours")}),
        ("退回与审核", {"fields": ("return_limit_per_unit", "review_limit_days", "review_categories")}),
    )
    filter_horizontal = ("review_categories",)
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not WorkflowSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: WorkflowSettings | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: WorkflowSettings, form: ModelForm[WorkflowSettings],
                   change: bool) -> None:
        obj.pk = 1
        obj.updated_at = clock.now()
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: ModelForm[WorkflowSettings], formsets: Any,
                     change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # the admin's transaction: the audit record is its last write
        workflow_settings_recorded(row=form.instance, actor=request.user if request.user.is_authenticated else None)
