"""Demo cases: a few thousand synthetic cases over the last 90 days, in every status.

Deterministic from the seed; idempotent (a second run leaves existing demo cases alone). Texts are
composed from each matter's keywords and real place names of the demo address base. Rows are
written with bulk_create; the timeline gets the events each status implies and the audit chain
one summary record per case.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TextIO

from django.db import transaction

from zhili.accounts.models import User
from zhili.audit.services import audit_record_append
from zhili.cases.models import (
    AppealType,
    Case,
    CaseChannel,
    CaseEvent,
    CaseNumberCounter,
    Priority,
    Rating,
    SlaState,
)
from zhili.cases.personal_data import personal_encrypt, phone_lookup_hash
from zhili.cases.services import sla
from zhili.cases.services.events import case_event_new
from zhili.cases.services.intake import tracking_code_new
from zhili.cases.states import OPEN_STATUSES, CaseAction, CaseStatus
from zhili.cases.working_time import WorkingCalendar, deadline_after
from zhili.core import clock
from zhili.core.personal_data import name_mask, phone_mask
from zhili.geo.models import Address, Area, AreaLevel, Matter

DEMO_CASE_COUNT = 3000
_TEMPLATES = (
    "{place}{keyword}，已经好几天了，希望尽快处理。",
    "反映{place}的{keyword}问题，影响周边居民生活，请相关部门处理。",
    "{place}附近{keyword}，{when}特别明显，麻烦派人来看一下。",
    "市民来电：{place}{keyword}，{extra}",
    "{place}一直存在{keyword}的情况，多次反映未解决，请给个说法。",
)
_WHEN = ("晚上", "早上", "周末", "雨天", "上下班高峰")
_EXTRA = ("老人小孩出行不便。", "存在安全隐患。", "希望尽快安排。", "附近商户也有意见。", "请及时回复。")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_APPEAL_TYPES = (("", 20), (AppealType.COMPLAINT, 30), (AppealType.HELP, 25), (AppealType.CONSULTATION, 10),
                 (AppealType.REPORT, 6), (AppealType.SUGGESTION, 7), (AppealType.PRAISE, 2))
_RETURN_BASES = ("《区城市管理职责清单》第 12 条：该事项由属地街道负责", "权责清单：小区内部设施由物业服务企业负责",
                 "《物业管理条例》第 35 条")


def _text(rng: random.Random, matter: Matter, place: str) -> str:
    keywords = matter.keyword_list or [matter.name]
    keyword = "、".join(rng.sample(keywords, k=min(len(keywords), rng.choice((1, 2, 2, 3)))))
    template = rng.choice(_TEMPLATES)
    return template.format(place=place, keyword=keyword, when=rng.choice(_WHEN), extra=rng.choice(_EXTRA))


def _status_for_age(rng: random.Random, age_days: float) -> str:
    if age_days > 20:
        return rng.choices([CaseStatus.ARCHIVED, CaseStatus.FOLLOWED_UP, CaseStatus.FINISHED, CaseStatus.MERGED,
                            CaseStatus.CANCELLED], [70, 15, 5, 7, 3])[0]
    if age_days > 5:
        return rng.choices([CaseStatus.ARCHIVED, CaseStatus.FOLLOWED_UP, CaseStatus.FINISHED, CaseStatus.HANDLING,
                            CaseStatus.MERGED], [35, 25, 15, 20, 5])[0]
    return rng.choices([CaseStatus.RECEIVED, CaseStatus.DISPATCHED, CaseStatus.HANDLING, CaseStatus.RETURNED,
                        CaseStatus.REVIEWING, CaseStatus.FINISHED], [15, 25, 37, 5, 4, 14])[0]


_PATHS: dict[str, tuple[str, ...]] = {
    CaseStatus.RECEIVED: (),
    CaseStatus.DISPATCHED: (CaseAction.DISPATCH,),
    CaseStatus.HANDLING: (CaseAction.DISPATCH, CaseAction.ACCEPT),
    CaseStatus.RETURNED: (CaseAction.DISPATCH, CaseAction.RETURN),
    CaseStatus.REVIEWING: (CaseAction.DISPATCH, CaseAction.ACCEPT, CaseAction.REPLY),
    CaseStatus.FINISHED: (CaseAction.DISPATCH, CaseAction.ACCEPT, CaseAction.REPLY),
    CaseStatus.FOLLOWED_UP: (CaseAction.DISPATCH, CaseAction.ACCEPT, CaseAction.REPLY, CaseAction.FOLLOW_UP),
    CaseStatus.ARCHIVED: (CaseAction.DISPATCH, CaseAction.ACCEPT, CaseAction.REPLY, CaseAction.FOLLOW_UP,
                          CaseAction.ARCHIVE),
    CaseStatus.MERGED: (CaseAction.MERGE,),
    CaseStatus.CANCELLED: (CaseAction.CANCEL,),
}


def load_demo(*, seed: int, stdout: TextIO) -> None:
    if Case.objects.filter(is_synthetic=True).exists():
        stdout.write("  cases: demo cases exist, left unchanged\n")
        return
    rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not security
    matters = list(Matter.objects.filter(is_active=True).select_related("department", "category").order_by("code"))
    grids = list(Area.objects.filter(level=AreaLevel.GRID).exclude(centroid_longitude=None).order_by("code"))
    if not matters or not grids:
        stdout.write("  cases: no matters or grids (load the geo demo first)\n")
        return
    places = list(Address.objects.order_by("code").values_list("compound", "road", "grid_id", "longitude",
                                                               "latitude")[:3000])
    users = {user.username: user for user in User.objects.filter(
        username__in=["operator", "dispatcher", "handler", "citizen", "gridworker"])}
    grid_by_id = {grid.pk: grid for grid in grids}
    calendar = WorkingCalendar()
    now = clock.now()
    per_day: dict[dt.date, int] = {}
    cases: list[Case] = []
    steps_by_index: list[list[tuple[str, dt.datetime, str, str]]] = []
    for _index in range(DEMO_CASE_COUNT):
        age_days = rng.random() ** 1.3 * 90
        created = now - dt.timedelta(days=age_days)
        local = created.astimezone(clock.CHINA_TIME_ZONE)
        created = local.replace(hour=rng.randrange(7, 22), minute=rng.randrange(60)).astimezone(dt.UTC)
        if created > now:
            created = now - dt.timedelta(minutes=rng.randrange(5, 300))
        matter = rng.choice(matters)
        if places and rng.random() < 0.9:
            compound, road, grid_id, longitude, latitude = rng.choice(places)
            place = compound or road
            grid = grid_by_id.get(grid_id) or rng.choice(grids)
        else:
            grid = rng.choice(grids)
            place, longitude, latitude = grid.name, grid.centroid_longitude or 0.0, grid.centroid_latitude or 0.0
        day = created.astimezone(clock.CHINA_TIME_ZONE).date()
        per_day[day] = per_day.get(day, 0) + 1
        status = _status_for_age(rng, age_days)
        channel = rng.choices([CaseChannel.HOTLINE, CaseChannel.CITIZEN_APP, CaseChannel.PATROL, CaseChannel.OPEN311],
                              [60, 25, 12, 3])[0]
        phone = f"13{rng.randrange(10**9):09d}"
        name = rng.choice(_SURNAMES) + rng.choice(("先生", "女士", "伟", "芳", "强", "敏"))
        urgent = sla.matter_is_urgent(matter)
        case = Case(
            number=f"{day:%Y%m%d}{per_day[day]:06d}", tracking_code=tracking_code_new(), channel=channel,
            status=status, description=_text(rng, matter, place), address_text=place,
            longitude=float(longitude) + rng.uniform(-0.0005, 0.0005), latitude=float(latitude) + rng.uniform(-0.0005,
                                                                                                            0.0005),
            grid=grid, area_path=grid.path, category_id=matter.category_id, matter=matter,
            department=matter.department, classification_confidence=round(rng.uniform(0.55, 0.97), 3),
            priority=Priority.HIGH if urgent else rng.choices([0, 1], [92, 8])[0], is_urgent=urgent,
            reporter_name_encrypted=personal_encrypt(name), reporter_phone_encrypted=personal_encrypt(phone),
            reporter_name_masked=name_mask(name), reporter_phone_masked=phone_mask(phone),
            reporter_phone_hash=phone_lookup_hash(phone), created_at=created, updated_at=created,
            is_synthetic=True, appeal_type=rng.choices([t for t, _w in _APPEAL_TYPES], [w for _t, w in _APPEAL_TYPES])[0],
        )
        case.title = case.description[:30]
        if channel == CaseChannel.CITIZEN_APP and "citizen" in users and rng.random() < 0.05:
            case.reporter_user = users["citizen"]
        if channel == CaseChannel.PATROL and "gridworker" in users:
            case.created_by = users["gridworker"]
        elif "operator" in users:
            case.created_by = users["operator"]
        steps: list[tuple[str, dt.datetime, str, str]] = [(CaseAction.CREATE, created, "", "")]
        at = created
        for action in _PATHS[status]:
            at = min(now, at + dt.timedelta(minutes=rng.randrange(10, 60 * 24 * (3 if action == "reply" else 1))))
            note = ""
            if action == CaseAction.DISPATCH:
                case.dispatched_at = at
                case.accept_due_at = deadline_after(at, sla.accept_limit(matter, urgent=urgent), calendar)
                case.handle_due_at = deadline_after(at, sla.handle_limit(matter, urgent=urgent,
                                                                         appeal_type=case.appeal_type), calendar)
                case.stage_due_at = case.accept_due_at
            elif action == CaseAction.ACCEPT:
                case.accepted_at = at
                case.accepted_on_time = at <= (case.accept_due_at or at)
                case.stage_due_at = case.handle_due_at
            elif action == CaseAction.RETURN:
                note = "经核实不属于本部门职责，请改派。"
                basis = rng.choice(_RETURN_BASES)
                case.status_note = f"{note}（依据：{basis}）"
                case.return_count = 1
                case.returned_by_department = case.department
                case.department = None
                case.stage_due_at = deadline_after(at, sla.dispatch_limit(matter=matter, priority=case.priority), calendar)
            elif action == CaseAction.REPLY and status == CaseStatus.REVIEWING:
                note = case.reply_text = case.status_note = "已安排人员现场处理完毕，请指挥中心审核。"
                case.replied_at = at
                case.finished_on_time = at <= (case.handle_due_at or at)
                case.stage_due_at = deadline_after(at, sla.review_limit(), calendar)
            elif action == CaseAction.REPLY:
                note = case.reply_text = "已安排人员现场处理完毕，并与反映人电话沟通。"
                case.replied_at = at
                case.status_note = note
                case.finished_at = at
                case.finished_on_time = at <= (case.handle_due_at or at)
                case.handling_seconds = int((at - created).total_seconds())
                case.follow_up_due_at = deadline_after(at, sla.follow_up_limit(matter), calendar)
                case.stage_due_at = case.follow_up_due_at
            elif action == CaseAction.FOLLOW_UP:
                case.rating = rng.choices([Rating.SATISFIED, Rating.BASICALLY_SATISFIED, Rating.UNSATISFIED],
                                          [72, 20, 8])[0]
                case.resolved = case.rating != Rating.UNSATISFIED or rng.random() < 0.3
                case.followed_up_at = at
                case.stage_due_at = None
            elif action in (CaseAction.ARCHIVE, CaseAction.MERGE, CaseAction.CANCEL):
                note = {"merge": "与在办工单重复，已合并。", "cancel": "重复录入，撤销。"}.get(action, "")
                case.closed_at = at
                case.stage_due_at = None
            steps.append((action, at, note, str(CaseAction(action).label)))
        stage_start = steps[-1][1]  # when the current stage began (before any repeat call)
        if status in OPEN_STATUSES and rng.random() < 0.06:  # repeat callers about the open case (催办)
            case.urge_count = rng.randrange(1, 4)
            for _call in range(case.urge_count):
                at = min(now, at + dt.timedelta(minutes=rng.randrange(30, 600)))
                steps.append((CaseAction.URGE, at, "市民再次来电催促：问题仍未解决。", str(CaseAction.URGE.label)))
        case.updated_at = at
        if case.stage_due_at is not None:
            # the yellow light at the warning share of the stage (so 黄灯预警 has real cases)
            if case.stage_due_at > stage_start:
                case.stage_warn_at = stage_start + (case.stage_due_at - stage_start) * 0.8
            case.sla_state = (SlaState.OVERDUE if case.stage_due_at <= now else SlaState.WARNING
                              if case.stage_warn_at is not None and case.stage_warn_at <= now else SlaState.NORMAL)
        cases.append(case)
        steps_by_index.append(steps)
    with transaction.atomic():
        Case.objects.bulk_create(cases, batch_size=500)
        masters = [case for case in cases if case.status in (CaseStatus.HANDLING, CaseStatus.FOLLOWED_UP,
                                                             CaseStatus.ARCHIVED)]
        merged = [case for case in cases if case.status == CaseStatus.MERGED]
        for case in merged:
            case.master_case = rng.choice(masters) if masters else None
        Case.objects.bulk_update(merged, ["master_case"], batch_size=500)
        events = []
        for case, steps in zip(cases, steps_by_index, strict=True):
            status = ""
            for action, at, note, _label in steps:
                from_status = status
                status = {
                    "create": CaseStatus.RECEIVED, "dispatch": CaseStatus.DISPATCHED, "accept": CaseStatus.HANDLING,
                    "return": CaseStatus.RETURNED,
                    "reply": CaseStatus.REVIEWING if case.status == CaseStatus.REVIEWING else CaseStatus.FINISHED,
                    "follow_up": CaseStatus.FOLLOWED_UP, "archive": CaseStatus.ARCHIVED, "merge": CaseStatus.MERGED,
                    "cancel": CaseStatus.CANCELLED, "urge": from_status,
                }[action]
                events.append(case_event_new(case=case, action=action, from_status=from_status, to_status=status,
                                             department_id=case.department_id if action != "create" else None,
                                             actor_id=None, actor_label="演示数据", at=at, note=note))
        CaseEvent.objects.bulk_create(events, batch_size=1000)
        for day, count in per_day.items():
            CaseNumberCounter.objects.update_or_create(day=day, defaults={"last_value": count})
        _audit_summaries(cases, now)
    stdout.write(f"  cases: {len(cases)} demo cases, {len(events)} timeline events\n")



def _audit_summaries(cases: list[Case], at: dt.datetime) -> None:
    """One audit record per demo case summarising its synthetic history."""
    for case in cases:
        audit_record_append(actor_id=None, actor_label="演示数据", action="case.demo_load", object_type="case",
                            object_id=case.number, data={"status": case.status, "created_at": case.created_at,
                                                         "demo": True})
