"""Pages of the cases app (thin: parse, call a service or selector, render)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zhili.accounts.models import User
from zhili.accounts.permissions import Action, require, user_can
from zhili.accounts.personal_data_policy import Disclosure, PersonalField, personal_disclosure
from zhili.accounts.roles import Role
from zhili.cases import selectors
from zhili.cases.classification import matter_proposals
from zhili.cases.contracts import CaseFilter
from zhili.cases.exports import case_file_docx, case_file_xlsx
from zhili.cases.models import (
    AppealType,
    CaseAttachment,
    CaseChannel,
    LocationSource,
    Rating,
    SlaState,
)
from zhili.cases.pagination import CaseListPaginator
from zhili.cases.selectors_operations import deadline_calendar_sources
from zhili.cases.services.attachments import photos_validate
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.services.patrol import case_patrol_report
from zhili.cases.states import TRANSITIONS, CaseAction, CaseStatus
from zhili.core.client_address import client_address
from zhili.core.errors import ApplicationError, PermissionDeniedError
from zhili.core.pages import page_guard
from zhili.core.parameters import (
    choice_parameter,
    identifier_parameter,
    integer_parameter,
    latitude_parameter,
    longitude_parameter,
)
from zhili.core.rate_limits import RateLimitedError, rate_limit_hit, retry_after_set
from zhili.geo.models import Department, Matter, MatterCategory

View = Callable[..., HttpResponseBase]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _uploads(request: HttpRequest, field: str) -> list[tuple[str, Any, int | None]]:
    return [(upload.name or "photo", upload, upload.size) for upload in request.FILES.getlist(field)]


def _form_context() -> dict[str, Any]:
    return {
        "departments": Department.objects.filter(is_active=True).order_by("code"),
        "matters": Matter.objects.filter(is_active=True).select_related("category").order_by("category__code", "code"),
        "categories": MatterCategory.objects.order_by("code"),
        "ratings": Rating.choices,
        "appeal_types": AppealType.choices,
    }


# -- intake --------------------------------------------------------------------------------------

@login_required
@page_guard
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    """坐席受理: the operator types what the caller says; proposals and duplicates are shown after."""
    user = _user(request)
    require(user, Action.CASE_CREATE)
    context: dict[str, Any] = {"form": request.POST, **_form_context(),
                               "follow_ups": selectors.follow_up_queue(user=user)[:20]}
    if request.method == "POST" and request.POST.get("urge_case"):
        return _intake_urge(request, user, context)
    if request.method == "POST":
        try:
            result = case_intake(
                request=IntakeRequest(
                    channel=CaseChannel.HOTLINE, description=request.POST.get("description", ""),
                    appeal_type=request.POST.get("appeal_type", ""),
                    title=request.POST.get("title", ""), address_text=request.POST.get("address_text", ""),
                    longitude=longitude_parameter(request.POST), latitude=latitude_parameter(request.POST),
                    reporter_name=request.POST.get("reporter_name", ""),
                    reporter_phone=request.POST.get("reporter_phone", ""),
                    matter_code=request.POST.get("matter_code", ""),
                    confidential=request.POST.get("confidential") == "on",
                ),
                actor=user, client_key=f"user:{user.pk}",
                idempotency_key=request.POST.get("form_token", ""),
            )
        except ApplicationError as error:
            context["error"] = error
            return render(request, "cases/intake.html", context, status=400)
        scores = dict(result.duplicates)
        shown = selectors.cases_visible_to(user).filter(pk__in=list(scores)).only("number")
        context.update({"result": result, "case": result.case, "form": {},
                        # the case number and a percentage, not a database id and a raw score
                        "duplicate_cases": sorted(((other, scores[other.pk]) for other in shown),
                                                  key=lambda pair: -pair[1])})
        messages.success(request, _("已受理，工单编号 %(number)s。") % {"number": result.case.number})
    context["form_token"] = form_token_new()
    return render(request, "cases/intake.html", context)


def _intake_urge(request: HttpRequest, user: User, context: dict[str, Any]) -> HttpResponse:
    """One click at intake: the call is about an open case, so it becomes a 催办 on it, not a new ticket."""
    number = request.POST.get("urge_case", "").strip()
    target = selectors.cases_visible_to(user).filter(number=number).first()
    if target is None:
        context["error"] = ApplicationError("case_not_found", _(
            "没有找到可并入的工单 %(number)s，请核对编号，或按新诉求受理。") % {"number": number[:20]})
        context["form_token"] = form_token_new()
        return render(request, "cases/intake.html", context, status=400)
    try:
        urged = case_transition(case_id=target.pk, action=CaseAction.URGE, actor=user,
                                details=TransitionDetails(note=request.POST.get("description", "")))
    except ApplicationError as error:
        if isinstance(error, PermissionDeniedError):
            raise
        context["error"] = error
        context["form_token"] = form_token_new()
        return render(request, "cases/intake.html", context, status=400)
    messages.success(request, _("已并入工单 %(number)s 作为催办（第 %(count)d 次重复来电），未新建工单。") % {
        "number": urged.number, "count": urged.urge_count})
    return redirect("cases:intake")


@login_required
def proposals_fragment(request: HttpRequest) -> HttpResponse:
    """htmx: proposals for the text typed so far."""
    if not user_can(request.user, Action.CASE_CREATE):
        return HttpResponse(status=403)
    text = request.GET.get("description", "")
    return render(request, "cases/intake.html#proposals", {"proposals": matter_proposals(text)})


def citizen_report(request: HttpRequest) -> HttpResponse:
    """随手拍: photo, place and words; no account needed; the citizen receives a tracking code."""
    context: dict[str, Any] = {"form": request.POST}
    if request.method == "POST":
        actor = _user(request) if request.user.is_authenticated else None
        try:
            rate_limit_hit(scope="report_form",
                           identity=f"user:{actor.pk}" if actor is not None else client_address(request))
        except RateLimitedError as error:
            context["error"] = error
            context["form_token"] = request.POST.get("form_token", "") or form_token_new()
            return retry_after_set(render(request, "cases/report.html", context, status=429), error)
        try:
            photos = photos_validate(_uploads(request, "photos"))
            longitude, latitude = longitude_parameter(request.POST), latitude_parameter(request.POST)
            location_source = LocationSource.GIVEN
            if longitude is None and photos and photos[0].gps is not None:
                longitude, latitude = photos[0].gps
                location_source = LocationSource.PHOTO
            result = case_intake(
                request=IntakeRequest(
                    channel=CaseChannel.CITIZEN_APP, description=request.POST.get("description", ""),
                    address_text=request.POST.get("address_text", ""), longitude=longitude, latitude=latitude,
                    coordinate_system=request.POST.get("coordinate_system", "wgs84") or "wgs84",
                    reporter_name=request.POST.get("reporter_name", ""),
                    reporter_phone=request.POST.get("reporter_phone", ""),
                    confidential=request.POST.get("confidential") == "on", location_source=location_source,
                ),
                actor=actor, client_key=report_client_key(request),
                idempotency_key=request.POST.get("form_token", ""), photos=photos,
                actor_label=_("市民随手拍"),
            )
        except ApplicationError as error:
            context["error"] = error
            context["form_token"] = form_token_new()
            return render(request, "cases/report.html", context, status=400)
        return render(request, "cases/report_done.html", {"case": result.case})
    report_client_key(request)  # the browser gets its session (its own idempotency namespace) with the form
    context["form_token"] = form_token_new()
    return render(request, "cases/report.html", context)


def form_token_new() -> str:
    """The idempotency key a form carries: random, so no two browsers ever share one."""
    return secrets.token_urlsafe(18)


def report_client_key(request: HttpRequest) -> str:
    """The idempotency namespace of one browser: its session (created when the form is first shown), so a
    reused form token can only ever replay this browser's own report."""
    if request.session.session_key is None:
        request.session.save()
    return f"report:{request.session.session_key}"



def track(request: HttpRequest) -> HttpResponse:
    """Public tracking by code, with the rating form once the case is finished. No personal data shown."""
    code = (request.POST.get("code") or request.GET.get("code") or "").strip()
    if code:
        try:  # tracking codes are not guessed by the thousand
            rate_limit_hit(scope="track", identity=client_address(request))
        except RateLimitedError as error:
            return retry_after_set(render(request, "cases/track.html", {"code": code, "error": error.message},
                                          status=429), error)
    case = selectors.case_by_tracking_code(code) if code else None
    context: dict[str, Any] = {"code": code, "case": case, "ratings": Rating.choices}
    if code and case is None:
        context["error"] = _("没有找到该查询码对应的诉求，请核对后重试。")
    if case is not None:
        followed = case.master_case or case
        context["followed"] = followed
        labels = dict(CaseAction.choices)
        context["events"] = [(occurred_at, labels.get(action, action)) for action, occurred_at in
                             followed.events.order_by("occurred_at", "id").values_list("action", "occurred_at")]
    if request.method == "POST" and case is not None:
        if request.user.is_authenticated and _user(request).role != Role.CITIZEN:
            # staff rate through their own follow-up action (recorded as theirs), never as the citizen
            context["error"] = _("只有反映人本人可以凭查询码评价。工作人员请在工单页面办理“回访”。")
            return render(request, "cases/track.html", context, status=403)
        try:
            case_transition(case_id=case.pk, action=CaseAction.FOLLOW_UP, actor=None, system=True,
                            actor_label=_("市民（查询码评价）"),
                            details=TransitionDetails(rating=request.POST.get("rating", ""),
                                                      resolved=request.POST.get("resolved") == "yes",
                                                      note=request.POST.get("comment", "")))
        except ApplicationError as error:
            context["error"] = error.message
            return render(request, "cases/track.html", context, status=400)
        messages.success(request, _("感谢您的评价。"))
        return redirect(f"{reverse('cases:track')}?code={case.tracking_code}")
    return render(request, "cases/track.html", context)


@login_required
@page_guard
@require_http_methods(["GET", "POST"])
def grid_worker(request: HttpRequest) -> HttpResponse:
    """网格员巡查上报: photo + GPS + matter; small matters may be closed on the spot with an after photo."""
    user = _user(request)
    require(user, Action.CASE_REPORT_PATROL)
    context: dict[str, Any] = {"form": request.POST, **_form_context(),
                               "recent": selectors.cases_visible_to(user).filter(channel=CaseChannel.PATROL)
                               .order_by("-created_at")[:20]}
    context["matters"] = context["matters"].filter(grid_self_handling_allowed=True) if request.GET.get(
        "self_only") else context["matters"]
    if request.method == "POST":
        try:
            result = patrol_report(request, user)
        except ApplicationError as error:
            context["error"] = error
            return render(request, "cases/grid_worker.html", context, status=400)
        messages.success(request, _("已上报，工单编号 %(number)s，状态：%(status)s。") % {
            "number": result.number, "status": result.get_status_display()})
        return redirect("cases:grid_worker")
    context["form_token"] = form_token_new()
    return render(request, "cases/grid_worker.html", context)


def patrol_report(request: HttpRequest, user: User) -> Any:
    return case_patrol_report(
        request=IntakeRequest(
            channel=CaseChannel.PATROL, description=request.POST.get("description", ""),
            longitude=longitude_parameter(request.POST), latitude=latitude_parameter(request.POST),
            address_text=request.POST.get("address_text", ""), matter_code=request.POST.get("matter_code", ""),
        ),
        actor=user, photos=photos_validate(_uploads(request, "photos")),
        after_photos=photos_validate(_uploads(request, "after_photos")),
        self_handle=request.POST.get("self_handle") == "on", result_note=request.POST.get("result", ""),
        idempotency_key=request.POST.get("form_token", ""),
    )


# -- queues and lists ------------------------------------------------------------------------------

@login_required
@page_guard
def case_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Action.CASE_VIEW)
    filters = case_filters_from_query(request.GET)
    page = CaseListPaginator(selectors.case_list(user=user, case_filter=filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cases/list.html", {
        "page": page, "filters": filters, "statuses": CaseStatus.choices, "channels": CaseChannel.choices,
        "sla_states": SlaState.choices, "query": query.urlencode(), **_form_context(),
        "can_export": user_can(user, Action.CASE_EXPORT),
        "can_import": user_can(user, Action.CASE_IMPORT),
        "can_see_kpi_report": user_can(user, Action.DASHBOARD_LEADER),
    })


def case_filters_from_query(query: Any) -> CaseFilter:
    """The case list's filter form (also the export's), checked by ``core.parameters``: an unknown status,
    channel or light, or an id that is not one, is a 400 that says what is allowed."""
    return CaseFilter(
        status=choice_parameter(query, "status", CaseStatus.values, label=_("状态")),
        channel=choice_parameter(query, "channel", CaseChannel.values, label=_("渠道")),
        department_id=identifier_parameter(query, "department", label=_("部门")),
        category_id=identifier_parameter(query, "category", label=_("分类")),
        sla_state=choice_parameter(query, "sla_state", SlaState.values, label=_("时限状态")),
        text=query.get("q", ""),
    )


# -- the case file ---------------------------------------------------------------------------------

@login_required
@page_guard
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    user = _user(request)
    try:
        case = selectors.case_visible_or_404(user=user, number=number)
    except ApplicationError as error:
        raise Http404(error.message) from error
    case_file = selectors.case_file(case=case, user=user)
    return render(request, "cases/detail.html", {
        "file": case_file, "case": case, "event_labels": dict(CaseAction.choices),
        "status_labels": dict(CaseStatus.choices),
        "duplicates": selectors.cases_visible_to(user).filter(pk__in=[pair[0] for pair in case.duplicate_candidates]),
        "can_export": user_can(user, Action.CASE_EXPORT, case), **_form_context(),
        "calendar_sources": deadline_calendar_sources([case]),
    })


@login_required
@page_guard
@require_POST
def case_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    user = _user(request)
    if action not in TRANSITIONS:
        raise Http404
    try:
        case = selectors.case_visible_or_404(user=user, number=number)
    except ApplicationError as error:
        raise Http404(error.message) from error

    department_id = identifier_parameter(request.POST, "department", label=_("部门"))
    matter_id = identifier_parameter(request.POST, "matter", label=_("事项"))
    extension_days = integer_parameter(request.POST, "extension_working_days", label=_("延期工作日"))
    master_id = None
    if request.POST.get("master_case_number"):
        master = selectors.cases_visible_to(user).filter(number=request.POST["master_case_number"].strip()).first()
        master_id = master.pk if master else -1
    approve = {"yes": True, "no": False}.get(request.POST.get("approve", ""))
    resolved = {"yes": True, "no": False}.get(request.POST.get("resolved", ""))
    return_matter_id = identifier_parameter(request.POST, "return_matter", label=_("退回依据事项"))
    next_url = request.POST.get("next", "")
    if action == CaseAction.RETURN and request.POST.get("confirm") != "yes":
        messages.error(request, _("退回前请勾选确认：该工单不属于本单位职责，退回后由指挥中心审定。"))
        return redirect(next_url if _local(next_url) else reverse("cases:detail", args=[case.number]))
    try:
        photos = tuple(photos_validate(_uploads(request, "photos")))
        case_transition(case_id=case.pk, action=action, actor=user, details=TransitionDetails(
            note=request.POST.get("note", ""), department_id=department_id, matter_id=matter_id,
            extension_working_days=extension_days, approve=approve,
            rating=request.POST.get("rating", ""), resolved=resolved, master_case_id=master_id,
            return_matter_id=return_matter_id, return_basis=request.POST.get("return_basis", ""),
            photos=photos))
    except ApplicationError as error:
        if isinstance(error, PermissionDeniedError):
            raise
        messages.error(request, error.message)
    else:
        if action == CaseAction.RETURN:
            messages.success(request, _("已退回工单 %(number)s，等待指挥中心审定；审定结果会通知本单位。") % {
                "number": case.number})
        else:
            messages.success(request, _("已%(action)s：工单 %(number)s") % {
                "action": CaseAction(action).label, "number": case.number})
    if _local(next_url):
        return redirect(next_url)
    if not selectors.cases_visible_to(user).filter(pk=case.pk).exists():
        # the case left this person's scope (a unit returned it): land on their own queue, not on a 404
        return redirect("cases:inbox" if user_can(user, Action.CASE_ACCEPT) else "cases:list")
    return redirect("cases:detail", number=case.number)


def _local(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


@login_required
@page_guard
def case_export(request: HttpRequest, number: str, file_format: str) -> HttpResponse:
    user = _user(request)
    try:
        case = selectors.case_visible_or_404(user=user, number=number)
    except ApplicationError as error:
        raise Http404(error.message) from error
    require(user, Action.CASE_EXPORT, case)
    case_file = selectors.case_file(case=case, user=user)
    if file_format == "docx":
        content = case_file_docx(case_file)
        content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    elif file_format == "xlsx":
        content = case_file_xlsx(case_file)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise Http404
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="case-{case.number}.{file_format}"'
    return response


@login_required
@page_guard
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    """The private original of an attachment, for people who may see the case."""
    attachment = CaseAttachment.objects.select_related("case").filter(pk=attachment_id).first()
    if attachment is None or not user_can(request.user, Action.CASE_VIEW, attachment.case):
        raise Http404
    if attachment.public_file and personal_disclosure(
            request.user, PersonalField.PHOTO_METADATA, attachment.case) != Disclosure.SHOW:
        # the picture without its EXIF (GPS position, camera, time) for roles that only need the picture
        response = FileResponse(attachment.public_file.open("rb"), content_type="image/jpeg")
    else:
        response = FileResponse(attachment.private_file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = f'inline; filename="attachment-{attachment.pk}"'
    response["Cache-Control"] = "private, no-store"
    return response


def public_photo(request: HttpRequest, token: str) -> HttpResponseBase:
    """The EXIF-free public copy of a photo, addressed by an unguessable token (Open311 media_url)."""
    if len(token) != 32:
        raise Http404
    attachment = CaseAttachment.objects.filter(sha256__startswith=token).exclude(public_file="").first()
    if attachment is None:
        raise Http404
    return FileResponse(attachment.public_file.open("rb"), content_type="image/jpeg")
