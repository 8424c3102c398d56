"""API routes of the geo app: locate a point, match an address, grids as GeoJSON, grid cards."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.security import django_auth
from pydantic import Field

from zhili.accounts.permissions import Action, require
from zhili.core.errors import NotFoundError
from zhili.core.parameters import ApiIdentifier, ApiLatitude, ApiLongitude
from zhili.geo import selectors
from zhili.geo.coordinates import to_wgs84
from zhili.geo.models import Area, AreaLevel
from zhili.geo.schemas import AddressCandidateOut, GridCardOut, GridLocationOut, GridWorkerOut
from zhili.geo.services import areas_export_geojson

router = Router(tags=["geo"], auth=django_auth)


class LocateQuery(Schema):
    longitude: ApiLongitude
    latitude: ApiLatitude
    coordinate_system: str = "wgs84"


@router.get("/locate", response=GridLocationOut, summary="点位 → 网格")
def locate_point(request: HttpRequest, query: Query[LocateQuery]) -> GridLocationOut:
    require(request.user, Action.GEO_VIEW)
    location = selectors.grid_for_point(longitude=query.longitude, latitude=query.latitude,
                                        coordinate_system=query.coordinate_system)
    longitude, latitude = to_wgs84(query.longitude, query.latitude, query.coordinate_system)
    if location is None:
        return GridLocationOut(inside_district=False, longitude_wgs84=longitude, latitude_wgs84=latitude,
                               message=_("该点位不在本区任何网格内（区外）。"))
    return GridLocationOut(
        inside_district=True, longitude_wgs84=longitude, latitude_wgs84=latitude, grid_id=location.grid_id,
        grid_code=location.grid_code, grid_name=location.grid_name, path=location.path,
        community_name=location.community_name, street_name=location.street_name,
        zone_codes=list(location.zone_codes), level=location.level,
        message="" if location.level == "grid" else _("该处没有网格边界，按%(level)s级答复。") % {
            "level": AreaLevel(location.level).label},
    )


class AddressQuery(Schema):
    text: str
    limit: Annotated[int, Field(ge=1, le=50)] = 5


@router.get("/addresses/candidates", response=list[AddressCandidateOut], summary="地址文本 → 候选标准地址")
def address_candidate_list(request: HttpRequest, query: Query[AddressQuery]) -> list[AddressCandidateOut]:
    require(request.user, Action.GEO_VIEW)
    return [AddressCandidateOut(**candidate.__dict__)
            for candidate in selectors.address_candidates(query.text, limit=query.limit)]


class GeoJSONQuery(Schema):
    level: str = AreaLevel.GRID
    root_code: str | None = None


@router.get("/areas.geojson", response=dict[str, Any], summary="区域/网格边界 GeoJSON（WGS-84）")
def areas_geojson(request: HttpRequest, query: Query[GeoJSONQuery]) -> dict[str, Any]:
    require(request.user, Action.GEO_VIEW)
    root = selectors.area_by_code(query.root_code) if query.root_code else None
    selectors.areas_for_map(query.level)  # validates the level
    return areas_export_geojson(levels=[query.level], root=root)


@router.get("/grids/{grid_id}/card", response=GridCardOut, summary="网格名片")
def grid_card(request: HttpRequest, grid_id: ApiIdentifier) -> GridCardOut:
    grid = Area.objects.filter(pk=grid_id, level=AreaLevel.GRID).first()
    if grid is None:
        raise NotFoundError("grid_not_found", _("网格不存在。"))
    require(request.user, Action.GEO_VIEW, grid)
    card = selectors.grid_card(grid)
    return GridCardOut(
        grid_id=grid.pk, grid_code=grid.code, grid_name=grid.name, path=grid.path,
        street_name=card["street_name"], community_name=card["community_name"],
        workers=[GridWorkerOut(**worker) for worker in card["workers"]], address_count=card["address_count"],
        component_counts=card["component_counts"], component_total=card["component_total"],
        components_out_of_service=card["components_out_of_service"], population=card["population"],
        households=card["households"],
    )
