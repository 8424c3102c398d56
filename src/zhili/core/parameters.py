"""Typed query and form parameters: the one parser of every page and API route that reads a date, a time,
a month, an integer, a number, a choice or a list.

Each reader takes the request's ``QueryDict`` (``request.GET``/``request.POST``, or any mapping of
strings) and a parameter name, and returns the typed value — or the default when the parameter is
absent or blank. A value that is present but does not parse, or lies outside its range, raises
:class:`ParameterError`: an :class:`~zhili.core.errors.ApplicationError` with status 400 whose message,
in the request's language, names the parameter, says what was expected with an example, and quotes
(shortened) what was received. Nothing here raises ``ValueError``/``OverflowError``, so bad input never
becomes a 500:

- integers are ASCII digits with an optional sign (no ``²``, no ``1e5``, no 400-digit numbers), within
  bounds; a row identifier fits a database key (1 … 2⁶³−1);
- dates, times and months have a year between :data:`EARLIEST_YEAR` and :data:`LATEST_YEAR`, so date
  arithmetic around them (a previous month, a 90-day window) stays inside Python's calendar; a time
  carries its offset (``Z`` or ±HH:MM, at most ±18:00, as W3C/ISO 8601 times do in practice);
- numbers are finite (no ``nan``, ``inf`` or ``1e309``);
- a list has at most ``max_items`` items (comma-separated and/or repeated parameters).

:func:`validation_errors_message` words the API's schema validation errors (django-ninja/pydantic) in
the same way, for the JSON API's 400 answer.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from zhili.core.errors import ApplicationError

EARLIEST_YEAR = 1970
LATEST_YEAR = 2100
LARGEST_IDENTIFIER = 2 ** 63 - 1  # a database key: SQLite INTEGER, PostgreSQL bigint
LARGEST_OFFSET = 10 ** 9  # rows skipped by a list's offset (far beyond any table here)
LARGEST_OFFSET_MINUTES = 18 * 60
SHOWN_CHARACTERS = 40  # of the received value, quoted in the message

_INTEGER = re.compile(r"[+-]?[0-9]{1,400}")
_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})(?:[eE][+-]?[0-9]{1,3})?")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?"
    r"\s*(Z|z|[+-][0-9]{2}:?[0-9]{2})?")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")

class ParameterError(ApplicationError):
    """A query or form parameter that is malformed or out of range (HTTP 400)."""

    status_code = 400

    def __init__(self, name: str, message: str) -> None:
        super().__init__("invalid_parameter", message, details={"parameter": name})
        self.parameter = name


def _shown(value: str) -> str:
    value = value.replace("\n", " ").replace("\r", " ")
    return value if len(value) <= SHOWN_CHARACTERS else value[:SHOWN_CHARACTERS] + "…"


def _raw(params: Mapping[str, Any], name: str) -> str | None:
    """The parameter's text, stripped; None when absent or blank. A list-valued one gives its last value,
    as ``QueryDict.get`` does."""
    value = params.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _label(name: str, label: str | None) -> str:
    """``部门（department）``: the field's label with the parameter's name; in another language a label its
    catalog does not translate yet is left out rather than shown in Chinese."""
    if not label:
        return name
    if not (get_language() or "").startswith("zh") and any("\u4e00" <= character <= "\u9fff" for character in label):
        return name
    return _("%(label)s（%(name)s）") % {"label": label, "name": name}


# -- integers ----------------------------------------------------------------------------------------

def integer_value(name: str, text: str, *, minimum: int | None = None, maximum: int | None = None,
                  label: str | None = None) -> int:
    """``text`` as an integer within [minimum, maximum]; an open bound is what a database key holds."""
    minimum = -LARGEST_IDENTIFIER if minimum is None else minimum
    maximum = LARGEST_IDENTIFIER if maximum is None else maximum
    text = text.strip()
    if not _INTEGER.fullmatch(text):
        raise ParameterError(name, _("参数 %(name)s 应为整数（例如 %(example)s），收到的是“%(value)s”。请修改后重试。") % {
            "name": _label(name, label), "example": max(minimum, min(maximum, 12)), "value": _shown(text)})
    number = int(text)
    if not minimum <= number <= maximum:
        raise ParameterError(name, _range_message(name, label, text, minimum, maximum))
    return number


def _range_message(name: str, label: str | None, text: str, minimum: int | float | None,
                   maximum: int | float | None) -> str:
    values = {"name": _label(name, label), "minimum": minimum, "maximum": maximum, "value": _shown(text)}
    if minimum is not None and maximum is not None:
        return _("参数 %(name)s 应在 %(minimum)s 到 %(maximum)s 之间，收到的是 %(value)s。请修改后重试。") % values
    if minimum is not None:
        return _("参数 %(name)s 不能小于 %(minimum)s，收到的是 %(value)s。请修改后重试。") % values
    return _("参数 %(name)s 不能大于 %(maximum)s，收到的是 %(value)s。请修改后重试。") % values


def integer_parameter(params: Mapping[str, Any], name: str, *, default: int | None = None,
                      minimum: int | None = None, maximum: int | None = None, label: str | None = None) -> int | None:
    """An integer parameter within [minimum, maximum]; ``default`` when absent or blank."""
    text = _raw(params, name)
    if text is None:
        return default
    return integer_value(name, text, minimum=minimum, maximum=maximum, label=label)


def identifier_parameter(params: Mapping[str, Any], name: str, *, label: str | None = None) -> int | None:
    """The id of a row chosen from a list (1 … 2⁶³−1); None when absent or blank. Whether the row exists is
    the caller's question (an id that fits but names nothing filters to nothing)."""
    return integer_parameter(params, name, minimum=1, maximum=LARGEST_IDENTIFIER, label=label)


def identifier_list_parameter(params: Any, name: str, *, max_items: int, label: str | None = None) -> list[int]:
    """Repeated and/or comma-separated row ids (``case=1&case=2`` or ``case=1,2``), each checked."""
    return [integer_value(name, item, minimum=1, maximum=LARGEST_IDENTIFIER, label=label)
            for item in list_parameter(params, name, max_items=max_items, label=label)]


def year_parameter(params: Mapping[str, Any], name: str = "year", *, default: int | None = None,
                   earliest: int = EARLIEST_YEAR, latest: int = LATEST_YEAR, label: str | None = None) -> int | None:
    """A four-digit year within [earliest, latest]."""
    text = _raw(params, name)
    if text is None:
        return default
    if not re.fullmatch(r"[0-9]{4}", text):
        raise ParameterError(name, _("参数 %(name)s 应为四位年份（例如 2026），收到的是“%(value)s”。请修改后重试。") % {
            "name": _label(name, label), "value": _shown(text)})
    return integer_value(name, text, minimum=earliest, maximum=latest, label=label)


# -- numbers -----------------------------------------------------------------------------------------

def number_value(name: str, text: str, *, minimum: float | None = None, maximum: float | None = None,
                 label: str | None = None) -> float:
    """``text`` as a finite number within [minimum, maximum]."""
    text = text.strip()
    number = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not math.isfinite(number):
        raise ParameterError(name, _("参数 %(name)s 应为数字（例如 %(example)s），收到的是“%(value)s”。请修改后重试。") % {
            "name": _label(name, label), "example": "12.5", "value": _shown(text)})
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ParameterError(name, _range_message(name, label, text, minimum, maximum))
    return number


def number_parameter(params: Mapping[str, Any], name: str, *, default: float | None = None,
                     minimum: float | None = None, maximum: float | None = None,
                     label: str | None = None) -> float | None:
    """A finite number within [minimum, maximum]; ``default`` when absent or blank."""
    text = _raw(params, name)
    if text is None:
        return default
    return number_value(name, text, minimum=minimum, maximum=maximum, label=label)


def longitude_parameter(params: Mapping[str, Any], name: str = "longitude") -> float | None:
    return number_parameter(params, name, minimum=-180.0, maximum=180.0, label=_("经度"))


def latitude_parameter(params: Mapping[str, Any], name: str = "latitude") -> float | None:
    return number_parameter(params, name, minimum=-90.0, maximum=90.0, label=_("纬度"))


# -- dates, times, months ----------------------------------------------------------------------------

def _date_message(name: str, label: str | None, text: str, earliest: dt.date, latest: dt.date) -> str:
    return _("参数 %(name)s 应为 %(earliest)s 到 %(latest)s 之间的日期，格式 YYYY-MM-DD（例如 2026-01-31），"
             "收到的是“%(value)s”。请修改后重试。") % {
        "name": _label(name, label), "earliest": earliest.isoformat(), "latest": latest.isoformat(),
        "value": _shown(text)}


def date_value(name: str, text: str, *, earliest: dt.date | None = None, latest: dt.date | None = None,
               label: str | None = None) -> dt.date:
    """``text`` (``YYYY-MM-DD``) as a date within [earliest, latest] (default: the platform's year range)."""
    earliest = earliest or dt.date(EARLIEST_YEAR, 1, 1)
    latest = latest or dt.date(LATEST_YEAR, 12, 31)
    text = text.strip()
    match = _DATE.fullmatch(text)
    try:
        value = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None
    except ValueError:
        value = None
    if value is None or not earliest <= value <= latest:
        raise ParameterError(name, _date_message(name, label, text, earliest, latest))
    return value


def date_parameter(params: Mapping[str, Any], name: str, *, default: dt.date | None = None,
                   earliest: dt.date | None = None, latest: dt.date | None = None,
                   label: str | None = None) -> dt.date | None:
    """A ``YYYY-MM-DD`` date within the platform's year range; ``default`` when absent or blank."""
    text = _raw(params, name)
    if text is None:
        return default
    return date_value(name, text, earliest=earliest, latest=latest, label=label)


def date_checked(name: str, value: dt.date, *, label: str | None = None) -> dt.date:
    """A date the API's schema already parsed, checked against the platform's year range."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ParameterError(name, _date_message(name, label, value.isoformat(), dt.date(EARLIEST_YEAR, 1, 1),
                                                 dt.date(LATEST_YEAR, 12, 31)))
    return value


def datetime_value(name: str, text: str, *, label: str | None = None) -> dt.datetime:
    """``text`` as an aware datetime: ISO 8601 / W3C with ``Z`` or an offset up to ±18:00, a year in range.

    A space before the offset is read as ``+`` (an unencoded ``+`` in a URL arrives as a space)."""
    text = text.strip()
    match = _DATETIME.fullmatch(re.sub(r" ([0-9]{2}:?[0-9]{2})$", r"+\1", text))
    value = _datetime_from_match(match) if match else None
    if value is None:
        raise ParameterError(name, _(
            "参数 %(name)s 应为带时区的时间，例如 2026-01-31T08:00:00+08:00 或 2026-01-31T00:00:00Z"
            "（年份 %(earliest)s–%(latest)s，时区偏移不超过 ±18:00），收到的是“%(value)s”。请修改后重试。") % {
            "name": _label(name, label), "earliest": EARLIEST_YEAR, "latest": LATEST_YEAR, "value": _shown(text)})
    return value


def _offset_minutes(text: str) -> int | None:
    """Minutes east of UTC for ``Z``/``+08:00``/``-0530``; None beyond ±18:00 or with 60+ minutes."""
    if text.upper() == "Z":
        return 0
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    total = hours * 60 + minutes
    if minutes >= 60 or total > LARGEST_OFFSET_MINUTES:
        return None
    return -total if text[0] == "-" else total


def _datetime_from_match(match: re.Match[str]) -> dt.datetime | None:
    if not match.group(8):
        return None  # a time without its offset is ambiguous
    offset = _offset_minutes(match.group(8))
    year = int(match.group(1))
    if offset is None or not EARLIEST_YEAR <= year <= LATEST_YEAR:
        return None
    fraction = (match.group(7) or "0")[:6].ljust(6, "0")
    try:
        return dt.datetime(year, int(match.group(2)), int(match.group(3)), int(match.group(4)), int(match.group(5)),
                           int(match.group(6) or 0), int(fraction), tzinfo=dt.timezone(dt.timedelta(minutes=offset)))
    except ValueError:  # 2026-02-30, 25:61
        return None


def datetime_parameter(params: Mapping[str, Any], name: str, *, label: str | None = None) -> dt.datetime | None:
    """An aware ISO 8601 datetime (see :func:`datetime_value`); None when absent or blank."""
    text = _raw(params, name)
    return None if text is None else datetime_value(name, text, label=label)


def month_parameter(params: Mapping[str, Any], name: str = "month", *,
                    label: str | None = None) -> tuple[int, int] | None:
    """``YYYY-MM`` as (year, month) with the year in the platform's range; None when absent or blank."""
    text = _raw(params, name)
    if text is None:
        return None
    match = _MONTH.fullmatch(text)
    if match is None or not 1 <= int(match.group(2)) <= 12 or not EARLIEST_YEAR <= int(match.group(1)) <= LATEST_YEAR:
        raise ParameterError(name, _(
            "参数 %(name)s 应为 YYYY-MM 格式的月份（例如 2026-01，年份 %(earliest)s–%(latest)s），"
            "收到的是“%(value)s”。请修改后重试。") % {
            "name": _label(name, label), "earliest": EARLIEST_YEAR, "latest": LATEST_YEAR, "value": _shown(text)})
    return int(match.group(1)), int(match.group(2))


# -- choices and lists -------------------------------------------------------------------------------

def choice_parameter(params: Mapping[str, Any], name: str, choices: Iterable[str], *, default: str = "",
                     label: str | None = None) -> str:
    """One of ``choices``; ``default`` when absent or blank."""
    allowed = list(choices)
    text = _raw(params, name)
    if text is None:
        return default
    if text not in allowed:
        raise ParameterError(name, _("参数 %(name)s 只能是 %(choices)s 之一，收到的是“%(value)s”。请修改后重试。") % {
            "name": _label(name, label), "choices": "、".join(allowed), "value": _shown(text)})
    return text


def _values(params: Any, name: str) -> list[str]:
    if hasattr(params, "getlist"):
        return [str(value) for value in params.getlist(name)]
    value = params.get(name)
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)]


def list_parameter(params: Any, name: str, *, max_items: int, separator: str | None = ",",
                   max_item_length: int | None = None, label: str | None = None) -> list[str]:
    """The items of a list parameter: repeated (``a=1&a=2``) and/or ``separator``-separated (``a=1,2``),
    stripped, blanks dropped, duplicates kept once in order; at most ``max_items``."""
    items: list[str] = []
    for value in _values(params, name):
        parts = value.split(separator) if separator else [value]
        items += [part.strip() for part in parts if part.strip()]
    items = list(dict.fromkeys(items))
    if len(items) > max_items:
        raise ParameterError(name, _("参数 %(name)s 一次最多 %(maximum)s 个，收到 %(count)s 个。请减少后分批查询。") % {
            "name": _label(name, label), "maximum": max_items, "count": len(items)})
    if max_item_length is not None:
        for item in items:
            if len(item) > max_item_length:
                raise ParameterError(name, _("参数 %(name)s 的每一项最多 %(maximum)s 个字符，“%(value)s”过长。") % {
                    "name": _label(name, label), "maximum": max_item_length, "value": _shown(item)})
    return items


# -- the JSON API's schema validation ---------------------------------------------------------------

def _api_date_in_range(value: dt.date) -> dt.date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise PydanticCustomError("date_out_of_range", "date outside {earliest}–{latest}",
                                  {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR})
    return value


# Typed parameters of API routes (django-ninja reads the bounds into the OpenAPI schema and validates them)
ApiIdentifier = Annotated[int, Field(ge=1, le=LARGEST_IDENTIFIER)]
ApiOffset = Annotated[int, Field(ge=0, le=LARGEST_OFFSET)]
ApiYear = Annotated[int, Field(ge=EARLIEST_YEAR, le=LATEST_YEAR)]
ApiDate = Annotated[dt.date, AfterValidator(_api_date_in_range)]
ApiLongitude = Annotated[float, Field(ge=-180.0, le=180.0, allow_inf_nan=False)]
ApiLatitude = Annotated[float, Field(ge=-90.0, le=90.0, allow_inf_nan=False)]


def _error_name(location: Sequence[Any]) -> str:
    parts = [str(part) for part in location if not isinstance(part, int)]
    # ("query", "offset") / ("body", "payload", "department_id") / ("path", "grid_id")
    meaningful = [part for part in parts if part not in {"query", "body", "path", "header", "payload", "cookie"}]
    return meaningful[-1] if meaningful else (parts[-1] if parts else "?")


def validation_error_message(error: Mapping[str, Any]) -> str:
    """One pydantic validation error, worded as this module's own messages."""
    name = _error_name(error.get("loc", ()))
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    received = error.get("input")
    value = _shown(str(received)) if isinstance(received, str | int | float) else ""
    if kind == "missing":
        return _("缺少必填参数 %(name)s。请补上后重试。") % {"name": name}
    if kind.startswith("int_") or kind == "int_from_float":
        return _("参数 %(name)s 应为整数（例如 %(example)s），收到的是“%(value)s”。请修改后重试。") % {
            "name": name, "example": 12, "value": value}
    if kind in {"less_than_equal", "less_than", "greater_than_equal", "greater_than"}:
        minimum = context.get("ge", context.get("gt"))
        maximum = context.get("le", context.get("lt"))
        return _range_message(name, None, value, minimum, maximum)
    if kind.startswith("date") and not kind.startswith("datetime"):
        return _date_message(name, None, value, dt.date(EARLIEST_YEAR, 1, 1), dt.date(LATEST_YEAR, 12, 31))
    if kind.startswith(("datetime", "timezone")):
        return _("参数 %(name)s 应为带时区的时间，例如 2026-01-31T08:00:00+08:00，收到的是“%(value)s”。请修改后重试。") % {
            "name": name, "value": value}
    if kind.startswith("float") or kind == "finite_number":
        return _("参数 %(name)s 应为数字（例如 %(example)s），收到的是“%(value)s”。请修改后重试。") % {
            "name": name, "example": "12.5", "value": value}
    if kind.startswith("bool"):
        return _("参数 %(name)s 应为 true 或 false，收到的是“%(value)s”。请修改后重试。") % {"name": name, "value": value}
    if kind == "string_too_long":
        return _("参数 %(name)s 最多 %(maximum)s 个字符。请缩短后重试。") % {
            "name": name, "maximum": context.get("max_length")}
    if kind.startswith("string") or kind == "str_type":
        return _("参数 %(name)s 应为文本。请修改后重试。") % {"name": name}
    if kind in {"json_invalid", "model_attributes_type", "dict_type", "model_type"}:
        return _("请求体应为 JSON 对象（Content-Type: application/json）。请检查后重试。")
    return _("参数 %(name)s 无效（%(reason)s）。请修改后重试。") % {"name": name, "reason": error.get("msg", kind)}


def validation_errors_message(errors: Sequence[Mapping[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    """(message, details) for a list of pydantic validation errors: the first error's wording (and how many
    more), and per error the parameter, where it was and the error type."""
    if not errors:
        return _("请求参数无效。请检查后重试。"), []
    message = validation_error_message(errors[0])
    if len(errors) > 1:
        message += _("（另有 %(count)s 处错误）") % {"count": len(errors) - 1}
    details = [{"parameter": _error_name(error.get("loc", ())),
                "in": str(next(iter(error.get("loc", ())), "")), "type": str(error.get("type", ""))}
               for error in errors[:20]]
    return message, details
