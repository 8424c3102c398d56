"""Pages of the work-order history import: upload, columns and values, dry run, commit, training.

Thin: parse the form, call one service, render. Every step is a POST to the batch page with a
``step`` (check, values, suggestions, commit, train); the page shows what the service stored.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zhili.accounts.models import User
from zhili.accounts.permissions import Action, require, user_can
from zhili.cases.models import CaseImportBatch, ImportStatus, ImportValueKind
from zhili.cases.services.importing import (
    EXTERNAL,
    IMPORT_FIELD_LIST,
    NEW_DEPARTMENT,
    STATUS_TARGETS,
    TRAINING_TARGETS,
    import_batch_check,
    import_batch_commit,
    import_batch_upload,
    import_mapping_guess,
    import_training_queue,
    import_value_mappings_save,
)
from zhili.cases.views import _user
from zhili.core.errors import ApplicationError
from zhili.core.pages import page_guard
from zhili.core.parameters import integer_parameter
from zhili.geo.models import Department, Matter, MatterCategory
from zhili.textintel.selectors import active_classifier_models, classifier_training_job_list

VALUE_ROWS_SHOWN = 100


@login_required
@page_guard
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Action.CASE_IMPORT)
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ApplicationError("file_required", _("请选择要导入的 Excel（.xlsx/.xls）或 CSV 文件。"))
            batch = import_batch_upload(name=upload.name or "import", stream=upload, size=upload.size, actor=user)
        except ApplicationError as error:
            return render(request, "cases/import.html", {"error": error}, status=400)
        return redirect("cases:import_batch", batch_id=batch.pk)
    return render(request, "cases/import.html", {
        "batches": CaseImportBatch.objects.filter(created_by=user)[:20]})


def _value_choices() -> dict[str, list[tuple[str, str]]]:  # keyed by ImportValueKind value
    departments = [(department.code, f"{department.name}（{department.code}）")
                   for department in Department.objects.filter(is_active=True).order_by("code")]
    matters = [(f"matter:{matter.code}", f"{matter.category.name}/{matter.name}（{matter.code}）")
               for matter in Matter.objects.filter(is_active=True).select_related("category").order_by("code")]
    categories = [(f"category:{category.code}", _("分类：%(name)s") % {"name": category.name})
                  for category in MatterCategory.objects.order_by("code")]
    return {
        ImportValueKind.DEPARTMENT: [(NEW_DEPARTMENT, _("新建同名部门")), (EXTERNAL, _("区外单位（不对应部门）")),
                                     *departments],
        ImportValueKind.CATEGORY: [*categories, *matters],
        ImportValueKind.STATUS: [(value, str(label)) for value, label in STATUS_TARGETS.items()],
    }


def _value_entries(request: HttpRequest, kind: str, *, suggested: bool) -> list[tuple[str, str]]:
    """(source value, target) pairs posted for ``kind``; with ``suggested`` the proposals are taken as they are."""
    entries = []
    for key in request.POST:
        if key.startswith(f"source_{kind}_"):
            index = key.rsplit("_", 1)[1]
            field = f"suggested_{kind}_{index}" if suggested else f"target_{kind}_{index}"
            for target in request.POST.getlist(field):
                if target or not suggested:
                    entries.append((request.POST[key], target))
    return entries


def _step(request: HttpRequest, batch: CaseImportBatch, user: User) -> CaseImportBatch:
    step = request.POST.get("step", "check")
    if step == "train":
        target = request.POST.get("target", "department")
        job = import_training_queue(target=target if target in TRAINING_TARGETS else "", actor=user)
        messages.success(request, _("训练任务 #%(id)d 已提交：完成后在下方与当前模型、基线比较，再由您决定是否启用。") % {
            "id": job.pk})
        return batch
    if step == "commit":
        committed = import_batch_commit(batch_id=batch.pk, actor=user,
                                        set_aside=request.POST.get("set_aside") == "on")
        messages.success(request, _("已导入 %(count)d 条工单。") % {"count": committed.imported_count})
        return committed
    if step in ("values", "suggestions"):
        saved = {"saved": 0, "cases_updated": 0}
        for kind in ImportValueKind.values:
            entries = _value_entries(request, kind, suggested=step == "suggestions")
            if entries:
                result = import_value_mappings_save(kind=kind, entries=entries, actor=user)
                saved = {key: saved[key] + result[key] for key in saved}
        messages.success(request, _("已保存 %(saved)d 条值对应（更新了已导入的 %(updated)d 条工单）。") % {
            "saved": saved["saved"], "updated": saved["cases_updated"]})
        if batch.status == ImportStatus.COMMITTED:
            return batch
        return import_batch_check(batch_id=batch.pk, mapping=batch.mapping, actor=user)
    mapping = {item.key: request.POST.get(f"map_{item.key}", "") for item in IMPORT_FIELD_LIST}
    tolerance = integer_parameter(request.POST, "close_tolerance_seconds", minimum=0, maximum=3600,
                                  label=_("办结时间容差（秒）"))
    return import_batch_check(batch_id=batch.pk, mapping=mapping, actor=user, sheet=request.POST.get("sheet", ""),
                              set_aside=request.POST.get("set_aside") == "on", close_tolerance_seconds=tolerance)


@login_required
@page_guard
@require_http_methods(["GET", "POST"])
def import_batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = _user(request)
    require(user, Action.CASE_IMPORT)
    batch = CaseImportBatch.objects.filter(pk=batch_id, created_by=user).first()
    if batch is None:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            batch = _step(request, batch, user)
        except ApplicationError as failure:
            error = failure
            batch.refresh_from_db()
        else:
            return redirect("cases:import_batch", batch_id=batch.pk)
    return render(request, "cases/import_batch.html", _batch_context(batch, user, error),
                  status=400 if error is not None else 200)


def _batch_context(batch: CaseImportBatch, user: User, error: ApplicationError | None) -> dict[str, Any]:

    mapping = batch.mapping or import_mapping_guess(batch.headers)
    report: dict[str, Any] = batch.report or {}
    value_tables = []
    labels: dict[str, str] = {ImportValueKind.CATEGORY: _("来源分类 → 事项/分类"),
                              ImportValueKind.DEPARTMENT: _("办理单位 → 部门"), ImportValueKind.STATUS: _("工单状态 → 状态")}
    choices = _value_choices()
    for kind in ImportValueKind.values:
        items = report.get("values", {}).get(kind, [])
        if items:
            value_tables.append({"kind": kind, "label": labels[kind], "items": items[:VALUE_ROWS_SHOWN],
                                 "more": max(0, len(items) - VALUE_ROWS_SHOWN), "choices": choices[kind],
                                 "unmapped": sum(1 for item in items if not item["mapped"])})
    can_train = user_can(user, Action.CLASSIFIER_MANAGE)
    jobs = [job for job in classifier_training_job_list(10) if job.name.startswith("history-")] if can_train else []
    return {
        "batch": batch, "error": error, "errors": batch.errors[:200],
        "fields": [(item.key, item.label, item.required, mapping.get(item.key, "")) for item in IMPORT_FIELD_LIST],
        "per_sheet": report.get("per_sheet", {}), "value_tables": value_tables,
        "sheet_rows": [{"name": sheet["name"], "row_count": sheet["row_count"],
                        **report.get("per_sheet", {}).get(sheet["name"], {"valid": "—", "errors": 0, "skipped": 0})}
                       for sheet in batch.sheets],
        "skipped": report.get("skipped", [])[:50], "can_train": can_train, "training_jobs": jobs,
        "active_models": active_classifier_models() if can_train else {},
        "training_pending": any(job.status in ("queued", "running") for job in jobs),
        "blocking_errors": batch.error_count > 0,
    }


@login_required
@page_guard
@require_GET
def import_set_aside_download(request: HttpRequest, batch_id: int) -> HttpResponseBase:
    """The rows the import set aside, with their reasons (.xlsx)."""
    user = _user(request)
    require(user, Action.CASE_IMPORT)
    batch = CaseImportBatch.objects.filter(pk=batch_id, created_by=user).exclude(set_aside_file="").first()
    if batch is None:
        raise Http404
    return FileResponse(batch.set_aside_file.open("rb"), as_attachment=True,
                        filename=f"搁置的行-{batch.pk}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
