"""Pages of the enterprises app (thin: parse, call a service or selector, render)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhili.accounts.models import User
from zhili.accounts.pages import permission_page
from zhili.accounts.permissions import Action, user_can
from zhili.core import clock
from zhili.core.errors import ApplicationError, PermissionDeniedError
from zhili.core.parameters import (
    date_parameter,
    identifier_parameter,
    integer_parameter,
    number_parameter,
    number_value,
    year_parameter,
)
from zhili.core.spreadsheets import table_xlsx
from zhili.core.uploads import upload_read_limited
from zhili.enterprises import exports, selectors, services
from zhili.enterprises.demo import demo_source_files
from zhili.enterprises.engine import NOT_RATED_REASON_LABELS
from zhili.enterprises.industry import industry_label
from zhili.enterprises.models import (
    Enterprise,
    EvaluationResult,
    EvaluationRun,
    EvaluationScheme,
    ImportBatch,
    LandCategory,
    MeasureStatus,
    Objection,
    ObjectorKind,
    PolicyMeasure,
    PolicyMeasureKind,
    PolicyTable,
    SourceKind,
)
from zhili.enterprises.presets import DEFAULT_POLICY_TABLE, PRESETS
from zhili.enterprises.rules import RESOURCES, policy_table_parse
from zhili.enterprises.scheme import DATA_FIELDS, INDICATOR_CATALOGUE
from zhili.geo.selectors import area_by_code, areas_for_map

_RESULT_KEY = re.compile(r"category-[0-9]{1,18}")  # a D-list row's form field: category-<result id>
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _download(content: bytes, file_name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file_name)}"
    return response


def _when(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone(clock.CHINA_TIME_ZONE).strftime("%Y-%m-%d %H:%M")


def _published_or_latest(year: int | None = None) -> EvaluationRun | None:
    return selectors.run_published_latest(year=year) or EvaluationRun.objects.order_by("-year", "-version").first()


# ---------------------------------------------------------------- home


@permission_page(Action.ENTERPRISE_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    run = _published_or_latest()
    context: dict[str, Any] = {
        "run": run, "runs": selectors.runs_recent(8), "batches": selectors.import_batches_recent(5),
        "can_import": user_can(user, Action.ENTERPRISE_IMPORT),
        "can_evaluate": user_can(user, Action.ENTERPRISE_EVALUATE),
        "enterprise_count": selectors.enterprises_in_scope(user).count(),
    }
    if run is not None:
        results = selectors.results_for_user(run, user)
        context["classes"] = selectors.class_distribution(results)
        context["movement"] = selectors.class_movement(results)
    return render(request, "enterprises/home.html", context)


# ---------------------------------------------------------------- registry and profile


@permission_page(Action.ENTERPRISE_VIEW)
def enterprise_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    enterprises = selectors.enterprises_in_scope(_user(request)).select_related("grid", "zone")
    if query:
        enterprises = enterprises.filter(Q(name__icontains=query) | Q(credit_code__icontains=query.upper()))
    if request.GET.get("format") == "xlsx":
        content = table_xlsx(_("企业名录"), [_("统一社会信用代码"), _("企业名称"), _("行业代码"), _("规模"),
                                                 _("用地(亩)"), _("网格"), _("开发区"), _("投产年份"), _("状态")], [
            (enterprise.credit_code, enterprise.name, enterprise.industry_code, enterprise.get_scale_display(),
             enterprise.land_area_mu, enterprise.grid.name if enterprise.grid else "",
             enterprise.zone.name if enterprise.zone else "", enterprise.production_start_year,
             enterprise.get_status_display()) for enterprise in enterprises.order_by("name")])
        return _download(content, "企业名录.xlsx", XLSX)
    page = Paginator(enterprises.order_by("name"), 50).get_page(request.GET.get("page"))
    return render(request, "enterprises/enterprise_list.html", {"page": page, "query": query})


def _enterprise_for(request: HttpRequest, credit_code: str) -> Enterprise:
    return get_object_or_404(selectors.enterprises_in_scope(_user(request)), credit_code=credit_code)


@permission_page(Action.ENTERPRISE_VIEW)
def enterprise_profile(request: HttpRequest, credit_code: str) -> HttpResponse:
    enterprise = _enterprise_for(request, credit_code)
    if not user_can(request.user, Action.ENTERPRISE_VIEW, enterprise):
        raise PermissionDeniedError("permission_denied", _("该企业不在您的管辖范围内。"))
    results = list(selectors.enterprise_results(enterprise))
    year_values = [
        (year, [(DATA_FIELDS.get(value.field, (value.field, ""))[0], DATA_FIELDS.get(value.field, ("", ""))[1],
                 figure_display(value.field, value.value), value)
                for value in values])
        for year, values in selectors.enterprise_year_values(enterprise).items()
    ]
    objections = Objection.objects.filter(result__enterprise=enterprise).select_related(
        "result__run", "resolution_run", "objector_area")
    latest = results[0] if results else None
    state = selectors.run_state(latest.run) if latest else ""

    return render(request, "enterprises/enterprise_profile.html", {
        "enterprise": enterprise, "industry": industry_label(enterprise.industry_code), "results": results,
        "latest": latest, "year_values": year_values, "objections": objections,
        "parcels": enterprise.parcels.all(), "reason_labels": NOT_RATED_REASON_LABELS,
        "site_shares": enterprise.site_shares.select_related("site"),
        "policy": selectors.enterprise_policy_effect(latest) if latest else None,
        "latest_state": _(selectors.RUN_STATE_LABELS[state]) if state else "", "objection_open": state == "objection_window",
        "objector_kinds": ObjectorKind.choices,
        "streets": areas_for_map("street"),
        "correction_fields": [(key, label, unit) for key, (label, unit) in DATA_FIELDS.items()],
        "can_evaluate": user_can(request.user, Action.ENTERPRISE_EVALUATE),
        "can_publish": user_can(request.user, Action.ENTERPRISE_PUBLISH),
    })


_FLAG_FIELDS = frozenset({"high_tech", "major_safety_incident", "major_environment_incident"})
_COUNT_FIELDS = frozenset({"employees", "environmental_penalties"})


def figure_display(field_name: str, value: float) -> str:
    """A figure as a person reads it: flags as 是/否, head counts and counts as whole numbers."""
    if field_name in _FLAG_FIELDS:
        return _("是") if value > 0 else _("否")
    if field_name in _COUNT_FIELDS and float(value).is_integer():
        return str(int(value))
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return text or "0"


@permission_page(Action.ENTERPRISE_VIEW)
def enterprise_sheet(request: HttpRequest, result_id: int, file_format: str) -> HttpResponse:
    result = get_object_or_404(EvaluationResult.objects.select_related("enterprise", "run", "run__scheme"),
                               pk=result_id)
    if not user_can(request.user, Action.ENTERPRISE_VIEW, result):
        raise PermissionDeniedError("permission_denied", _("该企业不在您的管辖范围内。"))
    stem = f"{result.run.year}年度评价表-{result.enterprise.name}"
    if file_format == "docx":
        return _download(exports.enterprise_sheet_docx(result), f"{stem}.docx", DOCX)
    return _download(exports.enterprise_sheet_xlsx(result), f"{stem}.xlsx", XLSX)


# ---------------------------------------------------------------- import


@permission_page(Action.ENTERPRISE_IMPORT)
def import_page(request: HttpRequest) -> HttpResponse:
    slots = range(3)
    if request.method == "POST":
        year = year_parameter(request.POST, "year", label=_("数据年度"))  # blank: read from the files
        uploads = []
        try:
            for slot in slots:
                upload = request.FILES.get(f"file_{slot}")
                if upload is None:
                    continue
                uploads.append(services.SourceFileUpload(file_name=upload.name or "",
                                                         content=upload_read_limited(upload),
                                                         source_kind=request.POST.get(f"source_{slot}", "")))
            batch = services.import_batch_stage(actor=_user(request), year=year, files=uploads,
                                                confirm_year_mismatch=request.POST.get("confirm_year") == "on")
        except ApplicationError as error:
            # a refused file: the form again with the reason (400), nothing staged
            messages.error(request, error.message)
            return _import_page(request, status=400)
        messages.success(request, _("文件已暂存，请审核关联报告；接受前数据不会入库。"))
        return redirect("enterprises:import_batch", batch_id=batch.pk)
    return _import_page(request)


def _import_page(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    default_kinds = [SourceKind.TAX, SourceKind.ENERGY, SourceKind.ENVIRONMENT]
    return render(request, "enterprises/import.html", {
        "slots": [(slot, default_kinds[slot]) for slot in range(3)], "source_kinds": SourceKind.choices,
        "batches": selectors.import_batches_recent(10),
    }, status=status)


_PROBLEM_LABELS = {
    "invalid_code": "信用代码无效", "unknown_enterprise": "名录中无此企业", "duplicate_in_file": "文件内重复",
    "invalid_number": "数值无法识别", "negative_value": "数值为负", "conflicts": "来源间冲突",
    "warning_tax_negative": "税收为负（退税）", "warning_land_zero": "用地为0", "warning_name_mismatch": "名称不一致",
}


@permission_page(Action.ENTERPRISE_IMPORT)
def import_batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(ImportBatch.objects.select_related("created_by", "decided_by"), pk=batch_id)
    problem_filter = request.GET.get("problem", "")
    rows = [row for row in
            selectors.staged_rows_with_findings(batch) if not problem_filter or problem_filter in row.codes]
    if request.GET.get("format") == "xlsx":
        content = table_xlsx(_("关联报告问题与提示"), [_("文件"), _("行"), _("信用代码"), _("名称"), _("问题（不入库）"),
                                                         _("提示")], [
            (row.file_name, row.row.row_number, row.row.credit_code, row.row.name,
             "；".join(problem["message"] for problem in row.row.problems),
             "；".join(warning["message"] for warning in row.row.warnings)) for row in rows])
        return _download(content, f"关联报告-{batch.pk}.xlsx", XLSX)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    counts = batch.report.get("counts", {})
    enterprise_names = dict(Enterprise.objects.filter(
        pk__in={conflict["enterprise_id"] for conflict in batch.report.get("conflicts", [])}).values_list("pk", "name"))
    conflicts = [{**conflict, "enterprise_name": enterprise_names.get(conflict["enterprise_id"], ""),
                  "field_label": DATA_FIELDS.get(conflict["field"], (conflict["field"], ""))[0]}
                 for conflict in batch.report.get("conflicts", [])[:200]]
    source_files = [(source_file, [DATA_FIELDS.get(name, (name, ""))[0] for name in source_file.fields])
                    for source_file in batch.files.all()]
    return render(request, "enterprises/import_batch.html", {
        "batch": batch, "files": source_files, "counts": counts, "page": page, "conflicts": conflicts,
        "problem_filter": problem_filter,
        "finding_counts": [(code, label, counts.get(code, 0)) for code, label in _PROBLEM_LABELS.items()],
    })


@require_POST
@permission_page(Action.ENTERPRISE_IMPORT)
def import_batch_decide(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(ImportBatch, pk=batch_id)
    try:
        if request.POST.get("decision") == "accept":
            batch = services.import_batch_accept(actor=_user(request), batch=batch)
            messages.success(request, _("已接受关联报告，%(count)d项数据已入库（每项数据均保留来源）。")
                             % {"count": batch.report.get("counts", {}).get("values", 0)})
        else:
            services.import_batch_discard(actor=_user(request), batch=batch)
            messages.success(request, _("已放弃该批次，没有数据入库。"))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("enterprises:import_batch", batch_id=batch.pk)


@permission_page(Action.ENTERPRISE_IMPORT)
def demo_files(request: HttpRequest) -> HttpResponse:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file_name, content, _kind in demo_source_files():
            archive.writestr(file_name, content)
    return _download(buffer.getvalue(), "演示来源文件.zip", "application/zip")


# ---------------------------------------------------------------- schemes and runs


@permission_page(Action.ENTERPRISE_VIEW)
def scheme_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not user_can(request.user, Action.ENTERPRISE_EVALUATE):
            raise PermissionDeniedError("permission_denied", _("您没有权限修改评价方案。"))
        try:
            preset = request.POST.get("preset", "")
            config = PRESETS[preset] if preset in PRESETS else json.loads(request.POST.get("config", "") or "null")
            scheme = services.scheme_save(
                actor=_user(request), code=request.POST.get("code", "").strip() or preset or "custom",
                name=request.POST.get("name", "").strip(),
                year=year_parameter(request.POST, "year", label=_("适用年度")) or 0,
                config=config,
            )
            messages.success(request, _("已保存评价方案 %(scheme)s。") % {"scheme": scheme})
        except (ValueError, json.JSONDecodeError):
            messages.error(request, _("方案配置不是有效的JSON，或年度不是数字。"))
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("enterprises:schemes")
    schemes = EvaluationScheme.objects.order_by("-year", "code", "-version")
    if request.GET.get("format") == "xlsx":
        content = table_xlsx(_("评价方案"), [_("方案代码"), _("版本"), _("名称"), _("适用年度"), _("创建时间")], [
            (scheme.code, scheme.version, scheme.name, scheme.year, _when(scheme.created_at)) for scheme in schemes])
        return _download(content, "评价方案.xlsx", XLSX)
    return render(request, "enterprises/schemes.html", {
        "schemes": schemes, "presets": [(key, _(config["name"]), json.dumps(config, ensure_ascii=False, indent=2))
                                        for key, config in PRESETS.items()],
        "can_evaluate": user_can(request.user, Action.ENTERPRISE_EVALUATE),
    })


@permission_page(Action.ENTERPRISE_VIEW)
def run_list(request: HttpRequest) -> HttpResponse:
    if request.GET.get("format") == "xlsx":
        content = table_xlsx(_("评价批次"), [_("年度"), _("版次"), _("方案"), "A", "B", "C", "D", "T", _("状态"),
                                                 _("评价人"), _("评价时间"), _("签发人"), _("签发时间"), _("异议截止")], [
            (run.year, run.version, f"{run.scheme.name} v{run.scheme.version}",
             *[run.summary.get("classes", {}).get(code, 0) for code in "ABCDT"], run.get_status_display(),
             str(run.created_by or ""), _when(run.created_at), str(run.published_by or ""), _when(run.published_at),
             _when(run.objection_deadline)) for run in selectors.runs_recent(500)])
        return _download(content, "评价批次.xlsx", XLSX)
    return render(request, "enterprises/runs.html", {
        "runs": selectors.runs_recent(50), "schemes": EvaluationScheme.objects.order_by("-year", "code", "-version"),
        "can_evaluate": user_can(request.user, Action.ENTERPRISE_EVALUATE),
        "year": selectors.data_year_latest() or (clock.today().year - 1),
    })


@require_POST
@permission_page(Action.ENTERPRISE_EVALUATE)
def run_execute(request: HttpRequest) -> HttpResponse:
    scheme = get_object_or_404(EvaluationScheme, pk=identifier_parameter(request.POST, "scheme", label=_("评价方案")) or 0)
    year = year_parameter(request.POST, "year", label=_("评价年度"))
    if year is None:
        messages.error(request, _("请填写评价年度。"))
        return redirect("enterprises:runs")
    try:
        run = services.evaluation_run_execute(actor=_user(request), year=year, scheme=scheme,
                                              reason=request.POST.get("reason", ""))
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("enterprises:runs")
    messages.success(request, _("已完成评价（%(run)s，草稿）。核对无误后请发布。") % {"run": run})
    return redirect("enterprises:run", run_id=run.pk)


def _run_or_404(run_id: int) -> EvaluationRun:
    return get_object_or_404(EvaluationRun.objects.select_related("scheme", "created_by", "published_by", "supersedes"),
                             pk=run_id)


@permission_page(Action.ENTERPRISE_VIEW)
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(run_id)
    results = selectors.results_for_user(run, _user(request))
    class_filter = request.GET.get("class", "")
    listed = results.filter(class_code=class_filter) if class_filter else results
    page = Paginator(listed.order_by("class_code", "rank", "enterprise__credit_code"), 50).get_page(
        request.GET.get("page"))
    return render(request, "enterprises/run_detail.html", {
        "run": run, "classes": selectors.class_distribution(results), "movement": selectors.class_movement(results),
        "by_industry": selectors.distribution_by_industry(results)[:15],
        "by_area": selectors.distribution_by_area(results), "page": page, "class_filter": class_filter,
        "can_publish": user_can(request.user, Action.ENTERPRISE_PUBLISH),
        "can_evaluate": user_can(request.user, Action.ENTERPRISE_EVALUATE),
        "reason_labels": NOT_RATED_REASON_LABELS,
        "state": selectors.run_state(run), "state_label": _(selectors.RUN_STATE_LABELS[selectors.run_state(run)]),
        "is_evaluator": run.created_by_id == request.user.pk,
    })


@require_POST
@permission_page(Action.ENTERPRISE_PUBLISH)
def run_publish(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(run_id)
    try:
        objection_days = integer_parameter(request.POST, "objection_days", default=services.DEFAULT_OBJECTION_DAYS,
                                           label=_("异议期天数"))  # the service says how many days are allowed
        published = services.evaluation_run_publish(actor=_user(request), run=run,
                                                    sign_off_note=request.POST.get("sign_off_note", "").strip(),
                                                    objection_days=objection_days or 0)
        messages.success(request, _("%(run)s已签发并公示，结果不可再更改；异议截止%(deadline)s，期满且异议处理完毕后生效。")
                         % {"run": run, "deadline": _when(published.objection_deadline)})
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("enterprises:run", run_id=run.pk)


@require_POST
@permission_page(Action.ENTERPRISE_EVALUATE)
def run_discard(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(run_id)
    try:
        services.evaluation_run_discard(actor=_user(request), run=run)
        messages.success(request, _("已删除草稿 %(run)s。") % {"run": run})
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("enterprises:run", run_id=run.pk)
    return redirect("enterprises:runs")


@permission_page(Action.ENTERPRISE_VIEW)
def run_export(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(run_id)
    content = exports.run_results_xlsx(run, selectors.results_for_user(run, _user(request)))
    return _download(content, f"{run.year}年度亩均评价结果-第{run.version}版.xlsx", XLSX)


@permission_page(Action.ENTERPRISE_VIEW)
def run_map(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(run_id)
    results = selectors.results_for_user(run, _user(request))
    return render(request, "enterprises/run_map.html", {
        "run": run, "map_data": selectors.map_payload(results), "classes": selectors.class_distribution(results),
        "by_area": selectors.distribution_by_area(results),
    })


@permission_page(Action.ENTERPRISE_VIEW)
def d_list(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(run_id)
    results = selectors.d_class_results(run, _user(request))
    if request.GET.get("format") == "xlsx":
        rows = []
        for result in results:
            measures = [measure for measure in result.enterprise.policy_measures.all() if measure.run_id == run.pk]
            rows.append((result.rank, result.enterprise.credit_code, result.enterprise.name,
                         None if result.total is None else round(result.total, 2), result.previous_class,
                         "；".join(result.detail.get("vetoes", [])) or "、".join(
                             item["name"] for item in result.detail.get("indicators", []) if item["effect"] == "dragged"),
                         "；".join(f"{measure.get_kind_display()}{'·' + measure.get_land_category_display() if measure.land_category else ''}"
                                  f"（{measure.get_status_display()}{'，工单' + measure.case_number if measure.case_number else ''}"
                                  f"{'，时限' + measure.due_date.isoformat() if measure.due_date else ''}）"
                                  for measure in measures)))
        content = table_xlsx(_("%(year)d年度D类企业清单") % {"year": run.year},
                                   [_("排名"), _("统一社会信用代码"), _("企业名称"), _("得分"), _("上年类别"), _("原因"),
                                    _("措施与跟踪")], rows)
        return _download(content, f"{run.year}年度D类企业清单-第{run.version}版.xlsx", XLSX)
    return render(request, "enterprises/d_list.html", {
        "run": run, "results": results,
        "measure_kinds": PolicyMeasureKind.choices, "measure_statuses": MeasureStatus.choices,
        "land_categories": LandCategory.choices,
        "can_act": user_can(request.user, Action.ENTERPRISE_EVALUATE),
    })


@require_POST
@permission_page(Action.ENTERPRISE_EVALUATE)
def d_list_tasks(request: HttpRequest, run_id: int) -> HttpResponse:
    """Turn the chosen D-class enterprises into follow-up cases on the case engine."""
    run = _run_or_404(run_id)
    tasks = [services.FollowUpTaskInput(result_id=int(key.removeprefix("category-")),
                                        land_category=request.POST.get(key, ""),
                                        note=request.POST.get(f"note-{key.removeprefix('category-')}", ""))
             for key in request.POST
             if _RESULT_KEY.fullmatch(key) and request.POST.get(key)]
    try:
        measures = services.d_class_follow_up_tasks_create(actor=_user(request), run=run, tasks=tasks)
        messages.success(request, _("已生成%(count)d个低效用地跟踪工单：%(cases)s。")
                         % {"count": len(measures), "cases": "、".join(measure.case_number for measure in measures)})
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("enterprises:d_list", run_id=run.pk)


@require_POST
@permission_page(Action.ENTERPRISE_EVALUATE)
def measure_create(request: HttpRequest, result_id: int) -> HttpResponse:
    result = get_object_or_404(EvaluationResult.objects.select_related("run", "enterprise"), pk=result_id)
    try:
        services.policy_measure_create(
            actor=_user(request), result=result, kind=request.POST.get("kind", ""),
            description=request.POST.get("description", ""),
            responsible_department=request.POST.get("responsible_department", ""),
            due_date=date_parameter(request.POST, "due_date", label=_("完成时限")),
        )
        messages.success(request, _("已为%(name)s部署差别化措施。") % {"name": result.enterprise.name})
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("enterprises:d_list", run_id=result.run_id)


@require_POST
@permission_page(Action.ENTERPRISE_EVALUATE)
def measure_follow_up(request: HttpRequest, measure_id: int) -> HttpResponse:
    measure = get_object_or_404(PolicyMeasure, pk=measure_id)
    try:
        services.policy_follow_up_record(actor=_user(request), measure=measure, note=request.POST.get("note", ""),
                                         status_after=request.POST.get("status_after", ""))
        messages.success(request, _("已记录跟踪情况。"))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("enterprises:d_list", run_id=measure.run_id)


# ---------------------------------------------------------------- objections


@require_POST
@permission_page(Action.ENTERPRISE_EVALUATE)
def objection_create(request: HttpRequest, result_id: int) -> HttpResponse:
    result = get_object_or_404(EvaluationResult.objects.select_related("run", "enterprise"), pk=result_id)
    try:
        street = None
        street_code = request.POST.get("street", "").strip()
        if street_code:
            street = area_by_code(street_code)
        services.objection_record(actor=_user(request), result=result,
                                  submitted_by_name=request.POST.get("submitted_by_name", ""),
                                  content=request.POST.get("content", ""), evidence=request.POST.get("evidence", ""),
                                  credit_code=request.POST.get("credit_code", ""),
                                  objector_kind=request.POST.get("objector_kind", ObjectorKind.ENTERPRISE),
                                  street=street)
        messages.success(request, _("已登记异议。"))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("enterprises:enterprise", credit_code=result.enterprise.credit_code)


@require_POST
@permission_page(Action.ENTERPRISE_PUBLISH)
def objection_resolve(request: HttpRequest, objection_id: int) -> HttpResponse:
    objection = get_object_or_404(Objection.objects.select_related("result__enterprise", "result__run"),
                                  pk=objection_id)
    try:
        corrections: dict[str, float] = {}
        field_name = request.POST.get("correction_field", "")
        value_text = request.POST.get("correction_value", "").strip()
        if field_name and value_text:
            corrections[field_name] = number_value("correction_value", value_text.replace(",", ""),
                                                   label=_("更正数值"))
        objection = services.objection_resolve(actor=_user(request), objection=objection,
                                               upheld=request.POST.get("decision") == "upheld",
                                               resolution_note=request.POST.get("resolution_note", ""),
                                               corrections=corrections or None)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("enterprises:enterprise", credit_code=objection.result.enterprise.credit_code)
    if objection.resolution_run_id:
        messages.success(request, _("异议成立，已生成复评草稿，请核对后发布。"))
        return redirect("enterprises:run", run_id=objection.resolution_run_id)
    messages.success(request, _("已答复：异议不成立。"))
    return redirect("enterprises:enterprise", credit_code=objection.result.enterprise.credit_code)


# ---------------------------------------------------------------- objections, policy, simulation, migration, sites


@permission_page(Action.ENTERPRISE_VIEW)
def objection_list(request: HttpRequest) -> HttpResponse:
    objections = list(selectors.objections_recent())
    if request.GET.get("format") == "xlsx":
        content = table_xlsx(_("异议登记"), [_("登记时间"), _("年度/版次"), _("企业"), _("信用代码"), _("提出方"),
                                                 _("提出人"), _("异议内容"), _("佐证材料"), _("状态"), _("处理意见")], [
            (_when(objection.recorded_at), str(objection.result.run), objection.result.enterprise.name,
             objection.result.enterprise.credit_code, objection.get_objector_kind_display()
             + (f"（{objection.objector_area.name}）" if objection.objector_area else ""),
             objection.submitted_by_name, objection.content, objection.evidence, objection.get_status_display(),
             objection.resolution_note) for objection in objections])
        return _download(content, "异议登记.xlsx", XLSX)
    return render(request, "enterprises/objections.html", {"objections": objections})


@permission_page(Action.ENTERPRISE_VIEW)
def policy_tables(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not user_can(request.user, Action.ENTERPRISE_EVALUATE):
            raise PermissionDeniedError("permission_denied", _("您没有权限修改差别化政策表。"))
        try:
            config = json.loads(request.POST.get("config", "") or "null")
            year = year_parameter(request.POST, "year", label=_("适用年度")) or 0
            table = services.policy_table_save(actor=_user(request), year=year, config=config)
            messages.success(request, _("已保存 %(table)s。") % {"table": table})
        except (ValueError, json.JSONDecodeError):
            messages.error(request, _("政策配置不是有效的JSON，或年度不是数字。"))
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("enterprises:policy")
    tables = list(PolicyTable.objects.order_by("-year", "-version"))
    current = tables[0] if tables else None

    parsed = policy_table_parse(current.config) if current else None
    if request.GET.get("format") == "xlsx" and parsed is not None and current is not None:
        rows = [(code, _(resource.label), resource.price_unit, parsed.base_prices[resource.key],
                 policy.adjustments[resource.key], parsed.price(code, resource.key),
                 _("是") if policy.support_eligible else _("否"), policy.credit, policy.land_measure)
                for code, policy in parsed.classes.items() for resource in RESOURCES]
        content = table_xlsx(str(current), [_("类别"), _("资源"), _("单位"), _("基准价"), _("加减价"), _("执行价"),
                                                   _("可享受奖补"), _("信贷"), _("用地")], rows)
        return _download(content, f"差别化政策表-{current.year}-v{current.version}.xlsx", XLSX)
    return render(request, "enterprises/policy.html", {
        "tables": tables, "current": current, "parsed": parsed, "resources": RESOURCES,
        "config_text": json.dumps(current.config if current else DEFAULT_POLICY_TABLE, ensure_ascii=False, indent=2),
        "year": current.year if current else clock.today().year,
        "can_evaluate": user_can(request.user, Action.ENTERPRISE_EVALUATE),
    })


@permission_page(Action.ENTERPRISE_VIEW)
def run_policy(request: HttpRequest, run_id: int) -> HttpResponse:
    """What each enterprise's class means in money under the year's policy table."""
    run = _run_or_404(run_id)
    table, rows = selectors.run_policy_effects(run, selectors.results_for_user(run, _user(request)))
    if request.GET.get("format") == "xlsx":

        content = table_xlsx(_("%(year)d年度差别化政策测算") % {"year": run.year}, [
            _("统一社会信用代码"), _("企业名称"), _("类别"), *[f"{resource.label}（元）" for resource in RESOURCES],
            _("合计（元）"), _("可享受奖补"), _("信贷"), _("用地")], [
            (row.result.enterprise.credit_code, row.result.enterprise.name, row.result.class_code,
             *[None if item.amount is None else round(item.amount, 2) for item in row.effect.resources],
             round(row.effect.total, 2), _("是") if row.effect.support_eligible else _("否"), row.effect.credit,
             row.effect.land_measure) for row in rows])
        return _download(content, f"{run.year}年度差别化政策测算-第{run.version}版.xlsx", XLSX)
    class_filter = request.GET.get("class", "")
    listed = [row for row in rows if not class_filter or row.result.class_code == class_filter]
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    return render(request, "enterprises/run_policy.html", {"run": run, "table": table, "page": page,
                                                           "class_filter": class_filter})


def _simulation_inputs(request: HttpRequest, run: EvaluationRun) -> tuple[dict[str, float], dict[str, float],
                                                                           dict[str, float]]:
    weights: dict[str, float] = {}
    for item in run.scheme.config.get("indicators", []):
        raw = request.GET.get(f"weight-{item['key']}", "").strip()
        if raw:
            weights[item["key"]] = number_value(f"weight-{item['key']}", raw, minimum=0, label=_("权重"))
    limits: dict[str, float] = {}
    for code in ("A", "B", "C"):
        raw = request.GET.get(f"limit-{code}", "").strip()
        if raw:
            limits[code] = number_value(f"limit-{code}", raw, label=_("分类标准"))
    method = run.scheme.config.get("classes", {}).get("method")
    if method == "rank_share":
        return weights, {}, {code: value / 100.0 for code, value in limits.items()}
    return weights, limits, {}


@permission_page(Action.ENTERPRISE_VIEW)
def run_simulate(request: HttpRequest, run_id: int) -> HttpResponse:
    """Change weights or class limits and see every enterprise that would move class, with the money."""
    run = _run_or_404(run_id)
    config = run.scheme.config
    method = config.get("classes", {}).get("method")
    current_limits = ({code: round(value * 100, 4) for code, value in config["classes"].get("shares", {}).items()}
                      if method == "rank_share" else config.get("classes", {}).get("thresholds", {}))

    indicators = [{"key": item["key"], "name": INDICATOR_CATALOGUE[item["key"]].name if item["key"] in
                   INDICATOR_CATALOGUE else item["key"],
                   "value": request.GET.get(f"weight-{item['key']}") or f"{float(item['weight']):g}"}
                  for item in config.get("indicators", [])]
    limits = [(code, request.GET.get(f"limit-{code}") or f"{float(value):g}") for code, value in current_limits.items()]
    context: dict[str, Any] = {"run": run, "method": method, "indicators": indicators, "limits": limits,
                               "simulated": False}
    if request.GET.get("simulate"):
        try:
            weights, thresholds, shares = _simulation_inputs(request, run)
            result = selectors.run_simulation(run, weights=weights or None, thresholds=thresholds or None,
                                              shares=shares or None)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            if request.GET.get("format") == "xlsx":
                content = table_xlsx(_("%(year)d年度调整模拟") % {"year": run.year}, [
                    _("统一社会信用代码"), _("企业名称"), _("原类别"), _("模拟类别"), _("原得分"), _("模拟得分"),
                    _("原类别政策影响（元）"), _("模拟类别政策影响（元）"), _("变化（元）")], [
                    (result.enterprises[move.enterprise_id].credit_code, result.enterprises[move.enterprise_id].name,
                     move.before, move.after, None if move.total_before is None else round(move.total_before, 2),
                     None if move.total_after is None else round(move.total_after, 2), round(move.money_before, 2),
                     round(move.money_after, 2), round(move.money_change, 2)) for move in result.moves])
                return _download(content, f"{run.year}年度调整模拟.xlsx", XLSX)
            context.update({"simulated": True, "result": result, "moves": [
                (move, result.enterprises[move.enterprise_id]) for move in result.moves],
                "query": request.GET.urlencode()})
    return render(request, "enterprises/run_simulate.html", context)


@permission_page(Action.ENTERPRISE_VIEW)
def run_migration(request: HttpRequest, run_id: int) -> HttpResponse:
    """Year-over-year class migration: last year's class × this run's class, and who moved."""
    run = _run_or_404(run_id)
    results = selectors.results_for_user(run, _user(request))
    moved = results.exclude(previous_class="").exclude(previous_class=F("class_code")).select_related(
        "enterprise").order_by("class_code", "rank")
    if request.GET.get("format") == "xlsx":
        content = table_xlsx(_("%(year)d年度类别变化") % {"year": run.year},
                                   [_("统一社会信用代码"), _("企业名称"), _("上年类别"), _("本年类别"), _("得分")], [
            (result.enterprise.credit_code, result.enterprise.name, result.previous_class, result.class_code,
             None if result.total is None else round(result.total, 2)) for result in moved])
        return _download(content, f"{run.year}年度类别变化.xlsx", XLSX)
    matrix = selectors.class_migration(results)
    return render(request, "enterprises/run_migration.html", {
        "run": run, "matrix": [(previous or _("上年未评"), [matrix[previous][code] for code in "ABCDT"])
                               for previous in ("A", "B", "C", "D", "T", "") if any(matrix[previous].values())],
        "page": Paginator(moved, 50).get_page(request.GET.get("page")),
    })


@permission_page(Action.ENTERPRISE_VIEW)
def site_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not user_can(request.user, Action.ENTERPRISE_EVALUATE):
            raise PermissionDeniedError("permission_denied", _("您没有权限修改用地分摊。"))
        try:
            shares = []
            for line in request.POST.get("shares", "").replace("\r\n", "\n").split("\n"):
                cells = [cell.strip() for cell in line.replace("，", ",").split(",") if cell.strip()]
                if not cells:
                    continue
                if len(cells) != 3 or cells[1] not in ("亩", "平方米"):
                    raise ApplicationError("site_share_line_invalid", _(
                        "分摊行“%(line)s”格式应为：信用代码,亩,分摊面积 或 信用代码,平方米,建筑面积。未保存。") % {"line": line})
                amount = number_value("shares", cells[2], minimum=0, label=_("分摊面积"))
                shares.append(services.SiteShareInput(credit_code=cells[0], stated_mu=amount if cells[1] == "亩" else None,
                                                      floor_area_m2=amount if cells[1] == "平方米" else None))
            area = number_parameter(request.POST, "area_mu", minimum=0, label=_("宗地面积（亩）"))
            if area is None:
                raise ApplicationError("site_area_invalid", _("宗地面积应为大于0的数字（亩），未保存。"))
            site = services.land_site_save(actor=_user(request), code=request.POST.get("code", ""),
                                           name=request.POST.get("name", ""), area_mu=area, shares=shares,
                                           address=request.POST.get("address", ""))
            messages.success(request, _("已保存宗地%(site)s的用地分摊，评价时按分摊面积计算亩均。") % {"site": site})
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("enterprises:sites")
    sites = list(selectors.land_sites())
    if request.GET.get("format") == "xlsx":
        content = table_xlsx(_("共用宗地用地分摊"), [_("宗地编号"), _("名称"), _("宗地面积(亩)"), _("企业"), _("信用代码"),
                                                       _("约定面积(亩)"), _("建筑面积(平方米)"), _("分摊用地(亩)")], [
            (site.code, site.name, site.area_mu, share.enterprise.name, share.enterprise.credit_code, share.stated_mu,
             share.floor_area_m2, round(share.share_mu, 4)) for site in sites for share in site.shares.all()])
        return _download(content, "共用宗地用地分摊.xlsx", XLSX)
    return render(request, "enterprises/sites.html", {
        "sites": sites, "can_evaluate": user_can(request.user, Action.ENTERPRISE_EVALUATE)})
