"""The navigation a user sees: only the pages their role may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from zhili.accounts.permissions import Action, user_can

# (label, url name, action the role needs). Pages whose URL is not installed are left out.
NAVIGATION: tuple[tuple[Any, str, Action], ...] = (
    (_("指挥中心"), "dashboard:command_center", Action.DASHBOARD_COMMAND_CENTER),
    (_("领导驾驶舱"), "dashboard:leader", Action.DASHBOARD_LEADER),
    (_("坐席受理"), "cases:intake", Action.CASE_CREATE),
    (_("派单与督办"), "cases:triage", Action.CASE_DISPATCH),
    (_("部门待办"), "cases:inbox", Action.CASE_ACCEPT),
    (_("网格员"), "cases:grid_worker", Action.CASE_REPORT_PATROL),
    (_("案件查询"), "cases:list", Action.CASE_VIEW),
    (_("热点问题"), "textintel:hot_issues", Action.HOT_ISSUE_VIEW),
    (_("网格地图"), "geo:map", Action.GEO_VIEW),
    (_("规划指标"), "indicators:plan_list", Action.INDICATOR_VIEW),
    (_("亩均评价"), "enterprises:home", Action.ENTERPRISE_VIEW),
    (_("重大项目"), "projects:dispatch", Action.PROJECT_VIEW),
    (_("分类模型"), "textintel:models", Action.CLASSIFIER_MANAGE),
    (_("工作日历"), "cases:calendar", Action.USER_MANAGE),
    (_("系统管理"), "admin:index", Action.USER_MANAGE),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    items = []
    for label, url_name, action in NAVIGATION:
        if not user_can(user, action):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": request.path.startswith(url) and url != "/"})
    return {"navigation": items}
