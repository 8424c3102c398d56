"""Open311 GeoReport v2 server (mounted at /open311/v2/), JSON and XML.

Services are the active matters of the responsibility list. Every service has two optional
attributes (``hazard``, ``detail_location``); ``hazard`` is required for urgent matters.
Extensions: ``page``/``page_size`` on GET requests, ``extensions=true`` for ``extended_attributes``
and ``notes``, ``media_url`` on POST and GET, and a multipart ``media`` photo on POST.

GET answers anyone, so it publishes what a public map may show and nothing more (docs/cases.md,
"What Open311 publishes"):

- only cases of the public window (received in the last ``ZHILI_OPEN311_PUBLIC_DAYS`` days, not
  cancelled, not imported history); ``service_request_id`` lists hold at most 50 numbers;
- free text is masked by the one personal-data policy (anonymous viewer); the reporter's name,
  phone and e-mail are never returned;
- cases the reporter did not publish themselves (12345 hotline, other systems) show the category and
  a short masked summary only, the address without its house number and the position rounded to the
  public map's precision (3 decimals, about 100 m); 保密 cases show the category alone;
- a position read from a photo's own GPS (EXIF) is never published: the grid's centre stands in.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from zhili.accounts.personal_data_policy import personal_text_for
from zhili.cases.models import AppealType, Case, CaseAttachment, CaseChannel, LocationSource
from zhili.cases.services.api_keys import api_key_authenticate
from zhili.cases.services.attachments import photos_validate
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.cases.states import OPEN311_CLOSED_STATUSES, CaseAction, CaseStatus
from zhili.core import clock
from zhili.core.client_address import client_address
from zhili.core.errors import ApplicationError
from zhili.core.parameters import (
    LARGEST_OFFSET,
    datetime_parameter,
    integer_parameter,
    list_parameter,
    number_value,
)
from zhili.core.personal_data import personal_text_mask
from zhili.core.rate_limits import RateLimitedError, rate_limit_hit, retry_after_set
from zhili.geo.models import Address, Matter, Urgency

FORMATS = ("json", "xml")
DEFAULT_WINDOW_DAYS = 90
DEFAULT_LIMIT = 1000
MAX_PAGE_SIZE = 1000
MAX_REQUEST_IDS = 50
MAX_SERVICE_CODES = 50
ATTRIBUTE_MAX_CHARACTERS = 200  # of an attribute's whole value: a list's items together
ATTRIBUTE_MAX_ITEMS = 10  # items of a list-valued attribute (attribute[code][]=…)
PUBLIC_COORDINATE_DECIMALS = 3  # the public map's precision (≈100 m)
SUMMARY_CHARACTERS = 20
# channels whose reporter published the report themselves (FixMyStreet-style); the others are private
SELF_PUBLISHED_CHANNELS = frozenset({CaseChannel.CITIZEN_APP, CaseChannel.OPEN311, CaseChannel.PATROL})
_HOUSE_NUMBER = re.compile(r"[0-9０-９一二三四五六七八九十百零〇]+(?:-[0-9]+)*\s*(?:号楼|号院|号|幢|栋|座|单元|室|楼|层|弄|#)")
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# -- rendering ---------------------------------------------------------------------------------

def _w3c(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(clock.CHINA_TIME_ZONE).isoformat(timespec="seconds")


def _xml_value(parent: ElementTree.Element, key: str, value: Any) -> None:
    child = ElementTree.SubElement(parent, key)
    if isinstance(value, dict):
        for sub_key, sub_value in value.items():
            _xml_value(child, sub_key, sub_value)
    elif isinstance(value, list):
        singular = {"attributes": "attribute", "values": "value", "notes": "note", "photos": "photo"}.get(key, "item")
        for item in value:
            _xml_value(child, singular, item)
    elif value is None:
        child.text = ""
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    else:
        child.text = str(value)


def _render(fmt: str, root: str, item: str | None, data: Any, status: int = 200) -> HttpResponse:
    if fmt == "json":
        return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    element = ElementTree.Element(root)
    if item is None:
        for key, value in data.items():
            _xml_value(element, key, value)
    else:
        for entry in data:
            child = ElementTree.SubElement(element, item)
            for key, value in entry.items():
                _xml_value(child, key, value)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(element, encoding="utf-8",
                                                                            xml_declaration=False)
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def _errors(fmt: str, status: int, description: str) -> HttpResponse:
    fmt = fmt if fmt in FORMATS else "json"
    return _render(fmt, "errors", "error", [{"code": status, "description": personal_text_mask(description)}],
                   status=status)


def _rate_limit(request: HttpRequest) -> None:
    """Per api_key when the request carries a valid one (GET or POST), else per client address."""
    raw_key = (request.POST.get("api_key", "") if request.method == "POST" else "") or request.GET.get("api_key", "")
    api_key = api_key_authenticate(raw_key) if raw_key else None
    if api_key is not None:
        rate_limit_hit(scope="open311_key", identity=f"apikey:{api_key.pk}")
    else:
        rate_limit_hit(scope="open311_address", identity=client_address(request))


def _endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
        if fmt not in FORMATS:
            return _errors("json", 400, f"不支持的格式 .{fmt}，请使用 .json 或 .xml")
        try:
            _rate_limit(request)
        except RateLimitedError as error:
            return retry_after_set(_errors(fmt, 429, error.message), error)
        try:
            return view(request, fmt, **kwargs)
        except Open311Error as error:
            return _errors(fmt, error.status, error.description)
        except ApplicationError as error:
            status = error.status_code if error.status_code in (403, 404) else 400
            return _errors(fmt, status, error.message)

    return wrapped


# -- services ----------------------------------------------------------------------------------

def _service(matter: Matter) -> dict[str, Any]:
    return {
        "service_code": matter.code, "service_name": matter.name,
        "description": f"{matter.category.name}：{matter.name}（责任部门：{matter.department.name}）",
        "metadata": True, "type": "realtime", "keywords": ", ".join(matter.keyword_list),
        "group": matter.category.name,
    }


def service_attributes(matter: Matter) -> list[dict[str, Any]]:
    urgent = matter.urgency in (Urgency.URGENT, Urgency.EMERGENCY)
    return [
        {"variable": True, "code": "hazard", "datatype": "singlevaluelist", "required": urgent,
         "datatype_description": None, "order": 1, "description": "现场是否存在安全隐患？",
         "values": [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}]},
        {"variable": True, "code": "detail_location", "datatype": "string", "required": False,
         "datatype_description": "楼栋、门牌或路口", "order": 2, "description": "具体位置", "values": []},
        # 诉求类型 (optional): decides the handling limit (docs/cases.md, "Appeal types")
        {"variable": True, "code": "appeal_type", "datatype": "singlevaluelist", "required": False,
         "datatype_description": None, "order": 3, "description": "诉求类型",
         "values": [{"key": value, "name": str(label)} for value, label in AppealType.choices]},
    ]


def _matters() -> QuerySet[Matter]:
    return Matter.objects.filter(is_active=True).select_related("category", "department").order_by("code")


@_endpoint
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method != "GET":
        raise Open311Error(400, "services 只支持 GET")
    return _render(fmt, "services", "service", [_service(matter) for matter in _matters()])


@_endpoint
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    matter = _matters().filter(code=service_code).first()
    if matter is None:
        raise Open311Error(404, f"service_code {service_code} 不存在")
    data = {"service_code": matter.code, "attributes": service_attributes(matter)}
    return _render(fmt, "service_definition", None, data)


# -- requests ----------------------------------------------------------------------------------

def _public_photo_urls(request: HttpRequest, case: Case, attachments: list[CaseAttachment]) -> list[str]:
    # ZHILI_PUBLIC_URL when configured; else the request's host, which Django validated against ALLOWED_HOSTS
    base = settings.ZHILI_PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")
    return [base + reverse("cases:public_photo", args=[attachment.sha256[:32]])
            for attachment in attachments if attachment.public_file]


def _event_label(action: str) -> str:
    return str(CaseAction(action).label) if action in CaseAction.values else action


def _status_notes(case: Case) -> str | None:
    if case.status == CaseStatus.MERGED:
        return f"重复诉求，已合并至 {case.master_case.number}" if case.master_case else "重复诉求，已合并"
    if case.is_confidential:
        return None
    return personal_text_for(None, case.status_note) or None


def public_window_days() -> int:
    return int(getattr(settings, "ZHILI_OPEN311_PUBLIC_DAYS", 365))


def _public_cases() -> QuerySet[Case]:
    """The cases Open311 may publish at all: recent, not cancelled, not imported history."""
    since = clock.now() - dt.timedelta(days=public_window_days())
    return (Case.objects.filter(created_at__gte=since).exclude(status=CaseStatus.CANCELLED)
            .exclude(channel=CaseChannel.IMPORT))


def _self_published(case: Case) -> bool:
    return case.channel in SELF_PUBLISHED_CHANNELS and not case.is_confidential


def address_without_house_number(text: str) -> str:
    """``丽华新村12幢3单元`` → ``丽华新村``: the place without the door (for cases published by others)."""
    return _HOUSE_NUMBER.sub("", text).strip(" ,，")


def _public_description(case: Case) -> str:
    category = case.category.name if case.category_id and case.category else (
        case.matter.name if case.matter_id and case.matter else "")
    if _self_published(case):
        return personal_text_for(None, case.description)
    if case.is_confidential:
        return category or "保密诉求"
    summary = personal_text_for(None, case.title)[:SUMMARY_CHARACTERS]
    return f"{category}：{summary}" if category else summary


def _public_address(case: Case) -> str | None:
    if case.is_confidential:
        return None
    text = personal_text_for(None, case.address_text)
    if not _self_published(case):
        text = address_without_house_number(text)
    return text or None


def public_position(case: Case) -> tuple[float | None, float | None]:
    """(lat, long) as the public may see them: exact for a point the reporter published, rounded for
    others, the grid's centre instead of a photo's own GPS."""
    latitude, longitude = case.latitude, case.longitude
    if case.location_source == LocationSource.PHOTO:
        grid = case.grid if case.grid_id else None
        latitude = grid.centroid_latitude if grid is not None else None
        longitude = grid.centroid_longitude if grid is not None else None
    if latitude is None or longitude is None:
        return None, None
    if case.location_source == LocationSource.PHOTO or not _self_published(case):
        return round(latitude, PUBLIC_COORDINATE_DECIMALS), round(longitude, PUBLIC_COORDINATE_DECIMALS)
    return latitude, longitude


def request_payload(request: HttpRequest, case: Case, *, photos: list[CaseAttachment],
                    extensions: bool) -> dict[str, Any]:
    photo_urls = [] if case.is_confidential else _public_photo_urls(request, case, photos)
    updated = case.closed_at or case.finished_at if case.status in OPEN311_CLOSED_STATUSES else case.updated_at
    latitude, longitude = public_position(case)
    self_published = _self_published(case)
    payload: dict[str, Any] = {
        "service_request_id": case.number,
        "status": "closed" if case.status in OPEN311_CLOSED_STATUSES else "open",
        "status_notes": _status_notes(case),
        "service_name": case.matter.name if case.matter else None,
        "service_code": case.matter.code if case.matter else None,
        "description": _public_description(case),
        "agency_responsible": case.department.name if case.department else None,
        "service_notice": None,
        "requested_datetime": _w3c(case.created_at),
        "updated_datetime": _w3c(updated or case.updated_at),
        "expected_datetime": _w3c(case.handle_due_at),
        "address": _public_address(case),
        "address_id": case.address.code if self_published and case.address else None,
        "zipcode": None,
        "lat": latitude,
        "long": longitude,
        "media_url": photo_urls[0] if photo_urls else (case.media_url or None) if self_published else None,
    }
    if extensions:
        payload["extended_attributes"] = {
            "channel": case.channel, "grid": case.grid.name if case.grid else None,
            "status_detail": str(CaseStatus(case.status).label), "photos": photo_urls,
        }
        payload["notes"] = [
            {"datetime": _w3c(event.occurred_at), "description": _event_label(event.action),
             "type": event.action}
            for event in case.events.all()
        ]
    return payload


def _requests_query(params: Mapping[str, str]) -> tuple[QuerySet[Case], int, int]:
    """The cases a GET requests query asks for, with its page and page size (``page_size`` above 1000 is
    read as 1000). Dates, numbers and lists are parsed by ``core.parameters``: a bad one is a 400."""
    cases = _public_cases().select_related("matter", "category", "department", "address", "grid", "master_case")
    page = integer_parameter(params, "page", default=1, minimum=1, maximum=LARGEST_OFFSET // MAX_PAGE_SIZE) or 1
    page_size = min(integer_parameter(params, "page_size", default=DEFAULT_LIMIT, minimum=1,
                                      maximum=LARGEST_OFFSET) or DEFAULT_LIMIT, MAX_PAGE_SIZE)
    ids = list_parameter(params, "service_request_id", max_items=MAX_REQUEST_IDS, max_item_length=64)
    if ids:
        return cases.filter(number__in=ids).order_by("-created_at"), page, page_size
    codes = list_parameter(params, "service_code", max_items=MAX_SERVICE_CODES, max_item_length=64)
    if codes:
        cases = cases.filter(matter__code__in=codes)
    end = datetime_parameter(params, "end_date")
    start = datetime_parameter(params, "start_date")
    if start is None and end is None:
        end = clock.now()
    if start is None and end is not None:
        start = end - dt.timedelta(days=DEFAULT_WINDOW_DAYS)
    if end is None and start is not None:
        end = start + dt.timedelta(days=DEFAULT_WINDOW_DAYS)
    if start is None or end is None:  # unreachable: both are set above
        raise Open311Error(400, "start_date/end_date 无效")
    if end < start:
        raise Open311Error(400, "end_date 不能早于 start_date")
    if end - start > dt.timedelta(days=DEFAULT_WINDOW_DAYS):
        raise Open311Error(400, "start_date 与 end_date 的跨度不能超过 90 天")
    cases = cases.filter(created_at__gte=start, created_at__lte=end)
    statuses = set(list_parameter(params, "status", max_items=2, max_item_length=6))
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status 只能是 open 或 closed")
    if statuses == {"open"}:
        cases = cases.exclude(status__in=sorted(OPEN311_CLOSED_STATUSES))
    elif statuses == {"closed"}:
        cases = cases.filter(status__in=sorted(OPEN311_CLOSED_STATUSES))
    return cases.order_by("-created_at", "-id"), page, page_size


def _attribute_value(code: str, value: str | list[str], definition: dict[str, Any]) -> str | list[str]:
    """One attribute's value, checked as a whole: a list (``attribute[code][]=…``) holds at most
    ATTRIBUTE_MAX_ITEMS items and ATTRIBUTE_MAX_CHARACTERS characters across them, like a single value;
    a single-value list takes exactly one of its keys (a list of one is that value)."""
    items = value if isinstance(value, list) else [value]
    if len(items) > ATTRIBUTE_MAX_ITEMS:
        raise Open311Error(400, _("attribute[%(code)s] 最多 %(maximum)s 项，收到 %(count)s 项。") % {
            "code": code, "maximum": ATTRIBUTE_MAX_ITEMS, "count": len(items)})
    characters = sum(len(item) for item in items)
    if characters > ATTRIBUTE_MAX_CHARACTERS:
        raise Open311Error(400, _("attribute[%(code)s] 过长：最多 %(maximum)s 个字符（列表各项合计），收到 %(count)s 个。") % {
            "code": code, "maximum": ATTRIBUTE_MAX_CHARACTERS, "count": characters})
    if definition["datatype"] != "singlevaluelist":
        return value
    keys = [allowed["key"] for allowed in definition["values"]]
    if len(items) != 1:
        raise Open311Error(400, _("attribute[%(code)s] 只能有一个取值（%(keys)s 之一），收到 %(count)s 个。") % {
            "code": code, "keys": "、".join(keys), "count": len(items)})
    if items[0] not in keys:
        raise Open311Error(400, f"attribute[{code}] 的取值无效")
    return items[0]


def _attributes(post: Mapping[str, Any], getlist: Callable[[str], list[str]], matter: Matter) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in post:
        match = _ATTRIBUTE.match(key)
        if match:
            code = match.group(1)
            value: str | list[str] = getlist(key) if match.group(2) else post[key]
            if code in values:  # attribute[code] and attribute[code][] both given: one value, all of it
                value = [*_as_list(values[code]), *_as_list(value)]
            values[code] = value
    definitions = {attribute["code"]: attribute for attribute in service_attributes(matter)}
    for code, value in list(values.items()):
        definition = definitions.get(code)
        if definition is None:
            raise Open311Error(400, f"attribute[{code}] 不是该服务定义的属性")
        values[code] = _attribute_value(code, value, definition)
    for code, definition in definitions.items():
        if definition["required"] and not values.get(code):
            raise Open311Error(400, f"缺少必填属性 attribute[{code}]（{definition['description']}）")
    return values


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _float(name: str, value: str) -> float:
    return number_value(name, value, minimum=-180.0 if name == "long" else -90.0,
                        maximum=180.0 if name == "long" else 90.0)


def _create_request(request: HttpRequest, fmt: str) -> HttpResponse:
    post = request.POST
    api_key = api_key_authenticate(post.get("api_key", ""))
    if api_key is None:
        raise Open311Error(403, "api_key 缺失或无效，无法提交（create_request）")
    service_code = post.get("service_code", "").strip()
    if not service_code:
        raise Open311Error(400, "缺少 service_code")
    matter = _matters().filter(code=service_code).first()
    if matter is None:
        raise Open311Error(404, f"service_code {service_code} 不存在")
    latitude, longitude = post.get("lat", "").strip(), post.get("long", "").strip()
    address_string = post.get("address_string", "").strip()
    address_code = post.get("address_id", "").strip()
    if bool(latitude) != bool(longitude):
        raise Open311Error(400, "lat 与 long 需要同时提供")
    if not (latitude or address_string or address_code):
        raise Open311Error(400, "缺少位置：请提供 lat/long、address_string 或 address_id 之一")
    address_id = None
    if address_code:

        address_id = Address.objects.filter(code=address_code).values_list("pk", flat=True).first()
        if address_id is None:
            raise Open311Error(404, f"address_id {address_code} 不存在")
    attributes = _attributes(post, post.getlist, matter)
    media_url = post.get("media_url", "").strip()
    if media_url and not media_url.startswith(("http://", "https://")):
        raise Open311Error(400, "media_url 必须是 http(s) 地址")
    photos = photos_validate([(upload.name or "media", upload, upload.size)
                              for upload in request.FILES.getlist("media")])
    name = "".join(part for part in (post.get("last_name", "").strip(), post.get("first_name", "").strip()) if part)
    description = post.get("description", "").strip() or matter.name
    result = case_intake(
        request=IntakeRequest(
            channel=CaseChannel.OPEN311, description=description, address_text=address_string, address_id=address_id,
            longitude=_float("long", longitude) if longitude else None,
            latitude=_float("lat", latitude) if latitude else None,
            reporter_name=name, reporter_phone=post.get("phone", ""), matter_code=matter.code,
            attributes=attributes, media_url=media_url, external_id=post.get("device_id", "")[:64],
            appeal_type=str(attributes.get("appeal_type", "")),
        ),
        actor=api_key.user, client_key=f"apikey:{api_key.pk}",
        idempotency_key=request.headers.get("Idempotency-Key", ""), photos=photos,
        actor_label=f"Open311:{api_key.name}",
    )
    data = [{"service_request_id": result.case.number, "service_notice": f"查询码 {result.case.tracking_code}",
             "account_id": None}]
    return _render(fmt, "service_requests", "request", data, status=201)


def _photos_by_case(case_ids: list[int]) -> dict[int, list[CaseAttachment]]:
    photos: dict[int, list[CaseAttachment]] = {}
    for attachment in CaseAttachment.objects.filter(case_id__in=case_ids, kind="photo").order_by("id"):
        photos.setdefault(attachment.case_id, []).append(attachment)
    return photos


@csrf_exempt
@_endpoint
def requests_collection(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create_request(request, fmt)
    if request.method != "GET":
        raise Open311Error(400, "requests 只支持 GET 和 POST")
    cases, page, page_size = _requests_query(request.GET)
    extensions = request.GET.get("extensions", "").lower() == "true"
    if extensions:
        cases = cases.prefetch_related("events")
    chosen = list(cases[(page - 1) * page_size: page * page_size])
    photos = _photos_by_case([case.pk for case in chosen])
    return _render(fmt, "service_requests", "request", [
        request_payload(request, case, photos=photos.get(case.pk, []), extensions=extensions) for case in chosen])


@_endpoint
def request_single(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    case = _public_cases().select_related("matter", "category", "department", "address", "grid",
                                          "master_case").filter(number=service_request_id).first()
    if case is None:
        raise Open311Error(404, f"service_request_id {service_request_id} 不存在")
    extensions = request.GET.get("extensions", "").lower() == "true"
    photos = _photos_by_case([case.pk]).get(case.pk, [])
    return _render(fmt, "service_requests", "request",
                   [request_payload(request, case, photos=photos, extensions=extensions)])


@_endpoint
def token_lookup(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    normalised = token.strip().upper()
    case = Case.objects.filter(Q(tracking_code=normalised)).only("number", "tracking_code").first()
    if case is None:
        raise Open311Error(404, f"token {token} 不存在")
    return _render(fmt, "service_requests", "request", [{"service_request_id": case.number, "token": token}])
