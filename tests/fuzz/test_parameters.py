"""core.parameters: every reader returns a typed value or raises ParameterError (a 400) — for any text —
and the edges of each range are where the docs say."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.http import QueryDict
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.core import parameters
from zhili.core.parameters import ParameterError

READERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "integer": lambda query: parameters.integer_parameter(query, "x", minimum=-5, maximum=5),
    "identifier": lambda query: parameters.identifier_parameter(query, "x"),
    "year": lambda query: parameters.year_parameter(query, "x"),
    "number": lambda query: parameters.number_parameter(query, "x", minimum=0),
    "date": lambda query: parameters.date_parameter(query, "x"),
    "datetime": lambda query: parameters.datetime_parameter(query, "x"),
    "month": lambda query: parameters.month_parameter(query, "x"),
    "choice": lambda query: parameters.choice_parameter(query, "x", ["open", "closed"]),
    "list": lambda query: parameters.list_parameter(query, "x", max_items=3, max_item_length=5),
}


@settings(max_examples=300, deadline=None)
@given(reader=st.sampled_from(sorted(READERS)), text=st.one_of(
    st.text(max_size=40), st.integers().map(str), st.floats().map(repr),
    st.sampled_from(["99999999999999999999", "1e309", "²", "0001-01", "9999-12-31T23:59:59Z", "2026-01-01T00:00:00+25:00",
                     "-0", "+7", " 12 ", "2026-02-29", "2026-1-5"])))
def test_any_text_is_a_value_or_a_parameter_error(reader: str, text: str) -> None:
    refusal: ParameterError | None = None
    try:
        READERS[reader]({"x": text})
    except ParameterError as error:
        refusal = error
    if refusal is not None:
        assert (refusal.status_code, refusal.code, refusal.details) == (400, "invalid_parameter", {"parameter": "x"})
        assert "x" in refusal.message


def _refused(call: Callable[[], Any]) -> str:
    with pytest.raises(ParameterError) as raised:
        call()
    return raised.value.message


def test_integers_and_identifiers() -> None:
    assert parameters.integer_parameter({}, "page", default=1) == 1
    assert parameters.integer_parameter({"page": "  "}, "page", default=1) == 1
    assert parameters.integer_parameter({"page": "+5"}, "page", minimum=1, maximum=9) == 5
    assert "1 到 9 之间" in _refused(lambda: parameters.integer_parameter({"page": "10"}, "page", minimum=1, maximum=9))
    assert "应为整数" in _refused(lambda: parameters.integer_parameter({"page": "²"}, "page"))
    assert "应为整数" in _refused(lambda: parameters.integer_parameter({"page": "1e5"}, "page"))
    assert parameters.identifier_parameter({"id": str(2 ** 63 - 1)}, "id") == 2 ** 63 - 1
    assert "9223372036854775807" in _refused(lambda: parameters.identifier_parameter({"id": str(2 ** 63)}, "id"))
    assert "部门（department）" in _refused(lambda: parameters.identifier_parameter({"department": "0"}, "department",
                                                                                   label="部门"))
    query = QueryDict("case=1&case=2,3&case=3")
    assert parameters.identifier_list_parameter(query, "case", max_items=3) == [1, 2, 3]
    assert "最多 2 个" in _refused(lambda: parameters.identifier_list_parameter(query, "case", max_items=2))


def test_years_dates_and_months_stay_in_the_platforms_range() -> None:
    assert parameters.year_parameter({"year": "1970"}) == 1970
    assert parameters.year_parameter({"year": "2100"}) == 2100
    for bad in ("1969", "2101", "99999999999999999999", "２０２６", "26"):
        _refused(lambda bad=bad: parameters.year_parameter({"year": bad}))
    assert parameters.date_parameter({"d": "2100-12-31"}, "d") == dt.date(2100, 12, 31)
    for bad in ("9999-12-31", "0001-01-01", "2026-02-30", "2026-1-5", "20260105"):
        assert "YYYY-MM-DD" in _refused(lambda bad=bad: parameters.date_parameter({"d": bad}, "d"))
    assert parameters.month_parameter({"month": "2026-1"}) == (2026, 1)
    for bad in ("0001-01", "2026-13", "2026-00", "2026"):
        assert "YYYY-MM" in _refused(lambda bad=bad: parameters.month_parameter({"month": bad}))


def test_times_carry_an_offset_within_eighteen_hours() -> None:
    parsed = parameters.datetime_parameter({"t": "2026-01-31T08:00:00+08:00"}, "t")
    assert parsed == dt.datetime(2026, 1, 31, 0, 0, tzinfo=dt.UTC)
    assert parameters.datetime_parameter({"t": "2026-01-31T08:00:00 08:00"}, "t") == parsed  # "+" sent unencoded
    assert parameters.datetime_parameter({"t": "2026-01-31T00:00:00.5Z"}, "t") == dt.datetime(
        2026, 1, 31, 0, 0, 0, 500000, tzinfo=dt.UTC)
    assert parameters.datetime_parameter({"t": "2026-01-31T00:00:00-18:00"}, "t") is not None
    for bad in ("2026-01-31T00:00:00+18:01", "2026-01-31T00:00:00+25:00", "2026-01-31T00:00:00+08:60",
                "2026-01-31T00:00:00", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2026-01-31T24:00:00Z"):
        assert "±18:00" in _refused(lambda bad=bad: parameters.datetime_parameter({"t": bad}, "t"))


def test_numbers_are_finite_choices_known_lists_short() -> None:
    assert parameters.number_parameter({"n": "-12.5"}, "n") == -12.5
    for bad in ("1e309", "nan", "inf", "-inf", "1,5", "0x10"):
        assert "应为数字" in _refused(lambda bad=bad: parameters.number_parameter({"n": bad}, "n"))
    assert "-180.0 到 180.0" in _refused(lambda: parameters.longitude_parameter({"longitude": "181"}))
    assert parameters.choice_parameter({"s": "open"}, "s", ["open", "closed"]) == "open"
    assert parameters.choice_parameter({}, "s", ["open"], default="open") == "open"
    assert "open、closed" in _refused(lambda: parameters.choice_parameter({"s": "x"}, "s", ["open", "closed"]))
    assert parameters.list_parameter({"ids": "a, b,,a"}, "ids", max_items=2) == ["a", "b"]
    assert "最多 5 个字符" in _refused(lambda: parameters.list_parameter({"ids": "abcdef"}, "ids", max_items=2,
                                                                     max_item_length=5))


def test_messages_are_english_when_english_is_active() -> None:
    with translation.override("en"):
        message = _refused(lambda: parameters.month_parameter({"month": "0001-01"}, label=translation.gettext("月份")))
    assert message.startswith("Parameter Month (month) should be a month written YYYY-MM")
    with translation.override("en"):
        message = _refused(lambda: parameters.identifier_parameter({"x": "0"}, "x", label="尚未翻译的标签"))
    assert message.startswith("Parameter x should be between 1 and")  # an untranslated label is left out


def test_api_validation_errors_are_worded_like_the_parameters() -> None:
    message, details = parameters.validation_errors_message([
        {"loc": ("query", "offset"), "type": "less_than_equal", "ctx": {"le": 10}, "input": "11", "msg": "x"},
        {"loc": ("body", "payload", "department_id"), "type": "int_parsing", "input": "a", "msg": "x"}])
    assert message == "参数 offset 不能大于 10，收到的是 11。请修改后重试。（另有 1 处错误）"
    assert details == [{"parameter": "offset", "in": "query", "type": "less_than_equal"},
                       {"parameter": "department_id", "in": "body", "type": "int_parsing"}]
