"""Input/output schemas of the cases JSON API (never raw models)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from zhili.core.parameters import ApiIdentifier, ApiLatitude, ApiLongitude


class CaseCreateIn(Schema):
    description: str = Field(..., description="诉求内容（1–4000 字）")
    title: str = ""
    channel: str = Field("api", description="api | hotline | citizen_app | patrol")
    address_text: str = ""
    longitude: ApiLongitude | None = None
    latitude: ApiLatitude | None = None
    coordinate_system: str = Field("wgs84", description="wgs84 | gcj02 | bd09")
    reporter_name: str = ""
    reporter_phone: str = ""
    matter_code: str = Field("", description="事项编码（可选；不填则自动分类）")
    external_id: str = ""
    confidential: bool = Field(False, description="保密：承办单位与公众都看不到反映人信息")
    appeal_type: str = Field("", description="诉求类型：consultation 咨询 | help 求助 | complaint 投诉 | report 举报 | "
                                             "suggestion 建议 | praise 表扬（可选，决定办理时限）")


class ProposalOut(Schema):
    matter_code: str
    matter_name: str
    category_name: str
    department_id: int
    confidence: float
    source: str


class CaseOut(Schema):
    id: int
    number: str
    tracking_code: str | None = None
    status: str
    status_label: str
    channel: str
    title: str
    description: str
    address_text: str
    longitude: float | None
    latitude: float | None
    grid_code: str | None
    category: str | None
    matter_code: str | None
    department_code: str | None
    priority: int
    appeal_type: str
    urge_count: int
    return_count: int
    classification_confidence: float
    sla_state: str
    created_at: dt.datetime
    dispatched_at: dt.datetime | None
    accept_due_at: dt.datetime | None
    handle_due_at: dt.datetime | None
    stage_due_at: dt.datetime | None
    finished_at: dt.datetime | None
    reporter_name: str
    reporter_phone: str
    duplicate_candidates: list[list[float]]
    master_case_number: str | None


class CaseListOut(Schema):
    count: int
    results: list[CaseOut]


class TransitionIn(Schema):
    note: str = ""
    department_id: ApiIdentifier | None = None
    department_code: str = ""
    matter_code: str = ""
    extension_working_days: int | None = None
    approve: bool | None = None
    rating: str = ""
    resolved: bool | None = None
    master_case_number: str = ""
    return_matter_code: str = Field("", description="退回依据：权责清单事项编码")
    return_basis: str = Field("", description="退回依据：法规、文件条款（与 return_matter_code 至少填一项）")


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor_label: str
    note: str
    data: dict[str, object]
    occurred_at: dt.datetime


class KpiOut(Schema):
    """The counters and KPIs of ``zhili.cases.rules.kpis`` (rates in percent, one decimal; ``null``
    when nothing was there to count) — the same figures the command center and leader pages show."""

    created_count: int
    dispatched_count: int
    accepted_count: int
    accept_judged_count: int
    accepted_on_time_count: int
    finished_count: int
    ever_finished_count: int
    finished_on_time_count: int
    self_handled_count: int
    reopened_count: int
    returned_count: int
    extended_count: int
    merged_count: int
    cancelled_count: int
    rated_count: int
    satisfied_count: int
    basically_satisfied_count: int
    unsatisfied_count: int
    resolved_known_count: int
    resolved_count: int
    handling_seconds_sum: int
    accept_on_time_rate: float | None = Field(None, description="按时签收率 %")
    finish_on_time_rate: float | None = Field(None, description="按期办结率 %")
    satisfaction_rate: float | None = Field(None, description="满意率 %")
    resolution_rate: float | None = Field(None, description="解决率 %")
    reopen_rate: float | None = Field(None, description="重办率 %")
    return_rate: float | None = Field(None, description="退回率 %")
    extension_rate: float | None = Field(None, description="延期率 %")
    duplicate_rate: float | None = Field(None, description="重复诉求率 %")
    average_handling_hours: float | None = Field(None, description="平均办理时长（小时）")
    score: float | None = Field(None, description="综合得分")


class ErrorOut(Schema):
    error: dict[str, object]
