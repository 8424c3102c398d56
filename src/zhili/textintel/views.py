"""Pages of the textintel app (thin: parse, call a service or selector, render)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhili.accounts.permissions import Action, require
from zhili.core.errors import ApplicationError
from zhili.core.pages import page_refusal
from zhili.core.parameters import LARGEST_IDENTIFIER, identifier_parameter, integer_parameter
from zhili.core.replica import replica_read_view
from zhili.core.spreadsheets import xlsx_bytes
from zhili.core.uploads import upload_read_limited
from zhili.textintel import selectors, services
from zhili.textintel.exports import hot_issues_workbook
from zhili.textintel.models import ClassifierTarget, HotIssueRunStatus


def _uploaded_bytes(request: HttpRequest, field: str, *, limit: int | None = None) -> tuple[bytes, str]:
    """The upload's bytes, refused over ``limit`` (default ``ZHILI_UPLOAD_MAX_BYTES``) before it is read."""
    upload = request.FILES.get(field)
    if upload is None:
        raise ApplicationError("upload_missing", _("请选择要上传的文件。"))
    return upload_read_limited(upload, limit=limit), upload.name or "upload.csv"


@login_required
@require_GET
def models_page(request: HttpRequest) -> HttpResponse:
    """分类模型: versions with metrics, activate / roll back, train from a file."""
    try:
        require(request.user, Action.CLASSIFIER_MANAGE)
    except ApplicationError as error:
        return page_refusal(request, error)
    return render(request, "textintel/models.html", {
        "models": selectors.classifier_model_list(),
        "jobs": selectors.classifier_training_job_list(),
        "active": selectors.active_classifier_models(),
        "targets": ClassifierTarget.choices,
    })


@login_required
@require_GET
def model_detail(request: HttpRequest, model_id: int) -> HttpResponse:
    try:
        require(request.user, Action.CLASSIFIER_MANAGE)
    except ApplicationError as error:
        return page_refusal(request, error)
    model = selectors.classifier_model_list().filter(pk=model_id).first()
    if model is None:
        return page_refusal(request, ApplicationError("classifier_model_not_found", _("模型不存在。"), status_code=404))
    metrics = model.metrics
    labels = metrics.get("confusion_labels", [])
    confusion_rows = list(zip(labels, metrics.get("confusion_matrix", []), strict=False))
    return render(request, "textintel/model_detail.html", {
        "model": model, "per_class": sorted(metrics.get("per_class", {}).items()),
        "confusion_labels": labels, "confusion_rows": confusion_rows,
    })


@login_required
@require_GET
def model_compare(request: HttpRequest, model_id: int) -> HttpResponse:
    """A trained model beside the model in use and the plain baseline, on the same held-out rows; activate here."""
    try:
        require(request.user, Action.CLASSIFIER_MANAGE)
    except ApplicationError as error:
        return page_refusal(request, error)
    model = selectors.classifier_model_list().filter(pk=model_id).first()
    if model is None:
        return page_refusal(request, ApplicationError("classifier_model_not_found", _("模型不存在。"), status_code=404))
    active = selectors.active_classifier_models().get(model.target)
    at_training = model.metrics.get("current_model") or None
    return render(request, "textintel/model_compare.html", {
        "model": model, "active": active, "baseline": model.metrics.get("baseline") or None,
        "at_training": at_training, "compared_with": active.pk if active else services.NO_ACTIVE_MODEL,
        "active_changed": bool(active and at_training and at_training.get("id") != active.pk)
        or bool(active and not at_training),
        "gain_over_baseline": _difference(model.metrics.get("macro_f1"), (model.metrics.get("baseline") or {})
                                          .get("macro_f1")),
        "gain_over_current": _difference(model.metrics.get("macro_f1"), (at_training or {}).get("macro_f1")),
    })


def _difference(first: float | None, second: float | None) -> float | None:
    return round(first - second, 4) if first is not None and second is not None else None


@login_required
@require_POST
def model_activate(request: HttpRequest, model_id: int) -> HttpResponse:
    """Activate from the comparison page: ``compared_with`` is the model that page showed as in use (0: none)."""
    try:
        require(request.user, Action.CLASSIFIER_MANAGE)
    except ApplicationError as error:
        return page_refusal(request, error)  # a refusal is a 403 page, not a redirect
    compared_with = integer_parameter(request.POST, "compared_with", minimum=0, maximum=LARGEST_IDENTIFIER)
    if compared_with is None:
        messages.error(request, _("请先在比较页查看新模型与当前在用模型、基线的对比，再从比较页启用。"))
        return redirect("textintel:model_compare", model_id=model_id)
    try:
        model = services.classifier_model_activate(model_id=model_id, actor_id=request.user.pk,
                                                   compared_with=compared_with)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("textintel:model_compare", model_id=model_id)
    messages.success(request, _("已启用 %(model)s，受理即刻使用该版本。") % {"model": model})
    return redirect("textintel:models")


@login_required
@require_POST
def model_deactivate(request: HttpRequest, model_id: int) -> HttpResponse:
    try:
        require(request.user, Action.CLASSIFIER_MANAGE)
    except ApplicationError as error:
        return page_refusal(request, error)  # a refusal is a 403 page, not a redirect
    try:
        model = services.classifier_model_deactivate(model_id=model_id, actor_id=request.user.pk)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if model.target == ClassifierTarget.DEPARTMENT:
            messages.success(request, _("已停用 %(model)s，受理不再按历史派单复核部门。") % {"model": model})
        else:
            messages.success(request, _("已停用 %(model)s，受理分类改用关键词规则。") % {"model": model})
    return redirect("textintel:models")


@login_required
@require_POST
def model_train(request: HttpRequest) -> HttpResponse:
    """Queue a training job for an uploaded labelled file (the file is checked first)."""
    try:
        require(request.user, Action.CLASSIFIER_MANAGE)
    except ApplicationError as error:
        return page_refusal(request, error)  # a refusal is a 403 page, not a redirect
    try:
        data, file_name = _uploaded_bytes(request, "data")
        job = services.classifier_training_job_create(
            name=request.POST.get("name", "category").strip() or "category", data=data, file_name=file_name,
            text_columns=[column.strip() for column in request.POST.get("text_columns", "").split(",")],
            label_column=request.POST.get("label_column", "").strip(), actor_id=request.user.pk,
            target=request.POST.get("target", ClassifierTarget.CATEGORY),
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("训练任务 #%(id)d 已提交，完成后会出现在模型列表中。") % {"id": job.pk})
    return redirect("textintel:models")


@login_required
@require_http_methods(["GET", "POST"])
@replica_read_view
def hot_issues_page(request: HttpRequest) -> HttpResponse:
    """热点问题: the latest (or chosen) run; upload a messages file or compute from cases."""
    try:
        require(request.user, Action.HOT_ISSUE_VIEW)
    except ApplicationError as error:
        return page_refusal(request, error)
    if request.method == "POST":
        try:
            if request.POST.get("source") == "cases":
                run = services.hot_issue_run_queue_from_cases(actor_id=request.user.pk)
            else:
                data, file_name = _uploaded_bytes(request, "messages",
                                                  limit=settings.ZHILI_HOT_ISSUE_UPLOAD_MAX_BYTES)
                run = services.hot_issue_run_queue_from_file(data=data, file_name=file_name,
                                                             actor_id=request.user.pk)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("textintel:hot_issues")
        messages.success(request, _("热点计算 #%(id)d 已提交，完成后本页自动显示结果。") % {"id": run.pk})
        return redirect(f"{reverse('textintel:hot_issues')}?run={run.pk}")
    runs = selectors.hot_issue_run_list(request.user)
    run_id = identifier_parameter(request.GET, "run", label=_("热点计算"))
    chosen = (selectors.hot_issue_run_for(run_id, request.user) if run_id else None) or (runs[0] if runs else None)
    issues = selectors.hot_issues_of_run(chosen, viewer=request.user, limit=100) if chosen else []
    unfinished = selectors.hot_issue_runs_unfinished(request.user)
    return render(request, "textintel/hot_issues.html", {
        "runs": runs, "run": chosen, "issues": issues, "unfinished": unfinished,
        "computing": any(item.status != HotIssueRunStatus.FAILED for item in unfinished),
    })


@login_required
@require_GET
@replica_read_view
def hot_issues_export(request: HttpRequest, run_id: int) -> HttpResponse:
    try:
        require(request.user, Action.HOT_ISSUE_VIEW)
    except ApplicationError as error:
        return page_refusal(request, error)
    run = selectors.hot_issue_run_for(run_id, request.user)
    if run is None:
        return page_refusal(request, ApplicationError(
            "hot_issue_run_not_found",
            _("热点计算记录不存在、尚未完成或不在您的管辖范围内：请在热点问题页等待计算完成后再导出。"),
            status_code=404))
    response = HttpResponse(
        xlsx_bytes(hot_issues_workbook(run, selectors.hot_issues_of_run(run, viewer=request.user))), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="hot-issues-{run.pk}.xlsx"'
    return response
