"""Pages of the enterprises app (thin: parse, call a service or selector, render)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhili.accounts.models import User
from zhili.accounts.permissions import Action, user_can
from zhili.core import clock
from zhili.core.errors import ApplicationError
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
    MeasureStatus,
    Objection,
    PolicyMeasure,
    PolicyMeasureKind,
    SourceKind,
)
from zhili.enterprises.presets import PRESETS
from zhili.enterprises.scheme import DATA_FIELDS

View = Callable[..., HttpResponse]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def guarded(action: Action) -> Callable[[View], View]:
    """Signed in, and the role grants ``action``; otherwise a 403 page."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not user_can(request.user, action):
                return HttpResponseForbidden(_("您没有权限访问此页面（%(action)s）。") % {"action": action})
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _download(content: bytes, file_name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file_name)}"
    return response


def _published_or_latest(year: int | None = None) -> EvaluationRun | None:
    return selectors.run_published_latest(year=year) or EvaluationRun.objects.order_by("-year", "-version").first()


# ---------------------------------------------------------------- home


@guarded(Action.ENTERPRISE_VIEW)
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


@guarded(Action.ENTERPRISE_VIEW)
def enterprise_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    enterprises = selectors.enterprises_in_scope(_user(request)).select_related("grid", "zone")
    if query:
        enterprises = enterprises.filter(Q(name__icontains=query) | Q(credit_code__icontains=query.upper()))
    page = Paginator(enterprises.order_by("name"), 50).get_page(request.GET.get("page"))
    return render(request, "enterprises/enterprise_list.html", {"page": page, "query": query})


def _enterprise_for(request: HttpRequest, credit_code: str) -> Enterprise:
    return get_object_or_404(selectors.enterprises_in_scope(_user(request)), credit_code=credit_code)


@guarded(Action.ENTERPRISE_VIEW)
def enterprise_profile(request: HttpRequest, credit_code: str) -> HttpResponse:
    enterprise = _enterprise_for(request, credit_code)
    if not user_can(request.user, Action.ENTERPRISE_VIEW, enterprise):
        return HttpResponseForbidden(_("该企业不在您的管辖范围内。"))
    results = list(selectors.enterprise_results(enterprise))
    year_values = [
        (year, [(DATA_FIELDS.get(value.field, (value.field, ""))[0], DATA_FIELDS.get(value.field, ("", ""))[1], value)
                for value in values])
        for year, values in selectors.enterprise_year_values(enterprise).items()
    ]
    objections = Objection.objects.filter(result__enterprise=enterprise).select_related("result__run", "resolution_run")
    return render(request, "enterprises/enterprise_profile.html", {
        "enterprise": enterprise, "industry": industry_label(enterprise.industry_code), "results": results,
        "latest": results[0] if results else None, "year_values": year_values, "objections": objections,
        "parcels": enterprise.parcels.all(), "reason_labels": NOT_RATED_REASON_LABELS,
        "can_evaluate": user_can(request.user, Action.ENTERPRISE_EVALUATE),
        "can_publish": user_can(request.user, Action.ENTERPRISE_PUBLISH),
    })


@guarded(Action.ENTERPRISE_VIEW)
def enterprise_sheet(request: HttpRequest, result_id: int, file_format: str) -> HttpResponse:
    result = get_object_or_404(EvaluationResult.objects.select_related("enterprise", "run", "run__scheme"),
                               pk=result_id)
    if not user_can(request.user, Action.ENTERPRISE_VIEW, result):
        return HttpResponseForbidden(_("该企业不在您的管辖范围内。"))
    stem = f"{result.run.year}年度评价表-{result.enterprise.name}"
    if file_format == "docx":
        return _download(exports.enterprise_sheet_docx(result), f"{stem}.docx", DOCX)
    return _download(exports.enterprise_sheet_xlsx(result), f"{stem}.xlsx", XLSX)


# ---------------------------------------------------------------- import


@guarded(Action.ENTERPRISE_IMPORT)
def import_page(request: HttpRequest) -> HttpResponse:
    slots = range(3)
    if request.method == "POST":
        year_text = request.POST.get("year", "").strip()
        if year_text and not year_text.isdigit():
            messages.error(request, _("数据年度应是四位数字，如 2025；留空则按文件名和内容识别。"))
            return redirect("enterprises:import")
        year = int(year_text) if year_text else None
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
            messages.error(request, error.message)
            return redirect("enterprises:import")
        messages.success(request, _("文件已暂存，请审核关联报告；接受前数据不会入库。"))
        return redirect("enterprises:import_batch", batch_id=batch.pk)
    default_kinds = [SourceKind.TAX, SourceKind.ENERGY, SourceKind.ENVIRONMENT]
    return render(request, "enterprises/import.html", {
        "slots": [(slot, default_kinds[slot]) for slot in slots], "source_kinds": SourceKind.choices,
        "batches": selectors.import_batches_recent(10),
    })


_PROBLEM_LABELS = {
    "invalid_code": "信用代码无效", "unknown_enterprise": "名录中无此企业", "duplicate_in_file": "文件内重复",
    "invalid_number": "数值无法识别", "negative_value": "数值为负", "conflicts": "来源间冲突",
    "warning_tax_negative": "税收为负（退税）", "warning_land_zero": "用地为0", "warning_name_mismatch": "名称不一致",
}


@guarded(Action.ENTERPRISE_IMPORT)
def import_batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(ImportBatch.objects.select_related("created_by", "decided_by"), pk=batch_id)
    problem_filter = request.GET.get("problem", "")
    rows = [row for row in
            selectors.staged_rows_with_findings(batch) if not problem_filter or problem_filter in row.codes]
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    counts = batch.report.get("counts", {})
    enterprise_names = dict(Enterprise.objects.filter(
        pk__in={conflict["enterprise_id"] for conflict in batch.report.get("conflicts", [])}).values_list("pk", "name"))
    conflicts = [{**conflict, "enterprise_name": enterprise_names.get(conflict["enterprise_id"], ""),
                  "field_label": DATA_FIELDS.get(conflict["field"], (conflict["field"], ""))[0]}
                 for conflict in batch.report.get("conflicts", [])[:200]]
    return render(request, "enterprises/import_batch.html", {
        "batch": batch, "files": batch.files.all(), "counts": counts, "page": page, "conflicts": conflicts,
        "problem_filter": problem_filter,
        "finding_counts": [(code, label, counts.get(code, 0)) for code, label in _PROBLEM_LABELS.items()],
    })


@require_POST
@guarded(Action.ENTERPRISE_IMPORT)
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


@guarded(Action.ENTERPRISE_IMPORT)
def demo_files(request: HttpRequest) -> HttpResponse:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file_name, content, _kind in demo_source_files():
            archive.writestr(file_name, content)
    return _download(buffer.getvalue(), "演示来源文件.zip", "application/zip")


# ---------------------------------------------------------------- schemes and runs


@guarded(Action.ENTERPRISE_VIEW)
def scheme_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not user_can(request.user, Action.ENTERPRISE_EVALUATE):
            return HttpResponseForbidden(_("您没有权限修改评价方案。"))
        try:
            preset = request.POST.get("preset", "")
            config = PRESETS[preset] if preset in PRESETS else json.loads(request.POST.get("config", "") or "null")
            scheme = services.scheme_save(
                actor=_user(request), code=request.POST.get("code", "").strip() or preset or "custom",
                name=request.POST.get("name", "").strip(), year=int(request.POST.get("year", "0") or 0),
                config=config,
            )
            messages.success(request, _("已保存评价方案 %(scheme)s。") % {"scheme": scheme})
        except (ValueError, json.JSONDecodeError):
            messages.error(request, _("方案配置不是有效的JSON，或年度不是数字。"))
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("enterprises:schemes")
    schemes = EvaluationScheme.objects.order_by("-year", "code", "-version")
    return render(request, "enterprises/schemes.html", {
        "schemes": schemes, "presets": [(key, config["name"], json.dumps(config, ensure_ascii=False, indent=2))
                                        for key, config in PRESETS.items()],
        "can_evaluate": user_can(request.user, Action.ENTERPRISE_EVALUATE),
    })


@guarded(Action.ENTERPRISE_VIEW)
def run_list(request: HttpRequest) -> HttpResponse:
    return render(request, "enterprises/runs.html", {
        "runs": selectors.runs_recent(50), "schemes": EvaluationScheme.objects.order_by("-year", "code", "-version"),
        "can_evaluate": user_can(request.user, Action.ENTERPRISE_EVALUATE),
        "year": selectors.data_year_latest() or (clock.today().year - 1),
    })


@require_POST
@guarded(Action.ENTERPRISE_EVALUATE)
def run_execute(request: HttpRequest) -> HttpResponse:
    scheme = get_object_or_404(EvaluationScheme, pk=request.POST.get("scheme") or 0)
    try:
        run = services.evaluation_run_execute(actor=_user(request), year=int(request.POST.get("year", "0")),
                                              scheme=scheme, reason=request.POST.get("reason", ""))
    except ValueError:
        messages.error(request, _("请填写评价年度。"))
        return redirect("enterprises:runs")
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("enterprises:runs")
    messages.success(request, _("已完成评价（%(run)s，草稿）。核对无误后请发布。") % {"run": run})
    return redirect("enterprises:run", run_id=run.pk)


def _run_or_404(run_id: int) -> EvaluationRun:
    return get_object_or_404(EvaluationRun.objects.select_related("scheme", "created_by", "published_by", "supersedes"),
                             pk=run_id)


@guarded(Action.ENTERPRISE_VIEW)
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
    })


@require_POST
@guarded(Action.ENTERPRISE_PUBLISH)
def run_publish(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(run_id)
    try:
        services.evaluation_run_publish(actor=_user(request), run=run,
                                        sign_off_note=request.POST.get("sign_off_note", "").strip())
        messages.success(request, _("%(run)s已发布并签发，结果不可再更改。") % {"run": run})
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("enterprises:run", run_id=run.pk)


@require_POST
@guarded(Action.ENTERPRISE_EVALUATE)
def run_discard(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(run_id)
    try:
        services.evaluation_run_discard(actor=_user(request), run=run)
        messages.success(request, _("已删除草稿 %(run)s。") % {"run": run})
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("enterprises:run", run_id=run.pk)
    return redirect("enterprises:runs")


@guarded(Action.ENTERPRISE_VIEW)
def run_export(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(run_id)
    content = exports.run_results_xlsx(run, selectors.results_for_user(run, _user(request)))
    return _download(content, f"{run.year}年度亩均评价结果-第{run.version}版.xlsx", XLSX)


@guarded(Action.ENTERPRISE_VIEW)
def run_map(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(run_id)
    results = selectors.results_for_user(run, _user(request))
    return render(request, "enterprises/run_map.html", {
        "run": run, "map_data": selectors.map_payload(results), "classes": selectors.class_distribution(results),
        "by_area": selectors.distribution_by_area(results),
    })


@guarded(Action.ENTERPRISE_VIEW)
def d_list(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(run_id)
    return render(request, "enterprises/d_list.html", {
        "run": run, "results": selectors.d_class_results(run, _user(request)),
        "measure_kinds": PolicyMeasureKind.choices, "measure_statuses": MeasureStatus.choices,
        "can_act": user_can(request.user, Action.ENTERPRISE_EVALUATE),
    })


@require_POST
@guarded(Action.ENTERPRISE_EVALUATE)
def measure_create(request: HttpRequest, result_id: int) -> HttpResponse:
    result = get_object_or_404(EvaluationResult.objects.select_related("run", "enterprise"), pk=result_id)
    try:
        due_text = request.POST.get("due_date", "")
        services.policy_measure_create(
            actor=_user(request), result=result, kind=request.POST.get("kind", ""),
            description=request.POST.get("description", ""),
            responsible_department=request.POST.get("responsible_department", ""),
            due_date=dt.date.fromisoformat(due_text) if due_text else None,
        )
        messages.success(request, _("已为%(name)s部署差别化措施。") % {"name": result.enterprise.name})
    except ValueError:
        messages.error(request, _("完成时限日期格式应为YYYY-MM-DD。"))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("enterprises:d_list", run_id=result.run_id)


@require_POST
@guarded(Action.ENTERPRISE_EVALUATE)
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
@guarded(Action.ENTERPRISE_EVALUATE)
def objection_create(request: HttpRequest, result_id: int) -> HttpResponse:
    result = get_object_or_404(EvaluationResult.objects.select_related("run", "enterprise"), pk=result_id)
    try:
        services.objection_record(actor=_user(request), result=result,
                                  submitted_by_name=request.POST.get("submitted_by_name", ""),
                                  content=request.POST.get("content", ""))
        messages.success(request, _("已登记异议。"))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("enterprises:enterprise", credit_code=result.enterprise.credit_code)


@require_POST
@guarded(Action.ENTERPRISE_PUBLISH)
def objection_resolve(request: HttpRequest, objection_id: int) -> HttpResponse:
    objection = get_object_or_404(Objection.objects.select_related("result__enterprise", "result__run"),
                                  pk=objection_id)
    try:
        objection = services.objection_resolve(actor=_user(request), objection=objection,
                                               upheld=request.POST.get("decision") == "upheld",
                                               resolution_note=request.POST.get("resolution_note", ""))
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("enterprises:enterprise", credit_code=objection.result.enterprise.credit_code)
    if objection.resolution_run_id:
        messages.success(request, _("异议成立，已生成复评草稿，请核对后发布。"))
        return redirect("enterprises:run", run_id=objection.resolution_run_id)
    messages.success(request, _("已答复：异议不成立。"))
    return redirect("enterprises:enterprise", credit_code=objection.result.enterprise.credit_code)
