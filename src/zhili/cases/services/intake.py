"""Intake: every channel's report becomes one case here (一口受理).

:func:`case_intake` locates the report (grid from the point, else from the address text),
proposes category → matter → department with a confidence, looks for open duplicates nearby,
sets the priority, and dispatches automatically when the proposal is confident, names one
department and no likely duplicate holds it; otherwise the case waits in the triage queue.

With an idempotency key, a retried request returns the case of the first attempt and never
creates a second one, even when the retries race (the key is a unique column of the case). A retry
is recognised by the same query that fetches the duplicate candidates, before any classifying or
numbering, so it costs no case number.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from zhili.audit.services import audit_record_new, audit_records_inserted
from zhili.cases import policy
from zhili.cases.classification import MatterProposal, active_matter, matter_proposals
from zhili.cases.hot_path import case_number_counter_increment, open_cases_near
from zhili.cases.models import (
    AppealType,
    AttachmentKind,
    Case,
    CaseChannel,
    CaseNumberCounter,
    LocationSource,
    Priority,
)
from zhili.cases.personal_data import personal_encrypt, phone_lookup_hash
from zhili.cases.services import sla
from zhili.cases.services.attachments import (
    ValidatedPhoto,
    attachment_files_kept_only_on_success,
    attachments_build,
)
from zhili.cases.services.events import case_event_for_creation
from zhili.cases.services.lifecycle import TransitionDetails, transition_apply
from zhili.cases.services.notifications import notifications_schedule_delivery
from zhili.cases.states import CaseAction, CaseStatus
from zhili.cases.working_time import working_calendar_current
from zhili.core import clock
from zhili.core.errors import ApplicationError
from zhili.core.personal_data import name_mask, phone_digits, phone_mask
from zhili.core.rows import rows_insert_linked
from zhili.geo.coordinates import to_wgs84
from zhili.geo.models import Address, Area, Matter, Urgency
from zhili.geo.selectors import address_candidates, grid_for_point
from zhili.textintel.duplicates import DuplicateCandidate, duplicate_scores

if TYPE_CHECKING:
    from zhili.accounts.models import User

TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_CODE_LENGTH = 12
ADDRESS_MATCH_MIN_SCORE = 0.6
URGENT_WORDS = ("燃气泄漏", "漏气", "煤气", "起火", "着火", "火灾", "触电", "漏电", "坍塌", "倒塌", "塌陷",
                "井盖丢失", "井盖缺失", "爆炸", "溺水", "危及生命", "人身安全")
CHANNELS_NEEDING_DISTRICT_LOCATION = {CaseChannel.CITIZEN_APP, CaseChannel.PATROL, CaseChannel.OPEN311,
                                      CaseChannel.API}


@dataclass(frozen=True)
class IntakeRequest:
    """What a reporter told us, in any channel. Coordinates may be WGS-84, GCJ-02 or BD-09."""

    channel: str
    description: str
    title: str = ""
    address_text: str = ""
    address_id: int | None = None
    longitude: float | None = None
    latitude: float | None = None
    coordinate_system: str = "wgs84"
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_id_number: str = ""
    matter_code: str = ""  # chosen by the client (Open311 service_code) or the operator
    attributes: Mapping[str, Any] = field(default_factory=dict)
    media_url: str = ""
    external_id: str = ""
    created_at: dt.datetime | None = None  # historical imports only
    confidential: bool = False  # 保密: the reporter's identity stays with the centre
    appeal_type: str = ""  # 诉求类型 (AppealType), empty when nobody said
    location_source: str = ""  # LocationSource: "photo" when the point is the photo's own GPS


@dataclass(frozen=True)
class IntakeResult:
    case: Case
    replayed: bool
    proposals: list[MatterProposal]
    duplicates: list[tuple[int, float]]
    grid_code: str | None = None  # known without a query for a new case; None for a replay


@dataclass(frozen=True)
class ResolvedLocation:
    longitude: float | None
    latitude: float | None
    grid_id: int | None
    grid_code: str
    area_path: str
    address_id: int | None
    address_text: str
    note: str
    source: str = ""


# -- numbers and codes --------------------------------------------------------------------------

def case_number_allocate(at: dt.datetime) -> str:
    """The next case number of ``at``'s (China) day: ``YYYYMMDD`` + 6-digit sequence.

    One UPDATE … RETURNING on the day's counter row, in its own short transaction, so the row
    lock is not held through the rest of intake; concurrent callers never get the same number.
    """
    day = at.astimezone(clock.CHINA_TIME_ZONE).date()
    value = case_number_counter_increment(day)
    if value is None:
        CaseNumberCounter.objects.bulk_create([CaseNumberCounter(day=day, last_value=0)], ignore_conflicts=True)
        value = case_number_counter_increment(day)
    if value is None:
        raise ApplicationError("case_number_unavailable", _("暂时无法分配工单编号，请稍后重试。"), status_code=503)
    return f"{day:%Y%m%d}{value:06d}"


def case_numbers_allocate(days: Mapping[dt.date, int]) -> dict[dt.date, int]:
    """Reserve ``count`` consecutive numbers on each day (an import's batch path); returns the first sequence of each.

    One UPDATE … RETURNING per day on the day's counter (missing counters are created first in one
    statement), inside the caller's transaction, so a failed import gives its numbers back.
    """
    wanted = {day: count for day, count in days.items() if count > 0}
    if not wanted:
        return {}
    CaseNumberCounter.objects.bulk_create([CaseNumberCounter(day=day, last_value=0) for day in sorted(wanted)],
                                          ignore_conflicts=True, batch_size=500)
    table = CaseNumberCounter._meta.db_table
    sql = f"UPDATE {table} SET last_value = last_value + %s WHERE day = %s RETURNING last_value"  # noqa: S608
    first: dict[dt.date, int] = {}
    with connection.cursor() as cursor:
        for day in sorted(wanted):
            cursor.execute(sql, [wanted[day], connection.ops.adapt_datefield_value(day)])
            row = cursor.fetchone()
            if row is None:
                raise ApplicationError("case_number_unavailable", _("暂时无法分配工单编号，请稍后重试。"), status_code=503)
            first[day] = int(row[0]) - wanted[day] + 1
    return first


def tracking_code_new() -> str:
    """Random, unguessable (31^12 ≈ 7.9e17) and easy to read aloud: no 0/O, 1/I/L."""
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_CODE_LENGTH))


# -- validation and enrichment ------------------------------------------------------------------

def _clean_text(text: str) -> str:
    # drop control characters except line breaks; keep emoji and traditional characters as typed
    text = text or ""
    if text.replace("\n", "").replace("\t", "").isprintable():  # the usual case, checked in C
        return text.strip()
    return "".join(ch for ch in text if ch in "\n\t" or ch.isprintable()).strip()


def _validate(request: IntakeRequest) -> tuple[str, str]:
    if request.channel not in CaseChannel.values:
        raise ApplicationError("channel_invalid", _("未知的受理渠道「%(channel)s」。") % {"channel": request.channel})
    description = _clean_text(request.description)
    if not description:
        raise ApplicationError("description_required", _("请填写诉求内容：发生了什么问题、在哪里。"),
                               details={"field": "description"})
    if len(description) > policy.DESCRIPTION_MAX_CHARACTERS:
        raise ApplicationError(
            "description_too_long",
            _("诉求内容有 %(length)d 字，超过 %(limit)d 字的上限，请精简后再提交（可把材料作为附件上传）。") % {
                "length": len(description), "limit": policy.DESCRIPTION_MAX_CHARACTERS},
            details={"field": "description", "length": len(description)},
        )
    if request.reporter_phone:
        digits = phone_digits(request.reporter_phone)
        if not 7 <= len(digits) <= 15:
            raise ApplicationError("phone_invalid", _("联系电话格式不正确，请填写手机号或带区号的固定电话。"),
                                   details={"field": "reporter_phone"})
    if request.appeal_type and request.appeal_type not in AppealType.values:
        raise ApplicationError("appeal_type_invalid", _(
            "未知的诉求类型「%(value)s」，可选：%(allowed)s。") % {
                "value": request.appeal_type[:20],
                "allowed": "、".join(f"{value}（{label}）" for value, label in AppealType.choices)},
            details={"field": "appeal_type"})
    title = _clean_text(request.title).replace("\n", " ")[:120] or description.replace("\n", " ")[:30]
    return description, title


def _locate(request: IntakeRequest) -> ResolvedLocation:

    longitude, latitude = request.longitude, request.latitude
    if (longitude is None) != (latitude is None):
        raise ApplicationError("coordinates_incomplete", _("经度和纬度需要同时提供。"))
    address_text = _clean_text(request.address_text)[:300]
    grid_id: int | None = None
    grid_code = ""
    area_path = ""
    address_id: int | None = None
    note = ""
    source = request.location_source if request.location_source in LocationSource.values else ""
    if longitude is not None and latitude is not None:
        if not (math.isfinite(longitude) and math.isfinite(latitude)
                and -180 <= longitude <= 180 and -90 <= latitude <= 90):
            raise ApplicationError("coordinates_invalid", _("坐标不合法：经度应在 -180～180，纬度应在 -90～90 之间。"))
        try:
            longitude, latitude = to_wgs84(longitude, latitude, request.coordinate_system or "wgs84")
        except ValueError as error:
            raise ApplicationError("coordinate_system_invalid", _(
                "不支持的坐标系「%(system)s」，请使用 wgs84、gcj02 或 bd09。") % {
                "system": request.coordinate_system}) from error
        location = grid_for_point(longitude=longitude, latitude=latitude)
        if location is not None:
            grid_id, grid_code, area_path = location.grid_id, location.grid_code, location.path
            if location.level != "grid":  # the district has no grid boundary there (yet): the finest it has
                note = _("定位到「%(name)s」（该处没有网格边界）") % {"name": location.grid_name}
    if request.address_id is not None and grid_id is None:
        address = Address.objects.filter(pk=request.address_id).select_related("grid").first()
        if address is None:
            raise ApplicationError("address_not_found", _("标准地址编号不存在，请核对后重试或直接填写地址。"))
        grid_id, grid_code, area_path, address_id = address.grid_id, address.grid.code, address.grid.path, address.pk
        address_text = address_text or address.full_text
        if longitude is None:
            longitude, latitude = address.longitude, address.latitude
            source = LocationSource.ADDRESS
    if grid_id is None and address_text:
        candidates = address_candidates(address_text, limit=1)
        if candidates and candidates[0].score >= ADDRESS_MATCH_MIN_SCORE:
            best = candidates[0]
            grid_id, address_id = best.grid_id, best.address_id
            grid_code, area_path = _grid_code_and_path(best.grid_id)
            if longitude is None:
                longitude, latitude = best.longitude, best.latitude
                source = LocationSource.ADDRESS
            note = _("按地址匹配定位（%(address)s，匹配度 %(score).0f%%）") % {
                "address": best.full_text, "score": best.score * 100}
    if grid_id is None:
        if request.longitude is not None or address_text:
            if request.channel in CHANNELS_NEEDING_DISTRICT_LOCATION and (
                    request.longitude is not None or request.channel != CaseChannel.OPEN311):
                raise ApplicationError(
                    "location_outside_district",
                    _("所选位置不在本区网格范围内。请在地图上重新选择问题发生地点，或拨打 12345 由坐席受理。"),
                    details={"field": "location"},
                )
            note = _("位置不在本区网格范围内，待派单员确认")
        elif request.channel in CHANNELS_NEEDING_DISTRICT_LOCATION:
            raise ApplicationError("location_required", _("请提供问题发生的位置：在地图上选点，或填写详细地址。"),
                                   details={"field": "location"})
        else:
            note = _("未提供位置，待派单员确认")
    return ResolvedLocation(longitude=longitude, latitude=latitude, grid_id=grid_id, grid_code=grid_code,
                            area_path=area_path, address_id=address_id, address_text=address_text, note=note,
                            source=source if longitude is not None else "")


def _grid_code_and_path(grid_id: int) -> tuple[str, str]:

    row = Area.objects.filter(pk=grid_id).values_list("code", "path").first()
    return (row[0], row[1]) if row else ("", "")


def _duplicates_scored(*, candidates: Sequence[DuplicateCandidate], description: str,
                       location: ResolvedLocation, category_id: int | None,
                       at: dt.datetime) -> list[tuple[int, float]]:
    """The likely duplicates among the candidates, scored by text intelligence (categories compared by id)."""
    if not candidates:
        return []
    scores = duplicate_scores(text=description, longitude=location.longitude, latitude=location.latitude,
                              category_code=str(category_id) if category_id is not None else None,
                              created_at=at, candidates=candidates)
    return [(case_id, round(score, 3)) for case_id, score in scores[:5]]


def _priority(description: str, matter: Matter | None) -> int:

    priority = Priority.NORMAL
    if matter is not None and matter.urgency == Urgency.EMERGENCY:
        priority = Priority.CRITICAL
    elif matter is not None and matter.urgency == Urgency.URGENT:
        priority = Priority.HIGH
    if any(word in description for word in URGENT_WORDS):
        priority = max(priority, Priority.HIGH)
    return int(priority)


def _request_hash(request: IntakeRequest, photos: Sequence[ValidatedPhoto]) -> str:
    payload = asdict(request)
    payload["created_at"] = request.created_at.isoformat() if request.created_at else None
    payload["photos"] = [photo.sha256 for photo in photos]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _replay(intake_key: str, request_hash: str) -> IntakeResult | None:
    # with the related rows every answer shows (the API returns the replayed case as it is)
    existing = (Case.objects.select_related("grid", "category", "matter", "department", "master_case")
                .filter(intake_key=intake_key).first())
    if existing is None:
        return None
    if existing.intake_request_hash and existing.intake_request_hash != request_hash:
        raise ApplicationError(
            "idempotency_key_reused",
            # the answer never names the case the key was used for: a reused key proves nothing about who asks
            _("该 Idempotency-Key 已用于另一份内容不同的请求。新的诉求请使用新的 Key（网页表单：请刷新页面后重新提交）。"),
            status_code=422,
        )
    return IntakeResult(case=existing, replayed=True, proposals=[], duplicates=list(existing.duplicate_candidates))


def _matter_for(request: IntakeRequest, proposals: list[MatterProposal]) -> tuple[Matter | None, float]:
    if request.matter_code:
        matter = active_matter(code=request.matter_code)
        if matter is None:
            raise ApplicationError("matter_not_found", _("事项编码「%(code)s」不存在或已停用。") % {
                "code": request.matter_code}, status_code=404, details={"field": "service_code"})
        return matter, 1.0
    if not proposals:
        return None, 0.0
    return active_matter(matter_id=proposals[0].matter_id), proposals[0].confidence


def case_intake(*, request: IntakeRequest, actor: User | None, client_key: str = "", idempotency_key: str = "",
                photos: Sequence[ValidatedPhoto] = (), actor_label: str = "",
                dispatch_automatically: bool = True) -> IntakeResult:
    """Create one case from a report (see the module docstring); returns it with the proposals.

    ``dispatch_automatically=False`` keeps the case in triage whatever the confidence (a grid
    worker who closes it on the spot). ``client_key`` names the calling client ("user:7", "apikey:3") so idempotency keys of
    different clients never collide. Photos must already be validated (``photos_validate``).
    """
    description, title = _validate(request)
    idempotency_key = (idempotency_key or "").strip()
    if len(idempotency_key) > 120:
        raise ApplicationError("idempotency_key_invalid", _("Idempotency-Key 不能超过 120 个字符。"))
    intake_key = f"{client_key or 'anonymous'}:{idempotency_key}" if idempotency_key else None
    request_hash = _request_hash(request, photos) if intake_key else ""
    location = _locate(request)
    at = clock.now()
    created_at = request.created_at or at
    # A retry is found by the same round trip as the duplicate candidates; two racing first attempts
    # both pass here, and the second one's INSERT meets the unique key (below).
    candidates, key_used = open_cases_near(longitude=location.longitude, latitude=location.latitude,
                                            grid_id=location.grid_id, at=created_at, intake_key=intake_key)
    if intake_key is not None and key_used:
        replay = _replay(intake_key, request_hash)
        if replay is not None:
            return replay
    proposals = matter_proposals(f"{title}\n{description}")
    matter, confidence = _matter_for(request, proposals)
    duplicates = _duplicates_scored(candidates=candidates, description=description, location=location,
                                    category_id=matter.category_id if matter else None, at=created_at)
    number = case_number_allocate(created_at)
    phone = request.reporter_phone.strip()
    actor_id = actor.pk if actor is not None else None
    label = actor_label or (str(actor) if actor is not None else _("系统接口"))
    case = Case(
        number=number, tracking_code=tracking_code_new(), channel=request.channel, status=CaseStatus.RECEIVED,
        title=title, description=description, address_text=location.address_text, address_id=location.address_id,
        longitude=location.longitude, latitude=location.latitude, grid_id=location.grid_id,
        area_path=location.area_path, location_note=location.note, location_source=location.source,
        is_confidential=request.confidential, appeal_type=request.appeal_type,
        matter=matter, category_id=matter.category_id if matter else None,
        department_id=matter.department_id if matter else None,
        classification_confidence=confidence, priority=_priority(description, matter),
        is_urgent=sla.matter_is_urgent(matter),
        reporter_user=actor if actor is not None and actor.role == "citizen" else None,
        reporter_name_encrypted=personal_encrypt(request.reporter_name.strip()[:60]),
        reporter_phone_encrypted=personal_encrypt(phone),
        reporter_id_number_encrypted=personal_encrypt(request.reporter_id_number.strip()[:18]),
        reporter_name_masked=name_mask(request.reporter_name)[:40], reporter_phone_masked=phone_mask(phone),
        reporter_phone_hash=phone_lookup_hash(phone), created_by_id=actor_id if actor and actor.role != "citizen" else None,
        duplicate_candidates=[[case_id, score] for case_id, score in duplicates],
        intake_key=intake_key, intake_request_hash=request_hash, external_id=request.external_id[:64],
        media_url=request.media_url[:500], attributes=dict(request.attributes),
        created_at=created_at, updated_at=at,
    )
    if matter is not None:  # the catalog's objects: reading case.category/department costs no query
        case.matter = matter
        case.category = matter.category
        if matter.department_id:
            case.department = matter.department
    calendar = working_calendar_current()
    # the dispatcher's clock runs from intake until a department is chosen
    deadline = sla.stage_deadline(created_at, sla.dispatch_limit(matter=matter, priority=case.priority), calendar)
    case.stage_due_at, case.stage_warn_at = deadline.due_at, deadline.warn_at
    create_event = case_event_for_creation(
        case=case, actor_id=actor_id, actor_label=label, at=created_at,
        data={"channel": request.channel, "matter": matter.code if matter else None,
              "confidence": round(confidence, 3), "grid_id": location.grid_id,
              "duplicates": case.duplicate_candidates, "location_note": location.note})
    events = [create_event]
    notifications = []
    likely_duplicate = bool(duplicates) and duplicates[0][1] >= policy.duplicate_threshold()
    auto_dispatch = (dispatch_automatically and request.channel != CaseChannel.IMPORT and matter is not None and matter.department_id is not None
                     and matter.department.is_active and confidence >= policy.auto_dispatch_threshold()
                     and not likely_duplicate)
    if auto_dispatch:
        # the manual dispatch's own handler, on the case not saved yet: its rows join the one insert below
        applied = transition_apply(case, action=CaseAction.DISPATCH, details=TransitionDetails(
            note=_("置信度 %(confidence).0f%%，自动派单") % {"confidence": confidence * 100}),
            actor_id=None, actor_label=_("自动派单"), at=at, calendar=calendar)
        events += applied.events
        notifications += applied.notifications
    audit_record = audit_record_new(
        actor_id=actor_id, actor_label=label, action="case.create", object_type="case", object_id=number,
        data={"channel": request.channel, "status": case.status,
              "matter": matter.code if matter else None, "confidence": round(confidence, 3),
              "department": case.department.code if case.department_id and case.department else None,
              "grid_id": location.grid_id, "duplicates": case.duplicate_candidates},
    )
    linked_rows: list[tuple[Model, str | None]] = [
        *((event, "case_id") for event in events), *((notification, "case_id") for notification in notifications),
        (audit_record, None)]
    # The hottest write of the platform. The case, its events, its notifications and its audit record go
    # in ONE statement (core.rows: one round trip on PostgreSQL, atomic on its own outside a transaction);
    # a surrounding transaction (an import, a test) gets a savepoint so a replayed key leaves it usable.
    needs_transaction = bool(photos) or connection.in_atomic_block
    try:
        with attachment_files_kept_only_on_success(), \
                transaction.atomic() if needs_transaction else contextlib.nullcontext():
            rows_insert_linked(case, linked_rows)
            if photos:
                attachments = attachments_build(case=case, photos=photos, kind=AttachmentKind.PHOTO,
                                                uploaded_by_id=actor_id, at=at)
                for attachment in attachments:
                    attachment.event = create_event
                    attachment.save(update_fields=["event"])
    except IntegrityError:
        if intake_key is not None:
            replay = _replay(intake_key, request_hash)
            if replay is not None:
                return replay
        raise
    audit_records_inserted()
    if notifications:
        notifications_schedule_delivery()
    return IntakeResult(case=case, replayed=False, proposals=proposals, duplicates=duplicates,
                        grid_code=location.grid_code or None)

