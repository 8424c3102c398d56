"""Pages of the indicators app (thin: parse, check permission, call a service or selector, render)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhili.accounts.permissions import Action, require, user_can
from zhili.core import clock
from zhili.core.errors import ApplicationError, NotFoundError
from zhili.core.parameters import identifier_parameter, integer_parameter, year_parameter
from zhili.core.spreadsheets import table_xlsx
from zhili.core.uploads import upload_read_limited
from zhili.indicators import selectors, services
from zhili.indicators.evaluation import Status
from zhili.indicators.files import reports as report_files
from zhili.indicators.files.plan_workbook import parse_number, plan_template_workbook
from zhili.indicators.models import (
    Direction,
    EvaluationReport,
    Indicator,
    IndicatorDraft,
    IndicatorKind,
    Plan,
    QualitativeStatus,
    ReportStage,
    ReportStatus,
)
from zhili.indicators.platform_metrics import platform_metric_choices
from zhili.indicators.rules import data_deadline_for, data_year_for

if TYPE_CHECKING:
    from zhili.accounts.models import User

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"


def _plan_or_404(plan_id: int) -> Plan:
    try:
        return selectors.plan_get(plan_id=plan_id)
    except NotFoundError as error:
        raise Http404(error.message) from error


def _indicator_or_404(indicator_id: int) -> Indicator:
    try:
        return selectors.indicator_get(indicator_id=indicator_id)
    except NotFoundError as error:
        raise Http404(error.message) from error


def _actor(request: HttpRequest) -> User:
    """The signed-in user (views are behind ``login_required``)."""
    return cast("User", request.user)


def _year(request: HttpRequest, plan: Plan) -> int:
    """The year asked for when it lies in the plan, else the plan's default; a malformed year is a 400."""
    year = year_parameter(request.GET, "year", label=_("年份"))
    return year if year is not None and year in plan.years else selectors.default_year(plan)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    if filename.isascii():
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _wants_xlsx(request: HttpRequest) -> bool:
    return request.GET.get("format") == "xlsx"


def _permissions(request: HttpRequest, plan: Plan) -> dict[str, bool]:
    return {
        "can_edit": user_can(request.user, Action.INDICATOR_EDIT, plan),
        "can_report": user_can(request.user, Action.INDICATOR_REPORT, plan),
    }


@login_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.INDICATOR_VIEW)
    plans = [plan for plan in selectors.plan_list() if user_can(request.user, Action.INDICATOR_VIEW, plan)]
    if _wants_xlsx(request):
        content = table_xlsx(_("规划列表"), [_("规划代码"), _("规划名称"), _("基期年"), _("目标年"), _("指标数")], [
            (plan.code, plan.name, plan.base_year, plan.target_year, getattr(plan, "indicator_count", 0))
            for plan in plans])
        return _download(content, XLSX_TYPE, "plans.xlsx")
    return render(request, "indicators/plan_list.html", {"plans": plans})


@login_required
@require_GET
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(plan_id)
    require(request.user, Action.INDICATOR_VIEW, plan)
    year = _year(request, plan)
    evaluation = selectors.plan_evaluation(plan, year)
    context: dict[str, Any] = {"plan": plan, "year": year, "evaluation": evaluation, "statuses": list(Status),
                               **_permissions(request, plan)}
    if getattr(request, "htmx", False):
        return render(request, "indicators/plan_detail.html#overview", context)
    return render(request, "indicators/plan_detail.html", context)


@login_required
@require_GET
def indicator_detail(request: HttpRequest, indicator_id: int) -> HttpResponse:
    indicator = _indicator_or_404(indicator_id)
    plan = indicator.plan
    require(request.user, Action.INDICATOR_VIEW, plan)
    year = _year(request, plan)
    detail = selectors.indicator_detail(indicator, year)
    chart = detail.chart
    chart_data = {
        "years": chart.years, "actual": chart.actual, "expected": chart.expected, "projection": chart.projection,
        "target": chart.target, "valueLabel": chart.value_label, "name": indicator.name,
        "unit": "" if indicator.kind == IndicatorKind.GROWTH else indicator.unit,
        "selectedYear": year,
        "labels": {"actual": _("实际值"), "expected": _("序时进度路径"), "projection": _("趋势预测"), "target": _("目标值")},
    }
    return render(request, "indicators/indicator_detail.html", {
        "plan": plan, "indicator": indicator, "year": year, "detail": detail, "chart_data": chart_data,
        "qualitative_choices": QualitativeStatus.choices, "metric_choices": platform_metric_choices(),
        "is_qualitative": indicator.kind == IndicatorKind.QUALITATIVE, **_permissions(request, plan),
        "revision_years": plan.years,
    })


@login_required
@require_POST
def observation_add(request: HttpRequest, indicator_id: int) -> HttpResponse:
    indicator = _indicator_or_404(indicator_id)
    require(request.user, Action.INDICATOR_EDIT, indicator.plan)
    target = reverse("indicators:indicator_detail", args=[indicator.pk])
    year = year_parameter(request.POST, "year", label=_("年份"))  # malformed: a 400 before anything is written
    quarter = integer_parameter(request.POST, "quarter", default=0, minimum=0, maximum=4, label=_("季度"))
    try:
        if year is None:
            raise ApplicationError("observation_year_invalid", _("请填写四位年份。"))
        try:
            value = parse_number(request.POST.get("value") or None, unit=indicator.value_unit)
        except ValueError as error:
            raise ApplicationError("observation_value_not_number", _("“%(value)s”不是数字。请只填写数字，不带单位和文字。")
                                   % {"value": request.POST.get("value")}) from error
        result = services.observation_record(
            indicator=indicator, year=year, value=value, quarter=quarter or 0,
            qualitative_status=request.POST.get("qualitative_status", ""), source=request.POST.get("source", "")[:120],
            evidence=request.POST.get("evidence", ""), note=request.POST.get("note", "")[:200], actor=_actor(request),
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(target)
    if result.unchanged:
        messages.info(request, _("数值与现有记录相同，未新增版本。"))
    else:
        messages.success(request, _("已保存（%(kind)s）。") % {"kind": _("修订") if result.revised else _("新增")})
    return redirect(f"{target}?year={year}")


@login_required
@require_POST
def indicator_bind_metric(request: HttpRequest, indicator_id: int) -> HttpResponse:
    indicator = _indicator_or_404(indicator_id)
    require(request.user, Action.INDICATOR_EDIT, indicator.plan)
    try:
        services.indicator_bind_platform_metric(indicator=indicator, metric_name=request.POST.get("metric", ""),
                                                actor=_actor(request))
        messages.success(request, _("已更新平台数据来源。"))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("indicators:indicator_detail", indicator_id=indicator.pk)


@login_required
@require_GET
def plan_template(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(plan_id)
    require(request.user, Action.INDICATOR_EDIT, plan)
    return _download(plan_template_workbook(plan), XLSX_TYPE, f"{plan.code}-template.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def plan_upload(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(plan_id)
    require(request.user, Action.INDICATOR_EDIT, plan)
    context: dict[str, Any] = {"plan": plan, "problems": []}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择要上传的 .xlsx 或 .xls 文件。"))
        else:
            try:
                result = services.plan_workbook_import(plan=plan, stream=io.BytesIO(upload_read_limited(upload)),
                                                       actor=_actor(request), file_name=upload.name or "",
                                                       confirm_warnings=request.POST.get("confirm_jumps") == "on")
            except ApplicationError as error:
                messages.error(request, error.message)
                context["problems"] = error.details.get("problems", [])
                context["warnings"] = error.details.get("warnings", [])
                context["conversions"] = error.details.get("conversions", [])
            else:
                observations = result.observations
                messages.success(request, _(
                    "导入完成：新增%(created)s个数值，修订%(revised)s个，未变%(unchanged)s个；更新指标%(updated)s项。"
                ) % {"created": observations.created, "revised": observations.revised,
                     "unchanged": observations.unchanged, "updated": result.indicators_updated})
                for conversion in result.conversions:
                    messages.info(request, conversion)
                return redirect("indicators:plan_detail", plan_id=plan.pk)
    return render(request, "indicators/plan_upload.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def plan_paste(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(plan_id)
    require(request.user, Action.INDICATOR_EDIT, plan)
    context: dict[str, Any] = {"plan": plan, "problems": [], "text": ""}
    if request.method == "POST":
        text = request.POST.get("text", "")
        context["text"] = text
        try:
            created = services.indicators_import_pasted(plan=plan, text=text, actor=_actor(request))
        except ApplicationError as error:
            messages.error(request, error.message)
            context["problems"] = error.details.get("problems", [])
        else:
            messages.success(request, _("已导入%(count)s项指标，类型为系统推断，请逐项核对。") % {"count": len(created)})
            return redirect("indicators:plan_detail", plan_id=plan.pk)
    return render(request, "indicators/plan_paste.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def plan_drafts(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(plan_id)
    require(request.user, Action.INDICATOR_EDIT, plan)
    if request.method == "POST":
        text = request.POST.get("text", "")
        upload = request.FILES.get("file")
        try:
            if upload is not None:
                text = upload_read_limited(upload).decode("utf-8", errors="replace")
            drafts = services.indicator_drafts_create_from_document(plan=plan, text=text, actor=_actor(request))
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("从文档中抽取出%(count)s条目标，请逐条审核。") % {"count": len(drafts)})
        return redirect("indicators:plan_drafts", plan_id=plan.pk)
    if _wants_xlsx(request):
        content = table_xlsx(_("指标草稿"), [_("指标名称"), _("目标表述"), _("单位"), _("类型"), _("状态"), _("原文")], [
            (draft.name, draft.target_text, draft.unit, draft.get_kind_display(), draft.get_status_display(), draft.quote)
            for draft in selectors.plan_drafts(plan)])
        return _download(content, XLSX_TYPE, f"{plan.code}-drafts.xlsx")
    return render(request, "indicators/plan_drafts.html", {
        "plan": plan, "drafts": selectors.plan_drafts(plan), "kinds": IndicatorKind.choices,
        "directions": Direction.choices, "groups": plan.groups.order_by("position"),
    })


@login_required
@require_POST
def draft_decide(request: HttpRequest, draft_id: int) -> HttpResponse:
    require(request.user, Action.INDICATOR_EDIT)  # refuse before saying whether the draft exists
    draft = IndicatorDraft.objects.select_related("plan").filter(pk=draft_id).first()
    if draft is None:
        messages.error(request, _("找不到该草稿。"))
        return redirect("indicators:plan_list")
    require(request.user, Action.INDICATOR_EDIT, draft.plan)
    try:
        if request.POST.get("decision") == "accept":
            indicator = services.indicator_draft_accept(
                draft=draft, actor=_actor(request), name=request.POST.get("name") or None,
                kind=request.POST.get("kind") or None, direction=request.POST.get("direction") or None,
                group_name=request.POST.get("group", ""),
            )
            messages.success(request, _("已采纳为指标“%(name)s”。") % {"name": indicator.name})
        else:
            services.indicator_draft_reject(draft=draft, actor=_actor(request))
            messages.success(request, _("已驳回。"))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("indicators:plan_drafts", plan_id=draft.plan_id)


def _stage(request: HttpRequest) -> str:
    stage = request.GET.get("stage") or request.POST.get("stage") or ReportStage.MIDTERM
    return stage if stage in ReportStage.values else ReportStage.MIDTERM


def _report_year(request: HttpRequest, plan: Plan, stage: str) -> int:
    year = year_parameter(request.GET, "year", label=_("年份")) or year_parameter(request.POST, "year", label=_("年份"))
    if year is not None and year in plan.years:
        return year
    if stage == ReportStage.FINAL:
        return plan.target_year
    return selectors.default_year(plan)


@login_required
@require_GET
def plan_report(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Quick downloads: the evaluation workbook, or the generated report as it would be now (not saved)."""
    plan = _plan_or_404(plan_id)
    require(request.user, Action.INDICATOR_REPORT, plan)
    stage = _stage(request)
    year = _report_year(request, plan, stage)
    if request.GET.get("format") == "xlsx":
        return _download(report_files.evaluation_report_xlsx(plan, year, stage), XLSX_TYPE,
                         f"{plan.code}-{stage}-{year}.xlsx")
    preview = EvaluationReport(plan=plan, stage=stage, year=year, version=0, status=ReportStatus.DRAFT,
                               sections=selectors.report_sections_generated(plan, stage, year))
    return _download(report_files.evaluation_report_docx(preview), DOCX_TYPE, f"{plan.code}-{stage}-{year}.docx")


@login_required
@require_http_methods(["GET", "POST"])
def report_workspace(request: HttpRequest, plan_id: int) -> HttpResponse:
    """A stage's report: its versions, the latest one's narrative to edit, issue and download."""
    plan = _plan_or_404(plan_id)
    require(request.user, Action.INDICATOR_REPORT, plan)
    stage = _stage(request)
    year = _report_year(request, plan, stage)
    here = f"{reverse('indicators:report_workspace', args=[plan.pk])}?stage={stage}&year={year}"
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "generate":
                report = services.evaluation_report_generate(plan=plan, stage=stage, year=year, actor=_actor(request))
                messages.success(request, _("已根据最新数据生成第%(version)s版（草稿），请审阅和修改文字。")
                                 % {"version": report.version})
            else:
                report = _report_of_plan(identifier_parameter(request.POST, "report", label=_("报告")), plan)
                if action == "save":
                    texts = {key.removeprefix("section-"): request.POST.get(key, "") for key in request.POST
                             if key.startswith("section-")}
                    result = services.evaluation_report_edit(report=report, texts=texts, actor=_actor(request))
                    if result.new_version:
                        messages.warning(request, _(
                            "第%(old)s版已印发，不能修改；您的修改已另存为第%(new)s版（草稿），第%(old)s版保持不变。")
                            % {"old": report.version, "new": result.report.version})
                    else:
                        messages.success(request, _("已保存第%(version)s版的修改。") % {"version": report.version})
                elif action == "issue":
                    services.evaluation_report_issue(report=report, actor=_actor(request))
                    messages.success(request, _("第%(version)s版已印发。") % {"version": report.version})
                else:
                    messages.error(request, _("未知的操作，请重新提交。"))
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect(here)
    versions = list(selectors.report_versions(plan, stage, year))
    return render(request, "indicators/report_workspace.html", {
        "plan": plan, "stage": stage, "stage_label": ReportStage(stage).label, "year": year, "versions": versions,
        "current": versions[0] if versions else None, "stages": ReportStage.choices,
    })


def _report_of_plan(report_id: int | None, plan: Plan) -> EvaluationReport:
    if report_id is None:
        raise ApplicationError("report_not_found", _("找不到该评估报告版本。请刷新页面后重试。"))
    try:
        report = selectors.report_get(report_id=report_id)
    except NotFoundError as error:
        raise ApplicationError(error.code, error.message) from error
    if report.plan_id != plan.pk:
        raise ApplicationError("report_not_found", _("找不到该评估报告版本。请刷新页面后重试。"))
    return report


@login_required
@require_GET
def report_download(request: HttpRequest, report_id: int, file_format: str) -> HttpResponse:
    require(request.user, Action.INDICATOR_REPORT)  # refuse before saying whether the report exists
    try:
        report = selectors.report_get(report_id=report_id)
    except NotFoundError as error:
        raise Http404(error.message) from error
    require(request.user, Action.INDICATOR_REPORT, report.plan)
    content = report_files.evaluation_report_docx(report)
    if file_format == "pdf":
        try:
            pdf = report_files.docx_to_pdf(content, stem=f"report-{report.pk}")
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect(f"{reverse('indicators:report_workspace', args=[report.plan_id])}"
                            f"?stage={report.stage}&year={report.year}")
        return _download(pdf, PDF_TYPE, report_files.report_filename(report, "pdf"))
    return _download(content, DOCX_TYPE, report_files.report_filename(report, "docx"))


@login_required
@require_POST
def target_revise(request: HttpRequest, indicator_id: int) -> HttpResponse:
    indicator = _indicator_or_404(indicator_id)
    require(request.user, Action.INDICATOR_EDIT, indicator.plan)
    target = reverse("indicators:indicator_detail", args=[indicator.pk])
    try:
        raw_value = request.POST.get("target_value", "").strip()
        try:
            value = parse_number(raw_value or None, unit=indicator.unit)
        except ValueError as error:
            raise ApplicationError("target_revision_value_not_number",
                                   _("“%(value)s”不是数字。请只填写数字，不带单位和文字。") % {"value": raw_value}) from error
        year = year_parameter(request.POST, "effective_from_year", label=_("起始适用年份"))
        if year is None:
            raise ApplicationError("target_revision_year_invalid", _("请选择起始适用年份。"))
        services.target_revision_record(
            indicator=indicator, target_value=value, effective_from_year=year,
            decision_reference=request.POST.get("decision_reference", ""),
            target_text=request.POST.get("target_text", ""), reason=request.POST.get("reason", ""),
            actor=_actor(request),
        )
        messages.success(request, _("已登记目标调整，自%(year)s年起按新目标评估，此前年份仍按原目标。") % {"year": year})
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(target)


@login_required
@require_GET
def plan_departments(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Progress by responsible department: status counts, lagging and missing indicators, the deadline."""

    plan = _plan_or_404(plan_id)
    require(request.user, Action.INDICATOR_VIEW, plan)
    year = _year(request, plan)
    departments = selectors.plan_progress_by_department(plan, year)
    if _wants_xlsx(request):
        rows = [(department.department, row.indicator.number, row.indicator.name,
                 row.indicator.get_attribute_display(), row.evaluation.status.label,
                 row.evaluation.reason_message or "") for department in departments for row in department.rows]
        content = table_xlsx(_("%(year)s年分部门进度") % {"year": year},
                                   [_("责任部门"), _("序号"), _("指标"), _("属性"), _("状态"), _("说明")], rows)
        return _download(content, XLSX_TYPE, f"{plan.code}-departments-{year}.xlsx")

    today = clock.today()
    data_year = data_year_for(today, plan.data_deadline_month, plan.data_deadline_day)
    deadline = data_deadline_for(data_year, plan.data_deadline_month, plan.data_deadline_day)
    return render(request, "indicators/plan_departments.html", {
        "plan": plan, "year": year, "departments": departments, "statuses": list(Status),
        "data_year": data_year, "deadline": deadline, "days_left": (deadline - today).days,
        "missing": selectors.missing_data_by_department(plan, data_year),
    })
