"""Pages of the indicators app (thin: parse, check permission, call a service or selector, render)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhili.accounts.permissions import Action, user_can
from zhili.core.errors import ApplicationError, NotFoundError
from zhili.core.uploads import upload_read_limited
from zhili.indicators import reports, selectors, services
from zhili.indicators.evaluation import Status
from zhili.indicators.models import (
    Direction,
    Indicator,
    IndicatorDraft,
    IndicatorKind,
    Plan,
    QualitativeStatus,
)
from zhili.indicators.platform_metrics import platform_metric_choices
from zhili.indicators.spreadsheets import parse_number, plan_template_workbook

if TYPE_CHECKING:
    from zhili.accounts.models import User

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


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


def _check(request: HttpRequest, action: Action, plan: Plan | None = None) -> None:
    if not user_can(request.user, action, plan):
        raise PermissionDenied(_("您没有权限执行此操作。如需办理，请联系管理员调整角色或管辖范围。"))


def _actor(request: HttpRequest) -> User:
    """The signed-in user (views are behind ``login_required``)."""
    return cast("User", request.user)


def _year(request: HttpRequest, plan: Plan) -> int:
    raw = request.GET.get("year", "")
    if raw.isdigit() and int(raw) in plan.years:
        return int(raw)
    return selectors.default_year(plan)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _permissions(request: HttpRequest, plan: Plan) -> dict[str, bool]:
    return {
        "can_edit": user_can(request.user, Action.INDICATOR_EDIT, plan),
        "can_report": user_can(request.user, Action.INDICATOR_REPORT, plan),
    }


@login_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    _check(request, Action.INDICATOR_VIEW)
    plans = [plan for plan in selectors.plan_list() if user_can(request.user, Action.INDICATOR_VIEW, plan)]
    return render(request, "indicators/plan_list.html", {"plans": plans})


@login_required
@require_GET
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(plan_id)
    _check(request, Action.INDICATOR_VIEW, plan)
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
    _check(request, Action.INDICATOR_VIEW, plan)
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
    })


@login_required
@require_POST
def observation_add(request: HttpRequest, indicator_id: int) -> HttpResponse:
    indicator = _indicator_or_404(indicator_id)
    _check(request, Action.INDICATOR_EDIT, indicator.plan)
    target = reverse("indicators:indicator_detail", args=[indicator.pk])
    try:
        year_text = request.POST.get("year", "").strip()
        if not year_text.isdigit():
            raise ApplicationError("observation_year_invalid", _("年份“%(year)s”无效，请填写四位年份。") % {"year": year_text})
        try:
            value = parse_number(request.POST.get("value") or None, unit=indicator.value_unit)
        except ValueError as error:
            raise ApplicationError("observation_value_not_number", _("“%(value)s”不是数字。请只填写数字，不带单位和文字。")
                                   % {"value": request.POST.get("value")}) from error
        quarter_text = request.POST.get("quarter", "0") or "0"
        result = services.observation_record(
            indicator=indicator, year=int(year_text), value=value,
            quarter=int(quarter_text) if quarter_text.isdigit() else 99,
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
    return redirect(f"{target}?year={year_text}")


@login_required
@require_POST
def indicator_bind_metric(request: HttpRequest, indicator_id: int) -> HttpResponse:
    indicator = _indicator_or_404(indicator_id)
    _check(request, Action.INDICATOR_EDIT, indicator.plan)
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
    _check(request, Action.INDICATOR_EDIT, plan)
    return _download(plan_template_workbook(plan), XLSX_TYPE, f"{plan.code}-template.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def plan_upload(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(plan_id)
    _check(request, Action.INDICATOR_EDIT, plan)
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
    _check(request, Action.INDICATOR_EDIT, plan)
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
    _check(request, Action.INDICATOR_EDIT, plan)
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
    return render(request, "indicators/plan_drafts.html", {
        "plan": plan, "drafts": selectors.plan_drafts(plan), "kinds": IndicatorKind.choices,
        "directions": Direction.choices, "groups": plan.groups.order_by("position"),
    })


@login_required
@require_POST
def draft_decide(request: HttpRequest, draft_id: int) -> HttpResponse:
    _check(request, Action.INDICATOR_EDIT)  # refuse before saying whether the draft exists
    draft = IndicatorDraft.objects.select_related("plan").filter(pk=draft_id).first()
    if draft is None:
        messages.error(request, _("找不到该草稿。"))
        return redirect("indicators:plan_list")
    _check(request, Action.INDICATOR_EDIT, draft.plan)
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


@login_required
@require_GET
def plan_report(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(plan_id)
    _check(request, Action.INDICATOR_REPORT, plan)
    year = _year(request, plan)
    stage = request.GET.get("stage", "midterm")
    if stage not in reports.REPORT_STAGES:
        stage = "midterm"
    if request.GET.get("format") == "xlsx":
        return _download(reports.evaluation_report_xlsx(plan, year, stage), XLSX_TYPE,
                         reports.report_filename(plan, stage, year, "xlsx"))
    return _download(reports.evaluation_report_docx(plan, year, stage), DOCX_TYPE,
                     reports.report_filename(plan, stage, year, "docx"))
