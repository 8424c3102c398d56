"""Role workbenches: the operator's intake assistant, the dispatcher's desk, the handler's inbox with
countdowns, the grid worker's phone page, the public map and the case-list export (thin views)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhili.accounts.permissions import Action, require, user_can
from zhili.accounts.personal_data_policy import personal_text_for
from zhili.cases import selectors, selectors_workbench
from zhili.cases.contracts import CaseFilter
from zhili.cases.models import CaseChannel
from zhili.cases.selectors_operations import deadline_calendar_sources
from zhili.cases.services.workbench import (
    case_list_export_start,
    cases_dispatch_bulk,
    export_job_paths,
    export_progress,
)
from zhili.cases.views import (
    _form_context,
    _user,
    case_filters_from_query,
    form_token_new,
    grid_worker,
)
from zhili.core import clock
from zhili.core.errors import ApplicationError, PermissionDeniedError
from zhili.core.pages import page_guard
from zhili.core.parameters import (
    choice_parameter,
    identifier_list_parameter,
    identifier_parameter,
    integer_parameter,
    latitude_parameter,
    longitude_parameter,
)

BULK_DISPATCH_MAX_CASES = 200  # the triage queue shows 100 rows
LONGEST_AGE_HOURS = 24 * 366 * 10

# -- operator ---------------------------------------------------------------------------------------


@login_required
@require_POST
def intake_assist(request: HttpRequest) -> HttpResponse:
    """htmx: grid, matter → department, duplicates and caller history for what is typed so far.

    POST (not GET) so the caller's phone number never lands in a URL or an access log.
    """
    user = _user(request)
    if not user_can(user, Action.CASE_CREATE):
        return HttpResponse(status=403)
    try:
        assist = selectors_workbench.intake_assist(
            user=user, description=request.POST.get("description", "")[:4000],
            address_text=request.POST.get("address_text", "")[:300],
            longitude=longitude_parameter(request.POST), latitude=latitude_parameter(request.POST),
            phone=request.POST.get("reporter_phone", "")[:40], at=clock.now())
    except ApplicationError as error:
        return render(request, "cases/intake.html#assist", {"assist_error": error})
    return render(request, "cases/intake.html#assist", {"assist": assist})


# -- dispatcher -------------------------------------------------------------------------------------

@login_required
@page_guard
def triage(request: HttpRequest) -> HttpResponse:
    """派单与督办: filtered triage queue with bulk dispatch, extensions, red/yellow lights, callbacks."""
    user = _user(request)
    require(user, Action.CASE_DISPATCH)
    now = clock.now()
    street_path = request.GET.get("street", "")
    older_than_hours = integer_parameter(request.GET, "age", minimum=0, maximum=LONGEST_AGE_HOURS,
                                         label=_("等待小时数"))
    low_confidence_only = request.GET.get("low") == "1"
    filters = CaseFilter(
        category_id=identifier_parameter(request.GET, "category", label=_("分类")),
        area_paths=(street_path,) if street_path else (),
        channel=choice_parameter(request.GET, "channel", CaseChannel.values, label=_("渠道")),
        created_to=now - dt.timedelta(hours=older_than_hours) if older_than_hours else None,
        confidence_below=selectors_workbench.triage_confidence_below() if low_confidence_only else None)
    queue = selectors_workbench.triage_filtered(user=user, case_filter=filters)
    shown = list(queue[:100])
    lights = list(selectors.supervision_queue(user=user)[:50])
    follow_ups = list(selectors.follow_up_queue(user=user)[:50])
    return render(request, "cases/triage.html", {
        "queue": shown, "queue_count": queue.count(), "filters": filters, "street_path": street_path,
        "older_than_hours": older_than_hours, "low_confidence_only": low_confidence_only,
        "streets": selectors_workbench.streets(), "channels": CaseChannel.choices,
        "ages": [(2, _("超过 2 小时")), (8, _("超过 8 小时")), (24, _("超过 1 天")), (72, _("超过 3 天"))],
        "extensions": selectors.extension_requests(user=user)[:50],
        "reviews": selectors.review_queue(user=user)[:50],
        "lights": lights, "follow_ups": follow_ups,
        "calendar_sources": deadline_calendar_sources([*shown, *lights, *follow_ups]),
        "can_supervise": user_can(user, Action.CASE_SUPERVISE),
        "query": request.GET.urlencode(),
        **_form_context(),
    })


@login_required
@page_guard
@require_POST
def triage_bulk_dispatch(request: HttpRequest) -> HttpResponse:

    user = _user(request)
    require(user, Action.CASE_DISPATCH)
    case_ids = identifier_list_parameter(request.POST, "case", max_items=BULK_DISPATCH_MAX_CASES, label=_("工单"))
    department_id = identifier_parameter(request.POST, "department", label=_("部门"))
    try:
        result = cases_dispatch_bulk(case_ids=case_ids, department_id=department_id, actor=user)
    except PermissionDeniedError:
        raise
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if result.dispatched:
            messages.success(request, _("已批量派单 %(count)d 件。") % {"count": len(result.dispatched)})
        for number, reason in result.refused:
            messages.error(request, _("工单 %(number)s 未派单：%(reason)s") % {"number": number, "reason": reason})
    query = request.POST.get("query", "")
    return redirect(f"{reverse('cases:triage')}?{query}" if query else reverse("cases:triage"))


@login_required
@page_guard
def merge_compare(request: HttpRequest) -> HttpResponse:
    """合并重复: the duplicate and its proposed master side by side, then one merge button."""
    user = _user(request)
    require(user, Action.CASE_MERGE)
    try:
        duplicate = selectors.case_visible_or_404(user=user, number=request.GET.get("case", ""))
    except ApplicationError as error:
        raise Http404(error.message) from error
    candidates = list(selectors.cases_visible_to(user).filter(
        pk__in=[pair[0] for pair in duplicate.duplicate_candidates]).exclude(pk=duplicate.pk))
    scores = {pair[0]: pair[1] for pair in duplicate.duplicate_candidates}
    master_number = request.GET.get("master", "") or (candidates[0].number if candidates else "")
    master = next((case for case in candidates if case.number == master_number), None)
    if master is None and master_number:
        master = selectors.cases_visible_to(user).filter(number=master_number).exclude(pk=duplicate.pk).first()
    return render(request, "cases/merge.html", {
        "duplicate": duplicate, "master": master, "candidates": [(case, scores.get(case.pk)) for case in candidates],
        "score": scores.get(master.pk) if master else None,
    })


# -- department handler -----------------------------------------------------------------------------

@login_required
@page_guard
def inbox(request: HttpRequest) -> HttpResponse:
    """部门待办: 待签收 / 办理中 / 即将超期 / 已超期, each row with its remaining working time."""
    user = _user(request)
    require(user, Action.CASE_ACCEPT)
    tab = request.GET.get("tab", "pending")
    if tab not in selectors.INBOX_TABS:
        tab = "pending"
    tabs = [("pending", _("待签收")), ("handling", _("办理中")), ("warning", _("即将超期")), ("overdue", _("已超期"))]
    counts = {key: selectors.department_inbox(user=user, tab=key).count() for key, _label in tabs}
    at = clock.now()
    rows = []
    for case in selectors.department_inbox(user=user, tab=tab)[:200]:
        minutes = selectors_workbench.working_minutes_left(due_at=case.stage_due_at, at=at, natural=case.is_urgent)
        rows.append((case, minutes, _countdown_label(minutes, natural=case.is_urgent)))
    return render(request, "cases/inbox.html", {
        "tab": tab, "tabs": [(key, label, counts[key]) for key, label in tabs], "rows": rows,
        "rendered_at": int(at.timestamp() * 1000),
        "notifications": selectors.notifications_for_user(user=user, limit=10),
    })


def _countdown_label(minutes: int | None, *, natural: bool) -> str:
    if minutes is None:
        return ""
    hours, rest = divmod(abs(minutes), 60)
    unit = _("小时") if natural else _("工作小时")
    amount = f"{hours} {unit} {rest} {_('分')}" if hours else f"{rest} {_('分')}"
    return (_("已超期 %(amount)s") if minutes < 0 else _("剩余 %(amount)s")) % {"amount": amount}


# -- grid worker --------------------------------------------------------------------------------------

@login_required
@page_guard
def grid_worker_home(request: HttpRequest) -> HttpResponseBase:
    """网格员: my grid on a map, my tasks and the patrol report form (POST: report, maybe close on the spot)."""

    user = _user(request)
    require(user, Action.CASE_REPORT_PATROL)
    if request.method == "POST":
        return grid_worker(request)
    grids = selectors_workbench.grid_worker_grids(user=user)
    tasks = list(selectors_workbench.grid_worker_tasks(user=user)[:50])
    return render(request, "cases/grid_worker.html", {
        **_grid_worker_context(request), "grids": grids, "tasks": tasks,
        "task_points": [{"title": personal_text_for(user, task.title, task), "longitude": task.longitude,
                         "latitude": task.latitude,
                         "href": reverse("cases:detail", args=[task.number])}
                        for task in tasks if task.longitude is not None and task.latitude is not None],
        "geojson_url": (f"{reverse('geo:export')}?level=grid&root={grids[0].code}" if grids else ""),
    })


def _grid_worker_context(request: HttpRequest) -> dict[str, Any]:
    user = _user(request)
    context: dict[str, Any] = {"form": request.POST, **_form_context(),
                               "recent": selectors.cases_visible_to(user).filter(channel=CaseChannel.PATROL,
                                                                                 created_by=user)
                               .order_by("-created_at")[:20],
                               "form_token": form_token_new()}
    return context


# -- citizens (public) -------------------------------------------------------------------------------

def public_map(request: HttpRequest) -> HttpResponse:
    """公开地图: category, status, rough place and date of reports — never personal data."""
    return render(request, "cases/public_map.html", {
        "points": selectors_workbench.public_map_points(at=clock.now()),
        "fixed_days": selectors_workbench.public_map_fixed_days(),
    })


# -- case-list export -----------------------------------------------------------------------------------

@login_required
@page_guard
def case_list_export(request: HttpRequest) -> HttpResponse:
    """Start an .xlsx export of the list with its current filter; the job page shows progress."""
    user = _user(request)
    require(user, Action.CASE_EXPORT)
    filters = case_filters_from_query(request.GET)  # a bad filter is refused before anything is queued
    job_id = case_list_export_start(user=user, filters=filters)
    return redirect("cases:export_job", job_id=job_id)


def _own_job(request: HttpRequest, job_id: str) -> dict[str, Any]:

    try:
        job = export_progress(job_id)
    except ApplicationError as error:
        raise Http404(error.message) from error
    if job["user_id"] != request.user.pk:
        raise Http404
    return job


@login_required
@page_guard
def export_job(request: HttpRequest, job_id: str) -> HttpResponse:
    require(request.user, Action.CASE_EXPORT)
    job = _own_job(request, job_id)
    percent = 100 if job["state"] == "done" else int(100 * job["done"] / job["total"]) if job["total"] else 0
    context = {"job": job, "job_id": job_id, "percent": percent}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "cases/export_job.html#progress", context)
    return render(request, "cases/export_job.html", context)


@login_required
@page_guard
def export_download(request: HttpRequest, job_id: str) -> HttpResponseBase:

    require(request.user, Action.CASE_EXPORT)
    job = _own_job(request, job_id)
    _progress_path, file_path = export_job_paths(job_id)
    if job["state"] != "done" or not file_path.exists():
        raise Http404
    response = FileResponse(file_path.open("rb"), as_attachment=True, filename=f"cases-{job_id[:8]}.xlsx",
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Cache-Control"] = "private, no-store"
    return response

