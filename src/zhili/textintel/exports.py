"""The hot-issue list as an Excel workbook."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _
from openpyxl import Workbook

from zhili.core.clock import CHINA_TIME_ZONE
from zhili.textintel.models import HotIssue, HotIssueRun


def hot_issues_workbook(run: HotIssueRun, issues: Sequence[HotIssue]) -> Workbook:
    """Sheet 热点问题 (one row per issue) and sheet 成员留言 (one row per member message).

    ``issues`` come from ``selectors.hot_issues_of_run`` for the viewer, so their texts are already
    masked for roles without the personal-data permission."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook always has a sheet
    sheet.title = _("热点问题")
    sheet.append([_("排名"), _("热度指数"), _("地点"), _("首次反映"), _("最近反映"), _("反映次数"), _("反映人数"),
                  _("点赞数"), _("增长"), _("近30天反映"), _("此前30天反映"), _("代表标题"), _("代表内容")])
    for issue in issues:
        sheet.append([
            issue.rank, issue.heat_index, issue.place,
            issue.first_reported_at.astimezone(CHINA_TIME_ZONE).strftime("%Y-%m-%d %H:%M"),
            issue.last_reported_at.astimezone(CHINA_TIME_ZONE).strftime("%Y-%m-%d %H:%M"),
            issue.report_count, issue.reporter_count, issue.like_count, issue.growth, issue.recent_reports,
            issue.previous_reports, issue.representative_title, issue.representative_text[:2000],
        ])
    members = workbook.create_sheet(_("成员留言"))
    members.append([_("排名"), _("留言编号"), _("标题"), _("时间"), _("点赞数")])
    for issue in issues:
        for member in issue.members:
            members.append([issue.rank, member.get("id"), member.get("title"), member.get("created_at"),
                            member.get("likes")])
    info = workbook.create_sheet(_("说明"))
    info.append([_("来源"), run.get_source_display(), run.source_label])
    info.append([_("计算时间"), run.created_at.astimezone(CHINA_TIME_ZONE).strftime("%Y-%m-%d %H:%M")])
    info.append([_("留言数"), run.message_count])
    return workbook
