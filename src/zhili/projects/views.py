"""Pages of the projects app (thin: parse, require, call a service or selector, render)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhili.accounts.models import User
from zhili.accounts.pages import permission_page
from zhili.accounts.permissions import Action, require, user_can
from zhili.accounts.personal_data_policy import Disclosure, PersonalField, personal_disclosure
from zhili.core import clock
from zhili.core.errors import ApplicationError
from zhili.core.pages import page_guard
from zhili.core.parameters import (
    choice_parameter,
    date_parameter,
    identifier_parameter,
    integer_parameter,
    month_parameter,
    number_parameter,
    year_parameter,
)
from zhili.core.uploads import upload_read_limited
from zhili.geo.models import Department
from zhili.projects import files, rules, selectors, services
from zhili.projects.contracts import DispatchFilter, ImportReport
from zhili.projects.models import Light, ProblemKind, ProjectKind, ProjectLevel

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 - staff_page signed the user in
    return request.user


def _month(request: HttpRequest) -> tuple[int, int]:
    return month_parameter(request.GET, "month", label=_("月份")) or rules.previous_month(clock.today())


def _dispatch_filter(request: HttpRequest) -> DispatchFilter:
    params = request.GET
    return DispatchFilter(
        level=choice_parameter(params, "level", ProjectLevel.values, label=_("级别")),
        kind=choice_parameter(params, "kind", ProjectKind.values, label=_("类别")),
        department_id=identifier_parameter(params, "department", label=_("责任单位")),
        light=choice_parameter(params, "light", Light.values, label=_("亮灯")),
        stage=choice_parameter(params, "stage", selectors.STAGE_GROUPS, label=_("阶段")),
        leader_id=identifier_parameter(params, "leader", label=_("挂钩领导")))


@permission_page(Action.PROJECT_VIEW)
def dispatch(request: HttpRequest) -> HttpResponse:
    """The leader's 调度 page: lights first, by level, unit, light, stage and leader."""
    year, month = _month(request)
    dispatch_filter = _dispatch_filter(request)
    projects = selectors.projects_filtered(selectors.projects_visible_to(request.user), dispatch_filter)
    summary = selectors.dispatch_summary(projects)
    paginator = Paginator(selectors.dispatch_ordered(projects), selectors.DISPATCH_PAGE_SIZE)
    paginator.count = summary["count"]  # the summary counted them already: no second COUNT(*)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "projects/dispatch.html", {
        "rows": selectors.dispatch_rows(page, year=year, month=month), "page": page, "summary": summary,
        "filter": dispatch_filter, "month": f"{year}-{month:02d}", "levels": ProjectLevel.choices,
        "kinds": ProjectKind.choices, "lights": Light.choices, "departments": Department.objects.filter(
            projects__isnull=False).distinct().order_by("code"), "leaders": selectors.leader_choices(),
        "stages": [("preparing", _("未开工")), ("building", _("在建")), ("finished", _("已竣工"))],
        "query": query.urlencode(), "can_manage": user_can(request.user, Action.PROJECT_MANAGE)})


@permission_page(Action.PROJECT_VIEW)
def leaders(request: HttpRequest) -> HttpResponse:
    return render(request, "projects/leaders.html", {"leaders": selectors.leaders_with_projects()})


@permission_page(Action.PROJECT_VIEW)
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    project = selectors.project_visible_or_404(user=request.user, code=code)
    contact = personal_disclosure(request.user, PersonalField.PROJECT_CONTACT, project)
    year, month = rules.previous_month(clock.today())
    return render(request, "projects/project.html", {
        "file": selectors.project_file(project), "project": project,
        "contact_phone": services.project_contact_phone(project) if contact == Disclosure.SHOW
        else project.contact_phone_masked,
        "can_report": user_can(request.user, Action.PROJECT_REPORT, project),
        "can_manage": user_can(request.user, Action.PROJECT_MANAGE), "problem_kinds": ProblemKind.choices,
        "default_month": f"{year}-{month:02d}"})


@require_POST
@permission_page(Action.PROJECT_REPORT)
def report_file(request: HttpRequest, code: str) -> HttpResponse:
    project = selectors.project_visible_or_404(user=request.user, code=code)
    require(request.user, Action.PROJECT_REPORT, project)
    month = month_parameter(request.POST, "month", label=_("填报月份"))
    if month is None:
        raise ApplicationError("month_required", _("请选择填报月份。"))
    investment = number_parameter(request.POST, "investment", minimum=0, label=_("当月完成投资"))
    if investment is None:
        raise ApplicationError("investment_required", _("请填写当月完成投资（万元），没有投资填0。"))
    progress = integer_parameter(request.POST, "progress_percent", default=0, minimum=0, maximum=100,
                                 label=_("形象进度"))
    services.monthly_report_file(actor=_user(request), project_id=project.pk, year=month[0], month=month[1],
                                 investment=investment, progress_percent=progress or 0,
                                 progress_text=request.POST.get("progress_text", ""),
                                 problems_text=request.POST.get("problems_text", ""))
    messages.success(request, _("%(month)s 月报已提交。") % {"month": f"{month[0]}-{month[1]:02d}"})
    if request.POST.get("next") == "reports":
        return redirect(f"{reverse('projects:reports')}?month={month[0]}-{month[1]:02d}")
    return redirect("projects:project", code=project.code)


@require_POST
@permission_page(Action.PROJECT_REPORT)
def problem_raise(request: HttpRequest, code: str) -> HttpResponse:
    project = selectors.project_visible_or_404(user=request.user, code=code)
    require(request.user, Action.PROJECT_REPORT, project)
    kind = choice_parameter(request.POST, "kind", ProblemKind.values, label=_("问题类型"))
    problem = services.project_problem_raise(actor=_user(request), project_id=project.pk, kind=kind or ProblemKind.OTHER,
                                             description=request.POST.get("description", ""))
    messages.success(request, _("问题已转为工单 %(number)s，派至%(unit)s。") % {
        "number": problem.case.number, "unit": project.department.name})
    return redirect("projects:project", code=project.code)


@require_POST
@permission_page(Action.PROJECT_MANAGE)
def node_record(request: HttpRequest, code: str) -> HttpResponse:
    project = selectors.project_visible_or_404(user=request.user, code=code)
    node_code = request.POST.get("node", "")[:32]
    services.node_record(actor=_user(request), project_id=project.pk, code=node_code,
                         planned_date=date_parameter(request.POST, "planned_date", label=_("计划日期")),
                         actual_date=date_parameter(request.POST, "actual_date", label=_("实际日期")),
                         evidence=request.POST.get("evidence", ""))
    messages.success(request, _("节点已更新。"))
    return redirect("projects:project", code=project.code)


@permission_page(Action.PROJECT_REPORT)
def reports(request: HttpRequest) -> HttpResponse:
    """The unit's monthly-report page: its projects for the month, one form each, and the Excel route."""
    year, month = _month(request)
    projects = selectors.projects_visible_to(request.user).filter(actual_start__isnull=False).order_by("code")
    filed = selectors.reports_for_month(projects=projects, year=year, month=month)
    return render(request, "projects/reports.html", {
        "rows": [(project, filed.get(project.pk)) for project in projects[:500]], "month": f"{year}-{month:02d}"})


@permission_page(Action.PROJECT_REPORT)
def report_template(request: HttpRequest) -> HttpResponse:
    year, month = _month(request)
    projects = selectors.projects_visible_to(request.user).filter(actual_start__isnull=False).order_by("code")
    content = files.monthly_report_template(year=year, month=month, projects=projects.values_list("code", "name"))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="monthly-report-{year}-{month:02d}.xlsx"'
    return response


def _upload(request: HttpRequest) -> tuple[bytes, str]:
    upload = request.FILES.get("file")
    if upload is None:
        raise ApplicationError("file_required", _("请选择要上传的 Excel 文件（.xlsx）。"))
    return upload_read_limited(upload), upload.name or "upload.xlsx"


def _import_page(request: HttpRequest, report: ImportReport, *, title: str, back: str) -> HttpResponse:
    return render(request, "projects/import_report.html", {"report": report, "title": title, "back": back},
                  status=200 if report.ok else 400)


@require_POST
@permission_page(Action.PROJECT_REPORT)
def report_import(request: HttpRequest) -> HttpResponse:
    year, month = month_parameter(request.POST, "month", label=_("月份")) or rules.previous_month(clock.today())
    content, name = _upload(request)
    user = _user(request)
    limited_to = None if user_can(user, Action.PROJECT_MANAGE) else user.department_id or -1
    report = services.monthly_reports_import(actor=user, content=content, file_name=name, year=year, month=month,
                                             department_id=limited_to)
    return _import_page(request, report, title=_("月报导入"), back=reverse("projects:reports"))


@permission_page(Action.PROJECT_MANAGE)
def statistics(request: HttpRequest) -> HttpResponse:
    """The 入库 list: import it for a month, and see each project's gap against the monthly reports."""
    year, month = _month(request)
    projects = selectors.projects_visible_to(request.user)
    return render(request, "projects/statistics.html", {
        "rows": selectors.reconciliation_month(projects=projects, year=year, month=month),
        "month": f"{year}-{month:02d}"})


@require_POST
@permission_page(Action.PROJECT_MANAGE)
def statistics_import(request: HttpRequest) -> HttpResponse:
    year, month = month_parameter(request.POST, "month", label=_("月份")) or rules.previous_month(clock.today())
    content, name = _upload(request)
    report = services.statistics_list_import(actor=_user(request), content=content, file_name=name, year=year,
                                             month=month)
    return _import_page(request, report, title=_("入库清单导入"), back=reverse("projects:statistics"))


@permission_page(Action.PROJECT_MANAGE)
def statistics_template(request: HttpRequest) -> HttpResponse:
    year, month = _month(request)
    projects = selectors.projects_visible_to(request.user).filter(actual_start__isnull=False).order_by("code")
    content = files.statistics_list_template(year=year, month=month, projects=projects.values_list("code", "name"))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="statistics-list-{year}-{month:02d}.xlsx"'
    return response


@permission_page(Action.PROJECT_MANAGE)
def library(request: HttpRequest) -> HttpResponse:
    """The project office's library import: the template and the upload (all rows or none)."""
    return render(request, "projects/library.html", {})


@permission_page(Action.PROJECT_MANAGE)
def library_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(files.project_library_template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="project-library.xlsx"'
    return response


@require_POST
@permission_page(Action.PROJECT_MANAGE)
def library_import(request: HttpRequest) -> HttpResponse:
    content, name = _upload(request)
    report = services.project_library_import(actor=_user(request), content=content, file_name=name)
    return _import_page(request, report, title=_("项目库导入"), back=reverse("projects:library"))


@permission_page(Action.PROJECT_VIEW)
def export_xlsx(request: HttpRequest) -> HttpResponse:
    year, month = _month(request)
    projects = selectors.projects_filtered(selectors.projects_visible_to(request.user), _dispatch_filter(request))
    response = HttpResponse(files.project_list_xlsx(selectors.export_rows(projects, year=year, month=month)),
                            content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="projects-{year}-{month:02d}.xlsx"'
    return response


@permission_page(Action.PROJECT_VIEW)
def export_oc4ids(request: HttpRequest) -> HttpResponse:
    projects = selectors.projects_filtered(selectors.projects_visible_to(request.user), _dispatch_filter(request))
    package = selectors.oc4ids_package(projects, uri=request.build_absolute_uri())
    response = HttpResponse(files.oc4ids_json(package), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="projects-oc4ids.json"'
    return response


@page_guard
def livelihood(request: HttpRequest) -> HttpResponse:
    """Public: the year's 民生实事, what was promised and how far it is (no personal data, no sign-in)."""
    years = selectors.livelihood_years()
    year = year_parameter(request.GET, "year", default=years[0] if years else clock.today().year, label=_("年度"))
    assert year is not None  # noqa: S101 - a default is given
    return render(request, "projects/livelihood.html", {"items": selectors.livelihood_public(year=year),
                                                        "year": year, "years": years})

