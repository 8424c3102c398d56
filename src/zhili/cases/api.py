"""The cases JSON API (mounted at /api/v1/cases/, schema at /api/v1/openapi.json).

Authentication: a browser session (with CSRF), or ``Authorization: Bearer <key>`` with a key from
``zhili open311_apikey``. A key linked to a user acts as that user; a key without a user may only
create cases. ``POST /api/v1/cases/`` honours an ``Idempotency-Key`` header: a retry returns the
first attempt's case with the same status code and never creates a second one.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Header, Router
from ninja.responses import NinjaJSONEncoder
from ninja.security import HttpBearer, django_auth
from pydantic import Field

from zhili.accounts.models import User
from zhili.accounts.permissions import Action, require, user_can
from zhili.accounts.personal_data_policy import (
    Disclosure,
    PersonalField,
    personal_disclosure,
    personal_text_for,
    personal_text_shown_to,
)
from zhili.cases.classification import matter_proposals
from zhili.cases.contracts import CaseFilter
from zhili.cases.models import ApiKey, Case, CaseChannel, CaseEvent
from zhili.cases.schemas import (
    CaseCreateIn,
    CaseListOut,
    CaseOut,
    ErrorOut,
    EventOut,
    KpiOut,
    ProposalOut,
    TransitionIn,
)
from zhili.cases.selectors import (
    ReporterView,
    case_kpis,
    case_list,
    case_reporter_for,
    case_visible_or_404,
    kpi_area_path_for,
)
from zhili.cases.services.api_keys import api_key_authenticate
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.states import TRANSITIONS, CaseStatus
from zhili.core import clock
from zhili.core.errors import ApplicationError, PermissionDeniedError
from zhili.core.parameters import ApiDate, ApiOffset
from zhili.core.personal_data import personal_data_mask, personal_text_mask
from zhili.core.replica import replica_reads
from zhili.geo.models import Department, Matter, MatterCategory


class ApiKeyBearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        return api_key_authenticate(token)


router = Router(tags=["cases"], auth=[ApiKeyBearer(), django_auth])

API_CHANNELS = {CaseChannel.API, CaseChannel.HOTLINE, CaseChannel.CITIZEN_APP, CaseChannel.PATROL}


def _caller(request: HttpRequest) -> tuple[User | None, str]:
    """(acting user or None, client key for idempotency)."""
    auth: Any = request.auth  # type: ignore[attr-defined]
    if isinstance(auth, ApiKey):
        return auth.user, f"apikey:{auth.pk}"
    user: User = request.user  # type: ignore[assignment]
    return user, f"user:{user.pk}"


def _user_or_403(request: HttpRequest) -> User:
    user, _client = _caller(request)
    if user is None:
        raise PermissionDeniedError("api_key_without_user", _("该接口密钥只能提交新诉求；查询和办理需要关联用户的密钥。"))
    return user


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """Times in UTC, whether the case was just built in memory (China time) or read back from the database."""
    return value.astimezone(dt.UTC) if value is not None else None


def case_payload(case: Case, user: User | None, *, grid_code: str | None = None) -> dict[str, Any]:
    """The API's view of a case, as the personal-data policy lets ``user`` see it (``None``: the key
    without a user that filed it). ``grid_code`` saves loading the grid when the caller knows it."""
    if user is None:
        # a key without a user only ever files cases: it receives its own submission back (the code
        # included, for the citizen), the reporter masked as on every answer it gets
        reporter = ReporterView(name=case.reporter_name_masked, phone=case.reporter_phone_masked, id_number="",
                                masked=True)
        title, description, address_text = case.title, case.description, case.address_text
        tracking_code: str | None = case.tracking_code
    else:
        reporter = case_reporter_for(case=case, user=user)
        title, description, address_text = (personal_text_for(user, text, case)
                                            for text in (case.title, case.description, case.address_text))
        tracking_code = case.tracking_code if personal_disclosure(
            user, PersonalField.TRACKING_CODE, case) == Disclosure.SHOW else None
    return {
        "id": case.pk, "number": case.number, "tracking_code": tracking_code,
        "status": case.status, "status_label": str(CaseStatus(case.status).label), "channel": case.channel,
        "title": title, "description": description, "address_text": address_text,
        "longitude": case.longitude, "latitude": case.latitude,
        "grid_code": grid_code if grid_code is not None or not case.grid_id or not case.grid else case.grid.code,
        "category": case.category.name if case.category_id and case.category else None,
        "matter_code": case.matter.code if case.matter_id and case.matter else None,
        "department_code": case.department.code if case.department_id and case.department else None,
        "priority": case.priority, "appeal_type": case.appeal_type, "urge_count": case.urge_count,
        "return_count": case.return_count, "classification_confidence": case.classification_confidence,
        "sla_state": case.sla_state, "created_at": _utc(case.created_at), "dispatched_at": _utc(case.dispatched_at),
        "accept_due_at": _utc(case.accept_due_at), "handle_due_at": _utc(case.handle_due_at),
        "stage_due_at": _utc(case.stage_due_at), "finished_at": _utc(case.finished_at),
        "reporter_name": reporter.name, "reporter_phone": reporter.phone,
        # floats as the schema declares them (an id in a candidate pair included)
        "duplicate_candidates": [[float(value) for value in pair] for pair in case.duplicate_candidates],
        "master_case_number": case.master_case.number if case.master_case_id and case.master_case else None,
    }


@router.post("/", response={201: CaseOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="受理一件诉求（支持 Idempotency-Key）")
def case_create(request: HttpRequest, payload: CaseCreateIn,
                idempotency_key: str = Header("", alias="Idempotency-Key")  # type: ignore[type-arg]
                ) -> HttpResponse:
    user, client_key = _caller(request)
    if user is not None:
        require(user, Action.CASE_CREATE)
    if payload.channel not in API_CHANNELS:
        raise ApplicationError("channel_invalid", _("渠道只能是 api、hotline、citizen_app 或 patrol。"))
    result = case_intake(
        request=IntakeRequest(
            channel=payload.channel, description=payload.description, title=payload.title,
            address_text=payload.address_text, longitude=payload.longitude, latitude=payload.latitude,
            coordinate_system=payload.coordinate_system, reporter_name=payload.reporter_name,
            reporter_phone=payload.reporter_phone, matter_code=payload.matter_code, external_id=payload.external_id,
            confidential=payload.confidential, appeal_type=payload.appeal_type,
        ),
        actor=user, client_key=client_key, idempotency_key=idempotency_key,
        actor_label=str(user) if user else f"接口:{client_key}",
    )
    # a new case holds everything the answer shows (catalog objects, grid code); a replayed one was read
    # with its related rows
    return case_created_response(case_payload(result.case, user, grid_code=result.grid_code))


def case_created_response(payload: dict[str, Any]) -> HttpResponse:
    """The 201 answer, rendered exactly as django-ninja renders a validated ``CaseOut`` (same encoder,
    same content type) but without validating again a payload ``case_payload`` has just built with the
    schema's types — the busiest answer of the API (a test checks the two renderings are identical)."""
    return HttpResponse(json.dumps(payload, cls=NinjaJSONEncoder), status=201,
                        content_type="application/json; charset=utf-8")


@router.get("/", response=CaseListOut, summary="案件列表（按权限范围）")
def case_list_route(request: HttpRequest, status: str = "", department_code: str = "", sla_state: str = "",
                    text: str = "", limit: Annotated[int, Field(ge=1, le=200)] = 50,
                    offset: ApiOffset = 0) -> dict[str, Any]:
    user = _user_or_403(request)
    require(user, Action.CASE_VIEW)
    department_id = None
    if department_code:
        department_id = Department.objects.filter(code=department_code).values_list("pk", flat=True).first() or -1
    cases = case_list(user=user, case_filter=CaseFilter(status=status, department_id=department_id,
                                                         sla_state=sla_state, text=text))
    page = list(cases.select_related("master_case")[offset:offset + limit])
    return {"count": cases.count(), "results": [case_payload(case, user) for case in page]}


@router.get("/proposals", response=list[ProposalOut], summary="分类建议（坐席受理时预览）")
def proposals_route(request: HttpRequest, text: str) -> list[dict[str, Any]]:
    user = _user_or_403(request)
    require(user, Action.CASE_CREATE)
    return [proposal.__dict__ for proposal in matter_proposals(text)]


def _id_for_code(model: Any, code: str, error_code: str, what: str) -> int | None:
    """The id of ``model``'s row with ``code`` (None when no code is given); an unknown code is a 404."""
    if not code:
        return None
    found: int | None = model.objects.filter(code=code).values_list("pk", flat=True).first()
    if found is None:
        raise ApplicationError(error_code, _("%(what)s「%(code)s」不存在，请核对后重试。") % {"what": what, "code": code},
                               status_code=404)
    return found


@router.get("/kpis", response=KpiOut, summary="考核指标（任意范围与时段）")
def kpis_route(request: HttpRequest, start: ApiDate, end: ApiDate, area_path: str = "",
               department_code: str = "", category_code: str = "") -> dict[str, Any]:
    user = _user_or_403(request)
    require(user, Action.CASE_VIEW)
    if not user_can(user, Action.DASHBOARD_LEADER) and not user_can(user, Action.DASHBOARD_COMMAND_CENTER):
        raise PermissionDeniedError("permission_denied", _("只有指挥中心和领导可以查看考核指标。"))

    department_id = _id_for_code(Department, department_code, "department_not_found", _("部门编码"))
    category_id = _id_for_code(MatterCategory, category_code, "category_not_found", _("分类编码"))
    area_path = kpi_area_path_for(user=user, area_path=area_path)
    start_at = dt.datetime.combine(start, dt.time(0), clock.CHINA_TIME_ZONE)
    end_at = dt.datetime.combine(end, dt.time(0), clock.CHINA_TIME_ZONE) + dt.timedelta(days=1)
    with replica_reads():
        kpis = case_kpis(case_filter=CaseFilter(area_paths=(area_path,) if area_path else (),
                                                department_id=department_id, category_id=category_id),
                         start=start_at, end=end_at)
    return kpis.as_dict()


@router.get("/{number}", response={200: CaseOut, 404: ErrorOut}, summary="查看一件案件")
def case_get(request: HttpRequest, number: str) -> dict[str, Any]:
    user = _user_or_403(request)
    return case_payload(case_visible_or_404(user=user, number=number), user)


@router.get("/{number}/events", response={200: list[EventOut], 404: ErrorOut}, summary="一案一档时间线")
def case_events(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    user = _user_or_403(request)
    case = case_visible_or_404(user=user, number=number)
    shown = personal_text_shown_to(user, case)
    return [{"action": event.action, "from_status": event.from_status, "to_status": event.to_status,
             "actor_label": event.actor_label, "occurred_at": event.occurred_at,
             "note": event.note if shown else personal_text_mask(event.note),
             "data": event.data if shown else personal_data_mask(event.data)}
            for event in CaseEvent.objects.filter(case=case).order_by("occurred_at", "id")]


@router.post("/{number}/transitions/{action}",
             response={200: CaseOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="办理动作：dispatch, accept, return, extension_request, extension_decide, supervise, "
                     "reply, self_handle, follow_up, reopen, archive, merge, cancel")
def case_transition_route(request: HttpRequest, number: str, action: str, payload: TransitionIn) -> dict[str, Any]:
    user = _user_or_403(request)
    if action not in TRANSITIONS:
        raise ApplicationError("unknown_action", _("未知的操作「%(action)s」。") % {"action": action},
                               status_code=404)
    case = case_visible_or_404(user=user, number=number)
    department_id = payload.department_id
    if payload.department_code:
        department_id = Department.objects.filter(code=payload.department_code).values_list("pk", flat=True).first()
        if department_id is None:
            raise ApplicationError("department_not_found", _("部门编码「%(code)s」不存在。") % {
                "code": payload.department_code})
    matter_id = None
    if payload.matter_code:
        matter_id = Matter.objects.filter(code=payload.matter_code).values_list("pk", flat=True).first()
        if matter_id is None:
            raise ApplicationError("matter_not_found", _("事项编码「%(code)s」不存在。") % {"code": payload.matter_code})
    return_matter_id = None
    if payload.return_matter_code:
        return_matter_id = Matter.objects.filter(code=payload.return_matter_code).values_list("pk", flat=True).first()
        if return_matter_id is None:
            raise ApplicationError("return_matter_not_found", _("退回依据的事项编码「%(code)s」不存在。") % {
                "code": payload.return_matter_code[:32]})
    master_id = None
    if payload.master_case_number:
        master_id = Case.objects.filter(number=payload.master_case_number).values_list("pk", flat=True).first()
        if master_id is None:
            raise ApplicationError("master_not_found", _("主工单 %(number)s 不存在。") % {
                "number": payload.master_case_number})
    case_transition(case_id=case.pk, action=action, actor=user, details=TransitionDetails(
        note=payload.note, department_id=department_id, matter_id=matter_id,
        extension_working_days=payload.extension_working_days, approve=payload.approve, rating=payload.rating,
        resolved=payload.resolved, master_case_id=master_id, return_matter_id=return_matter_id,
        return_basis=payload.return_basis))
    # read back without the scope filter: a department that just returned the case no longer sees it
    updated = Case.objects.select_related("grid", "category", "matter", "department", "master_case").get(pk=case.pk)
    return case_payload(updated, user)
