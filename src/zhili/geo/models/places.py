"""The full-element grid (全要素网格): areas and their levels, standard addresses, city components, and
the version counter caches watch."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.TextChoices):
    DISTRICT = "district", _("区县")
    STREET = "street", _("街道/镇")
    COMMUNITY = "community", _("社区/村")
    GRID = "grid", _("网格")
    ZONE = "zone", _("开发区")
    PARK = "park", _("园区")


ADMINISTRATIVE_LEVELS: tuple[str, ...] = (AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY, AreaLevel.GRID)
OVERLAY_LEVELS: tuple[str, ...] = (AreaLevel.ZONE, AreaLevel.PARK)
PARENT_LEVEL: dict[str, str | None] = {
    AreaLevel.DISTRICT: None,
    AreaLevel.STREET: AreaLevel.DISTRICT,
    AreaLevel.COMMUNITY: AreaLevel.STREET,
    AreaLevel.GRID: AreaLevel.COMMUNITY,
    AreaLevel.ZONE: AreaLevel.DISTRICT,
    AreaLevel.PARK: AreaLevel.ZONE,
}


class Area(models.Model):
    """One node of the area hierarchy, or an overlay zone. Geometry is WGS-84 WKB."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=16, choices=AreaLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path of codes, "/320402/320402001/.../", so a subtree is one indexed prefix query.
    path = models.CharField(_("路径"), max_length=400, db_index=True)
    geometry_wkb = models.BinaryField(_("边界(WKB)"), null=True, blank=True)
    min_longitude = models.FloatField(null=True, blank=True)
    min_latitude = models.FloatField(null=True, blank=True)
    max_longitude = models.FloatField(null=True, blank=True)
    max_latitude = models.FloatField(null=True, blank=True)
    centroid_longitude = models.FloatField(null=True, blank=True)
    centroid_latitude = models.FloatField(null=True, blank=True)
    area_square_meters = models.FloatField(_("面积(平方米)"), null=True, blank=True)
    population = models.PositiveIntegerField(_("人口"), default=0)
    households = models.PositiveIntegerField(_("户数"), default=0)
    is_synthetic = models.BooleanField(_("合成演示数据"), default=False)

    class Meta:
        verbose_name = _("区域/网格")
        verbose_name_plural = _("区域/网格")
        ordering = ["path"]
        indexes = [models.Index(fields=["level", "path"], name="geo_area_level_path")]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"


class GeoDataVersion(models.Model):
    """A single row whose counter moves whenever grids or addresses change (spatial-index cache key)."""

    counter = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"geo data version {self.counter}"


class Address(models.Model):
    """One entry of the standard address base (标准地址库)."""

    code = models.CharField(_("地址编码"), max_length=40, unique=True)
    full_text = models.CharField(_("标准地址"), max_length=200)
    road = models.CharField(_("道路"), max_length=60, blank=True, db_index=True)
    road_number = models.CharField(_("门牌号"), max_length=20, blank=True)
    compound = models.CharField(_("小区/单位"), max_length=60, blank=True, db_index=True)
    building = models.CharField(_("楼幢"), max_length=20, blank=True)
    grid = models.ForeignKey(Area, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="addresses")
    longitude = models.FloatField(_("经度"))
    latitude = models.FloatField(_("纬度"))

    class Meta:
        verbose_name = _("标准地址")
        verbose_name_plural = _("标准地址库")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.full_text


class ComponentClass(models.TextChoices):
    """Top-level component classes after CJ/T 214 (城市市政综合监管信息系统 管理部件和事件分类)."""

    PUBLIC_FACILITY = "public_facility", _("公用设施")
    ROAD_TRAFFIC = "road_traffic", _("道路交通")
    CITY_APPEARANCE = "city_appearance", _("市容环境")
    LANDSCAPING = "landscaping", _("园林绿化")
    HOUSING_LAND = "housing_land", _("房屋土地")
    OTHER = "other", _("其他")


class Component(models.Model):
    """A public component (部件): manhole cover, street lamp, bin, hydrant…"""

    code = models.CharField(_("部件编码"), max_length=40, unique=True)
    component_class = models.CharField(_("大类"), max_length=32, choices=ComponentClass.choices)
    kind = models.CharField(_("小类"), max_length=60)
    grid = models.ForeignKey(Area, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="components")
    owner_department = models.ForeignKey("geo.Department", verbose_name=_("权属部门"), null=True, blank=True,
                                         on_delete=models.SET_NULL)
    longitude = models.FloatField(_("经度"))
    latitude = models.FloatField(_("纬度"))
    is_in_service = models.BooleanField(_("完好"), default=True)

    class Meta:
        verbose_name = _("部件")
        verbose_name_plural = _("部件")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.kind}({self.code})"
