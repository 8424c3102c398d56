"""Django admin for the geo reference data (areas, departments, matters, addresses, components)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin

from zhili.geo.models import Address, Area, Component, Department, Matter, MatterCategory

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
else:

    class ModelAdmin(admin.ModelAdmin):
        """``ModelAdmin[Model]`` at run time too (django-stubs makes it generic only for the type checker)."""

        def __class_getitem__(cls, item: Any) -> type:
            return cls


@admin.register(Area)
class AreaAdmin(ModelAdmin[Area]):
    list_display = ("code", "name", "level", "path", "population", "households", "is_synthetic")
    list_filter = ("level", "is_synthetic")
    search_fields = ("code", "name", "path")
    readonly_fields = ("path", "geometry_wkb", "min_longitude", "min_latitude", "max_longitude", "max_latitude",
                       "centroid_longitude", "centroid_latitude", "area_square_meters")
    raw_id_fields = ("parent",)


@admin.register(Department)
class DepartmentAdmin(ModelAdmin[Department]):
    list_display = ("code", "name", "area", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    raw_id_fields = ("area",)


@admin.register(MatterCategory)
class MatterCategoryAdmin(ModelAdmin[MatterCategory]):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Matter)
class MatterAdmin(ModelAdmin[Matter]):
    list_display = ("code", "name", "category", "department", "urgency", "handle_limit_days",
                    "urgent_limit_hours", "grid_self_handling_allowed", "is_active")
    list_filter = ("category", "urgency", "grid_self_handling_allowed", "is_active")
    search_fields = ("code", "name", "keywords")
    list_select_related = ("category", "department")


@admin.register(Address)
class AddressAdmin(ModelAdmin[Address]):
    list_display = ("code", "full_text", "road", "road_number", "compound", "building", "grid")
    search_fields = ("code", "full_text", "road", "compound")
    raw_id_fields = ("grid",)
    list_select_related = ("grid",)


@admin.register(Component)
class ComponentAdmin(ModelAdmin[Component]):
    list_display = ("code", "component_class", "kind", "grid", "owner_department", "is_in_service")
    list_filter = ("component_class", "is_in_service")
    search_fields = ("code", "kind")
    raw_id_fields = ("grid", "owner_department")
    list_select_related = ("grid", "owner_department")
