"""Pages of the dashboard app (thin: parse, call selectors, render).

The command center and the leader dashboard are full pages whose parts refresh through htmx
(``{% partialdef %}`` fragments); every control is also a plain link or GET form.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from zhili.accounts.models import User
from zhili.accounts.permissions import Action, require, user_can
from zhili.cases.rules.kpis import kpi_labels
from zhili.core import clock
from zhili.core.errors import ApplicationError
from zhili.core.pages import page_refusal
from zhili.core.replica import replica_read_view
from zhili.dashboard.exports import XLSX_CONTENT_TYPE, leader_overview_xlsx, monthly_report_xlsx
from zhili.dashboard.leader import (
    LeaderFilter,
    leader_filter_from_query,
    leader_overview,
    monthly_report,
    period_from_query,
)
from zhili.dashboard.rules import Period, recent_period
from zhili.dashboard.selectors import (
    MAP_METRICS,
    DashboardScope,
    MapMetric,
    case_feed,
    category_choices,
    daily_trend,
    dashboard_scope_for,
    department_choices,
    department_for_code,
    hot_spots,
    kpi_cube,
    kpi_total,
    map_metric_labels,
    map_targets,
    map_values,
    open_cube,
    rankings_from_cubes,
)


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _url(name: str, query: dict[str, str]) -> str:
    clean = {key: value for key, value in query.items() if value}
    return reverse(name) + (f"?{urlencode(clean)}" if clean else "")


# --- command center -----------------------------------------------------------------------------------------

def _command_center_context(request: HttpRequest, scope: DashboardScope, *, metric: MapMetric, granularity: str,
                            trend_days: int) -> dict[str, Any]:
    user = _user(request)
    today = clock.today()
    case_filter = scope.case_filter()
    base_query = {"area": scope.node.code if scope.node else "", "metric": metric,
                  "granularity": granularity if granularity == "grid" else "", "days": str(trend_days)}

    def link(**changes: str) -> str:
        return _url("dashboard:command_center", {**base_query, **changes})

    last_30_days = recent_period(30, today=today)
    open_data = open_cube(case_filter)
    recent = kpi_cube(case_filter, period=last_30_days)
    today_counts = kpi_total(case_filter, period=Period(today, today))
    month_counts = recent.total()
    open_counts = open_data.total()
    values = map_values(scope, metric=metric, granularity=granularity, today=today, open_data=open_data,
                        recent_cube=recent)
    map_rows = [{"code": value.code, "name": value.name, "level": value.level, "value": value.value,
                 "href": link(area=value.code, granularity="")} for value in values]
    metric_labels = map_metric_labels()
    categories = rankings_from_cubes(recent, dimension="category")[:10]
    departments = rankings_from_cubes(recent, dimension="department", open_data=open_data)[:10]
    trend = daily_trend(case_filter, period=recent_period(trend_days, today=today))
    return {
        "scope": scope,
        "breadcrumbs": [{"name": node.name, "href": link(area=node.code)} for node in scope.breadcrumbs()],
        "metric": metric,
        "metric_label": metric_labels[metric],
        "metric_links": [{"key": key, "label": metric_labels[key], "href": link(metric=key), "active": key == metric}
                         for key in MAP_METRICS],
        "granularity": granularity,
        "granularity_links": [
            {"label": _("下级区域"), "href": link(granularity=""), "active": granularity != "grid"},
            {"label": _("全部网格"), "href": link(granularity="grid"), "active": granularity == "grid"},
        ],
        "trend_days": trend_days,
        "trend_links": [{"label": _("近7天"), "href": link(days="7"), "active": trend_days == 7},
                        {"label": _("近30天"), "href": link(days="30"), "active": trend_days == 30}],
        "live_url": link(fragment="live"),
        "geojson_url": _url("dashboard:geojson", {"area": base_query["area"], "granularity": base_query["granularity"]}),
        "today_counts": today_counts,
        "month_counts": month_counts,
        "open_counts": open_counts,
        "map_rows": map_rows,
        "map_data": {"metric": metric, "label": metric_labels[metric], "percent": metric == "satisfaction",
                     "values": map_rows},
        "feed": case_feed(user, case_filter),
        "categories": categories,
        "category_chart": {"names": [row.name for row in categories],
                           "values": [row.counts.created_count for row in categories]},
        "departments": departments,
        "trend_chart": {"days": [point.day.strftime("%m-%d") for point in trend],
                        "created": [point.created_count for point in trend],
                        "finished": [point.finished_count for point in trend],
                        "created_label": _("受理量"), "finished_label": _("其中已办结")},
        "hot_spots": hot_spots(scope, case_filter, today=today),
        "updated_at": clock.local_now(),
        "may_open_leader": user_can(user, Action.DASHBOARD_LEADER),
    }


@login_required
@require_GET
@replica_read_view
def command_center(request: HttpRequest) -> HttpResponse:
    """指挥中心大屏: map, KPI cards, live feed, rankings, trends, hot spots; parts poll every 15 s."""
    try:
        require(request.user, Action.DASHBOARD_COMMAND_CENTER)
        scope = dashboard_scope_for(_user(request), area_code=request.GET.get("area", "").strip())
    except ApplicationError as error:
        return page_refusal(request, error)
    requested_metric = request.GET.get("metric", "open")
    metric: MapMetric = next((item for item in MAP_METRICS if item == requested_metric), "open")
    granularity = "grid" if request.GET.get("granularity") == "grid" else "children"
    trend_days = 30 if request.GET.get("days") == "30" else 7
    context = _command_center_context(request, scope, metric=metric, granularity=granularity, trend_days=trend_days)
    template = "dashboard/command_center.html"
    if getattr(request, "htmx", False) and request.GET.get("fragment") == "live":
        template += "#live"
    return render(request, template, context)


@login_required
@require_GET
@replica_read_view
def area_geojson(request: HttpRequest) -> HttpResponse:
    """The outlines drawn on the command-center map (simplified WGS-84 GeoJSON), within the user's scope."""
    try:
        require(request.user, Action.DASHBOARD_COMMAND_CENTER)
        scope = dashboard_scope_for(_user(request), area_code=request.GET.get("area", "").strip())
    except ApplicationError as error:
        return JsonResponse(error.envelope(), status=error.status_code)
    granularity = "grid" if request.GET.get("granularity") == "grid" else "children"
    collection = scope.tree.feature_collection(map_targets(scope, granularity=granularity))
    response = JsonResponse(collection)
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- leader dashboard ---------------------------------------------------------------------------------------

def _leader_form_context(request: HttpRequest, leader_filter: LeaderFilter | None) -> dict[str, Any]:
    scope_children: list[tuple[str, str]] = []
    if leader_filter is not None:
        tree = leader_filter.scope.tree
        allowed = leader_filter.scope.allowed_paths
        scope_children = [(node.code, f"{'　' * max(0, node.path.count('/') - 3)}{node.name}")
                          for node in sorted(tree.by_id.values(), key=lambda item: item.path)
                          if node.level in ("district", "street", "community")
                          and (not allowed or any(node.path.startswith(path) for path in allowed))]
    return {
        "area_choices": scope_children,
        "department_choices": department_choices(),
        "category_choices": category_choices(),
        "query": request.GET,
    }


def _leader_filter_or_error(request: HttpRequest) -> LeaderFilter | HttpResponse:
    try:
        require(request.user, Action.DASHBOARD_LEADER)
        return leader_filter_from_query(_user(request), request.GET)
    except ApplicationError as error:
        return page_refusal(request, error)


@login_required
@require_GET
@replica_read_view
def leader(request: HttpRequest) -> HttpResponse:
    """领导驾驶舱: KPIs of the filter with month-on-month, by area/department/category, 红黑榜, exports."""
    leader_filter = _leader_filter_or_error(request)
    if isinstance(leader_filter, HttpResponse):
        return leader_filter
    overview = leader_overview(leader_filter)
    query = leader_filter.query()
    month = f"{leader_filter.period.first_day:%Y-%m}"
    context = {
        **_leader_form_context(request, leader_filter),
        "overview": overview,
        "leader_filter": leader_filter,
        "labels": kpi_labels(),
        "form_month": month if leader_filter.period.is_month else "",
        "export_url": _url("dashboard:leader_export", query),
        "report_url": _url("dashboard:leader_report", {"month": month, "area": query.get("area", "")}),
        "report_xlsx_url": _url("dashboard:leader_report_export", {"month": month, "area": query.get("area", "")}),
        "trend_chart": {"days": [point.day.strftime("%m-%d") for point in overview.trend],
                        "created": [point.created_count for point in overview.trend],
                        "finished": [point.finished_count for point in overview.trend],
                        "created_label": _("受理量"), "finished_label": _("其中已办结")},
        "area_chart": {"names": [row.name for row in overview.by_area[:15]],
                       "values": [row.counts.created_count for row in overview.by_area[:15]]},
    }
    template = "dashboard/leader.html"
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "leader-body":
        template += "#body"
    return render(request, template, context)


def _attachment(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename=\"{filename}\""
    return response


@login_required
@require_GET
@replica_read_view
def leader_export(request: HttpRequest) -> HttpResponse:
    """The leader dashboard's current filter as .xlsx."""
    leader_filter = _leader_filter_or_error(request)
    if isinstance(leader_filter, HttpResponse):
        return leader_filter
    overview = leader_overview(leader_filter)
    period = leader_filter.period
    return _attachment(leader_overview_xlsx(overview),
                       f"zhili-kpi-{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}.xlsx")


def _report_or_error(request: HttpRequest) -> tuple[Any, Period] | HttpResponse:
    try:
        require(request.user, Action.DASHBOARD_LEADER)
        query = {"month": request.GET.get("month", "")}
        period = period_from_query(query)
        scope = dashboard_scope_for(_user(request), area_code=request.GET.get("area", "").strip())
        department_code = request.GET.get("department", "").strip()
        department = department_for_code(department_code)
        if department_code and department is None:
            raise ApplicationError("invalid_filter", _("找不到部门代码 %(code)s，请从列表中选择部门。")
                                   % {"code": department_code})
    except ApplicationError as error:
        return page_refusal(request, error)
    return monthly_report(scope, period=period, department=department), period


@login_required
@require_GET
@replica_read_view
def leader_report(request: HttpRequest) -> HttpResponse:
    """The monthly KPI report per department, as a printable page."""
    result = _report_or_error(request)
    if isinstance(result, HttpResponse):
        return result
    report, period = result
    query = {"month": f"{period.first_day:%Y-%m}", "area": request.GET.get("area", ""),
             "department": request.GET.get("department", "")}
    return render(request, "dashboard/monthly_report.html", {
        "report": report, "labels": kpi_labels(), "xlsx_url": _url("dashboard:leader_report_export", query),
        "back_url": _url("dashboard:leader", {"month": query["month"], "area": query["area"]}),
        "month": query["month"],
    })


@login_required
@require_GET
@replica_read_view
def leader_report_export(request: HttpRequest) -> HttpResponse:
    """The monthly KPI report per department as .xlsx."""
    result = _report_or_error(request)
    if isinstance(result, HttpResponse):
        return result
    report, period = result
    return _attachment(monthly_report_xlsx(report), f"zhili-monthly-kpi-{period.first_day:%Y%m}.xlsx")
