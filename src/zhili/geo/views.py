"""Pages of the geo app: the grid map, grid cards, address search, area import/export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.middleware import HtmxDetails

from zhili.accounts.permissions import Action, require, user_can
from zhili.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from zhili.core.pages import page_refusal
from zhili.core.uploads import upload_read_limited
from zhili.geo import selectors
from zhili.geo.coordinates import COORDINATE_SYSTEMS
from zhili.geo.models import Area, AreaLevel, ComponentClass
from zhili.geo.services import areas_export_geojson, grid_import_file


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


MAP_LEVELS = (AreaLevel.STREET, AreaLevel.COMMUNITY, AreaLevel.GRID)
# The level shown after clicking an area of a level (drill-down).
NEXT_LEVEL: dict[str, str] = {AreaLevel.STREET: AreaLevel.COMMUNITY, AreaLevel.COMMUNITY: AreaLevel.GRID}


@login_required
@require_GET
def grid_map(request: HttpRequest) -> HttpResponse:
    try:
        require(request.user, Action.GEO_VIEW)
        level = request.GET.get("level", AreaLevel.STREET)
        if level not in MAP_LEVELS:
            level = AreaLevel.STREET
        root_code = request.GET.get("root") or ""
        root = selectors.area_by_code(root_code) if root_code else None
    except ApplicationError as error:
        return page_refusal(request, error)
    areas = selectors.areas_for_map(level, root=root).only("code", "name", "level", "population", "path")
    return render(request, "geo/map.html", {
        "level": level,
        "levels": [(value, AreaLevel(value).label) for value in MAP_LEVELS],
        "next_level": NEXT_LEVEL.get(level, ""),
        "root": root,
        "areas": areas,
        "can_manage": user_can(request.user, Action.GEO_MANAGE),
    })


@login_required
@require_GET
def grid_card_page(request: HtmxHttpRequest, code: str) -> HttpResponse:
    grid = Area.objects.filter(code=code, level=AreaLevel.GRID).first()
    try:
        if grid is None:
            raise NotFoundError("grid_not_found", _("网格“%(code)s”不存在。") % {"code": code})
        require(request.user, Action.GEO_VIEW, grid)
    except (PermissionDeniedError, NotFoundError) as error:
        if request.htmx:
            return render(request, "geo/grid_card.html#card_error", {"error": error}, status=200)
        return page_refusal(request, error)
    card = selectors.grid_card(grid)
    component_rows = [(ComponentClass(value).label, count) for value, count in card["component_counts"].items()]
    context = {"grid": grid, "card": card, "component_rows": component_rows}
    template = "geo/grid_card.html#card" if request.htmx else "geo/grid_card.html"
    return render(request, template, context)


@login_required
@require_GET
def address_search(request: HtmxHttpRequest) -> HttpResponse:
    try:
        require(request.user, Action.GEO_VIEW)
    except PermissionDeniedError as error:
        return page_refusal(request, error)
    text = request.GET.get("q", "")[:200]
    candidates = selectors.address_candidates(text, limit=8) if text.strip() else []
    context = {"text": text, "candidates": candidates}
    template = "geo/address_search.html#results" if request.htmx else "geo/address_search.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def area_import(request: HttpRequest) -> HttpResponse:
    try:
        require(request.user, Action.GEO_MANAGE)
    except PermissionDeniedError as error:
        return page_refusal(request, error)
    context: dict[str, object] = {"coordinate_systems": COORDINATE_SYSTEMS, "selected_system": "auto"}
    if request.method == "POST":
        upload = request.FILES.get("file")
        coordinate_system = request.POST.get("coordinate_system", "auto")
        context["selected_system"] = coordinate_system
        if upload is None:
            context["error"] = ApplicationError("file_missing", _("请选择要导入的 GeoJSON 或 Shapefile 压缩包。"))
            return render(request, "geo/import.html", context, status=400)
        try:
            report = grid_import_file(filename=upload.name or "", data=upload_read_limited(upload),
                                      coordinate_system=coordinate_system, actor_id=request.user.pk)
        except ApplicationError as error:
            context["error"] = error
            return render(request, "geo/import.html", context, status=400)
        context["report"] = report
    return render(request, "geo/import.html", context)


@login_required
@require_GET
def area_export(request: HttpRequest) -> HttpResponse:
    try:
        require(request.user, Action.GEO_VIEW)
        root_code = request.GET.get("root") or ""
        root = selectors.area_by_code(root_code) if root_code else None
    except ApplicationError as error:
        return page_refusal(request, error)
    levels = [level for level in request.GET.getlist("level") if level in AreaLevel.values] or None
    response = JsonResponse(areas_export_geojson(levels=levels, root=root),
                            json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
    response["Content-Disposition"] = 'attachment; filename="areas.geojson"'
    return response

