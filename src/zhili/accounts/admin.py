from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from zhili.accounts.models import GridAssignment, User


@admin.register(User)
class ZhiliUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ("username", "display_name", "role", "scope_area", "department", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("zhili", {"fields": ("role", "display_name", "scope_area", "department")}))  # type: ignore[misc]


@admin.register(GridAssignment)
class GridAssignmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "grid", "is_primary")
