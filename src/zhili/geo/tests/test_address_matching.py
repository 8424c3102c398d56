import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.geo.address_matching import (
    AddressMatcher,
    MatchedAddress,
    address_text_normalise,
    address_text_parse,
    chinese_numeral_value,
)
from zhili.geo.selectors import address_candidates
from zhili.geo.tests.factories import small_addresses_create, small_district_create


@pytest.mark.parametrize(("numeral", "value"), [
    ("十二", 12), ("二十", 20), ("十", 10), ("三", 3), ("一百零三", 103), ("一零二", 102), ("两千零五", 2005),
])
def test_chinese_numerals_become_numbers(numeral: str, value: int) -> None:
    assert chinese_numeral_value(numeral) == value


@pytest.mark.parametrize(("text", "normalised"), [
    ("天宁区竹林路１２号", "天宁区竹林路12号"),
    ("北环新村十二栋三单元", "北环新村12幢3单元"),
    ("北环新村 12号楼 502室", "北环新村12幢502室"),
    ("北环新村12#", "北环新村12幢"),
    ("九洲花园五座", "九洲花园5幢"),
])
def test_normalisation_unifies_digits_numerals_and_building_words(text: str, normalised: str) -> None:
    assert address_text_normalise(text) == normalised


def test_parsing_cuts_unit_room_and_known_prefixes() -> None:
    parsed = address_text_parse("常州市天宁区红梅街道北环新村十二栋三单元502室东边", prefixes=("天宁区", "红梅街道"))
    assert (parsed.building, parsed.unit, parsed.room, parsed.road_number) == (12, 3, 502, None)
    assert parsed.remainder == "北环新村12幢东边"
    road = address_text_parse("天宁区竹林路１２号", prefixes=("天宁区",))
    assert (road.road_number, road.building, road.remainder) == (12, None, "竹林路12号")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_parsing_never_raises_on_any_text(text: str) -> None:
    parsed = address_text_parse(text, prefixes=("天宁区", "红梅街道"))
    assert isinstance(parsed.remainder, str)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("北环新村竹林路号幢栋单元室十二三一零百千两0123456789０１２#  ，")), max_size=40))
def test_parsing_never_raises_on_address_like_text(text: str) -> None:
    parsed = address_text_parse(text)
    assert all(number >= 0 for number in parsed.bare_numbers)


def matcher() -> AddressMatcher:
    def address(address_id: int, full_text: str) -> MatchedAddress:
        return MatchedAddress(address_id, full_text, 100 + address_id, f"G{address_id}", 120.0, 31.0)

    return AddressMatcher([
        (address(1, "竹林路12号"), "竹林路", "12号", "", ""),
        (address(2, "竹林路14号"), "竹林路", "14号", "", ""),
        (address(3, "竹林大道12号"), "竹林大道", "12号", "", ""),
        (address(4, "北环新村12幢"), "", "", "北环新村", "12幢"),
        (address(5, "北环新村3幢"), "", "", "北环新村", "3幢"),
        (address(6, "北环花园12幢"), "", "", "北环花园", "12幢"),
    ], prefixes=("天宁区", "红梅街道"))


@pytest.mark.parametrize(("text", "expected_id"), [
    ("红梅街道北环新村12幢东边那个垃圾房", 4),
    ("天宁区竹林路１２号", 1),
    ("北环新村十二栋三单元", 4),
    ("北环新村3号楼", 5),
    ("竹林路14号门口", 2),
    ("竹淋路14号", 2),  # one-character typo: found by the full scan
    ("北环花园十二幢", 6),
])
def test_caller_text_finds_the_right_address_first(text: str, expected_id: int) -> None:
    assert matcher().match(text)[0].address.address_id == expected_id


def test_exact_matches_score_one_and_missing_numbers_score_lower() -> None:
    exact = matcher().match("北环新村12幢")
    assert (exact[0].address.address_id, exact[0].score) == (4, 1.0)
    unknown_number = matcher().match("北环新村99幢")
    assert unknown_number[0].address.full_text.startswith("北环新村")
    assert unknown_number[0].score == 0.7
    no_number = matcher().match("北环新村")
    assert no_number[0].score == 0.8


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60), st.integers(min_value=-3, max_value=60))
def test_matching_never_raises(text: str, limit: int) -> None:
    results = matcher().match(text, limit=limit)
    assert len(results) <= max(0, limit)
    assert all(0.0 <= result.score <= 1.0 for result in results)


@pytest.mark.django_db
def test_address_candidates_from_the_database() -> None:
    areas = small_district_create()
    addresses = small_addresses_create(areas)
    candidates = address_candidates("测试街道北环新村十二栋二单元", limit=3)
    assert candidates[0].address_id == addresses[3].pk
    assert (candidates[0].grid_code, candidates[0].score) == ("G21", 1.0)
    assert len(candidates) == 3
    assert address_candidates("", limit=3) == []
    assert address_candidates("\x00\ud7ff￿", limit=3) == []
