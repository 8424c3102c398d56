"""Free caller text → ranked standard addresses (标准地址匹配).

Pipeline (every step total: no input string makes it raise):

1. normalise: NFKC (full-width → half-width), drop spaces and punctuation, Chinese numerals before
   a number marker → digits (十二栋 → 12栋, 一零二室 → 102室), building variants (栋/座/号楼/#) → 幢;
2. parse out the parts: unit (单元) and room (室) are cut off, road number (号) and building (幢) kept;
   known province/city/district/street prefixes are removed (callers often omit or garble them);
3. find road and compound names: a character-bigram index proposes names, rapidfuzz's
   ``partial_ratio`` scores them against the text (a full scan replaces the index when no bigram hits,
   so a one-character typo still finds the name);
4. pick the address with that name and the number/building; a missing or unknown number gives the
   name's nearest addresses at a lower score.
"""

from __future__ import annotations

import bisect
import heapq
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from zhili.geo.data_version import VersionedCache
from zhili.geo.models import Address, Area, AreaLevel

_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                   "八": 8, "九": 9}
_CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMBER_MARKERS = "号楼|号|幢|栋|座|单元|室|层|楼|#"
_CHINESE_NUMERAL_PATTERN = re.compile(rf"([零〇一二两三四五六七八九十百千]+)(?=(?:{_NUMBER_MARKERS}))")
_BUILDING_PATTERN = re.compile(r"(\d+)(?:号楼|栋|座|#楼|#|幢|号幢)")
_UNIT_PATTERN = re.compile(r"(\d+)单元")
_ROOM_PATTERN = re.compile(r"(\d+)室")
_FLOOR_PATTERN = re.compile(r"(\d+)(?:层|楼)")
_ROAD_NUMBER_PATTERN = re.compile(r"(\d+)号")
_BARE_NUMBER_PATTERN = re.compile(r"(\d+)")
_DROPPED_CHARACTERS = re.compile(r"[\s,，。.、;；:：!！?？\"'“”‘’()（）\[\]【】<>《》\-_—~·/\\|]+")
_GENERIC_PREFIXES = ("中国", "江苏省", "江苏", "常州市", "常州")

_NAME_CANDIDATES = 8
_FULL_SCAN_THRESHOLD = 70.0
# Below this a name shares too little with the text to be a candidate at all.
_MINIMUM_NAME_SIMILARITY = 50.0


@dataclass(frozen=True)
class ParsedAddressText:
    """The parts of a caller's address text after normalisation."""

    normalised: str
    remainder: str  # normalised text without the known prefixes, unit and room
    road_number: int | None = None
    building: int | None = None
    unit: int | None = None
    room: int | None = None
    bare_numbers: tuple[int, ...] = field(default_factory=tuple)


def chinese_numeral_value(numeral: str) -> int:
    """12 for 十二, 103 for 一百零三, 102 for 一零二 (digit by digit when there is no 十/百/千)."""
    if not any(character in _CHINESE_UNITS for character in numeral):
        digits = "".join(str(_CHINESE_DIGITS.get(character, 0)) for character in numeral)
        return int(digits[:9]) if digits else 0
    total = 0
    current = 0
    for character in numeral:
        if character in _CHINESE_DIGITS:
            current = _CHINESE_DIGITS[character]
        elif character in _CHINESE_UNITS:
            total += (current or 1) * _CHINESE_UNITS[character]
            current = 0
    return total + current


def _digits_value(digits: str) -> int:
    # Bounded so absurd inputs ("99999999999999号") stay ordinary integers.
    return int(digits[-9:])


def address_text_normalise(text: str) -> str:
    normalised = unicodedata.normalize("NFKC", text)
    normalised = _DROPPED_CHARACTERS.sub("", normalised)
    normalised = _CHINESE_NUMERAL_PATTERN.sub(lambda match: str(chinese_numeral_value(match.group(1))), normalised)
    return _BUILDING_PATTERN.sub(lambda match: f"{match.group(1)}幢", normalised)


def prefix_pattern(prefixes: Iterable[str]) -> re.Pattern[str]:
    """One pattern removing the generic prefixes (省/市) and the given area names, longest first."""
    names = sorted({name for name in (*_GENERIC_PREFIXES, *prefixes) if name}, key=len, reverse=True)
    return re.compile("|".join(re.escape(name) for name in names))


_GENERIC_PREFIX_PATTERN = prefix_pattern(())


def address_text_parse(text: str, *, prefixes: Sequence[str] | re.Pattern[str] = ()) -> ParsedAddressText:
    """Normalise ``text`` and cut it into parts; ``prefixes`` (district/street names) are removed."""
    normalised = address_text_normalise(text)
    if isinstance(prefixes, re.Pattern):
        pattern = prefixes
    else:
        pattern = prefix_pattern(prefixes) if prefixes else _GENERIC_PREFIX_PATTERN
    remainder = pattern.sub("", normalised)
    unit_match = _UNIT_PATTERN.search(remainder)
    unit = _digits_value(unit_match.group(1)) if unit_match else None
    remainder = _UNIT_PATTERN.sub("", remainder)
    room_match = _ROOM_PATTERN.search(remainder)
    room = _digits_value(room_match.group(1)) if room_match else None
    remainder = _ROOM_PATTERN.sub("", remainder)
    building_match = re.search(r"(\d+)幢", remainder)
    building = _digits_value(building_match.group(1)) if building_match else None
    road_number_match = _ROAD_NUMBER_PATTERN.search(remainder)
    road_number = _digits_value(road_number_match.group(1)) if road_number_match else None
    remainder = _FLOOR_PATTERN.sub("", remainder) if building is not None or road_number is not None else remainder
    bare_numbers = tuple(_digits_value(match) for match in _BARE_NUMBER_PATTERN.findall(remainder))
    return ParsedAddressText(normalised, remainder, road_number, building, unit, room, bare_numbers)


def _bigrams(text: str) -> set[str]:
    return {text[index:index + 2] for index in range(len(text) - 1)}


_LEADING_DIGITS = re.compile(r"\d+")


def _leading_number(text: str) -> int | None:
    match = _LEADING_DIGITS.search(text)
    return _digits_value(match.group(0)) if match else None


@dataclass(frozen=True)
class MatchedAddress:
    address_id: int
    full_text: str
    grid_id: int
    grid_code: str
    longitude: float
    latitude: float


@dataclass(frozen=True)
class ScoredAddress:
    address: MatchedAddress
    score: float


class AddressMatcher:
    """An in-memory index of the standard address base for free-text matching."""

    def __init__(self, entries: Iterable[tuple[MatchedAddress, str, str, str, str]],
                 prefixes: Sequence[str] = ()) -> None:
        """``entries``: (address, road, road number, compound, building) per standard address."""
        self.prefixes = tuple(sorted({prefix for prefix in prefixes if prefix}, key=len, reverse=True))
        self._prefix_pattern = prefix_pattern(self.prefixes)
        self.names: list[str] = []
        self.name_is_road: list[bool] = []
        self._name_ids: dict[tuple[str, bool], int] = {}
        # name id → number → addresses (a road number or building may have several entries)
        self._numbered: list[dict[int, list[MatchedAddress]]] = []
        self._unnumbered: list[list[MatchedAddress]] = []
        for address, road, road_number, compound, building in entries:
            if compound:
                name_id = self._name_id(compound, is_road=False)
                number = _leading_number(building)
            elif road:
                name_id = self._name_id(road, is_road=True)
                number = _leading_number(road_number)
            else:
                continue
            if number is None:
                self._unnumbered[name_id].append(address)
            else:
                self._numbered[name_id].setdefault(number, []).append(address)
        self._sorted_numbers = [sorted(numbers) for numbers in self._numbered]
        self._bigram_counts = [max(1, len(name) - 1) for name in self.names]
        self._bigram_index: dict[str, list[int]] = defaultdict(list)
        for name_id, name in enumerate(self.names):
            for bigram in _bigrams(name):
                self._bigram_index[bigram].append(name_id)
        self.address_count = sum(len(group) for numbers in self._numbered for group in numbers.values()) + sum(
            len(group) for group in self._unnumbered)

    def _name_id(self, name: str, *, is_road: bool) -> int:
        key = (name, is_road)
        if key not in self._name_ids:
            self._name_ids[key] = len(self.names)
            self.names.append(name)
            self.name_is_road.append(is_road)
            self._numbered.append({})
            self._unnumbered.append([])
        return self._name_ids[key]

    def _name_candidates(self, text: str) -> list[tuple[int, float]]:
        """(name id, similarity 0..100) of the names the text most likely mentions."""
        if not text or not self.names:
            return []
        hits: dict[int, int] = defaultdict(int)
        for bigram in _bigrams(text):
            for name_id in self._bigram_index.get(bigram, ()):
                hits[name_id] += 1
        bigram_counts = self._bigram_counts
        ranked = heapq.nlargest(_NAME_CANDIDATES * 3, hits, key=lambda name_id: hits[name_id] / bigram_counts[name_id])
        names = self.names
        # A name found verbatim scores 100 without the (costlier) fuzzy alignment.
        scored = [(name_id, 100.0 if names[name_id] in text else fuzz.partial_ratio(names[name_id], text))
                  for name_id in ranked]
        if not scored or max(score for _name_id, score in scored) < _FULL_SCAN_THRESHOLD:
            extracted = process.extract(text, self.names, scorer=fuzz.partial_ratio, limit=_NAME_CANDIDATES)
            scored.extend((int(index), float(score)) for _name, score, index in extracted)
        best: dict[int, float] = {}
        for name_id, score in scored:
            if score >= _MINIMUM_NAME_SIMILARITY:
                best[name_id] = max(score, best.get(name_id, 0.0))
        return sorted(best.items(), key=lambda item: (-item[1], -len(self.names[item[0]]), item[0]))[:_NAME_CANDIDATES]

    def _number_for(self, parsed: ParsedAddressText, *, is_road: bool) -> int | None:
        if is_road:
            if parsed.road_number is not None:
                return parsed.road_number
            return parsed.building if parsed.building is not None else (
                parsed.bare_numbers[0] if parsed.bare_numbers else None)
        if parsed.building is not None:
            return parsed.building
        if parsed.road_number is not None:
            return parsed.road_number
        return parsed.bare_numbers[0] if parsed.bare_numbers else None

    def match(self, text: str, *, limit: int = 5) -> list[ScoredAddress]:
        if limit <= 0:
            return []
        parsed = address_text_parse(text, prefixes=self._prefix_pattern)
        name_text = _BARE_NUMBER_PATTERN.sub("", parsed.remainder)
        results: dict[int, ScoredAddress] = {}
        for name_id, similarity in self._name_candidates(name_text):
            name_score = similarity / 100.0
            if len(results) >= limit and sum(1 for item in results.values() if item.score >= name_score) >= limit:
                break  # no address of this (or any later, less similar) name can enter the top ``limit``
            number = self._number_for(parsed, is_road=self.name_is_road[name_id])
            numbered = self._numbered[name_id]
            scored: list[tuple[MatchedAddress, float]] = []
            if number is not None and number in numbered:
                scored.extend((address, name_score) for address in numbered[number])
            else:
                # Unknown or missing number: the nearest numbers of that name, clearly less sure.
                factor = 0.8 if number is None else 0.7
                reference = number if number is not None else 0
                for rank, value in enumerate(_nearest(self._sorted_numbers[name_id], reference, limit)):
                    scored.extend((address, name_score * factor * (1.0 - 0.02 * rank)) for address in numbered[value])
                scored.extend((address, name_score * 0.6) for address in self._unnumbered[name_id][:limit])
            for address, score in scored:
                previous = results.get(address.address_id)
                if previous is None or previous.score < score:
                    results[address.address_id] = ScoredAddress(address, round(min(1.0, max(0.0, score)), 4))
        ranked = sorted(results.values(), key=lambda item: (-item.score, item.address.address_id))
        return ranked[:limit]


def _nearest(sorted_values: Sequence[int], reference: int, count: int) -> list[int]:
    """Up to ``count`` values closest to ``reference`` (ties: the smaller first), nearest first."""
    right = bisect.bisect_left(sorted_values, reference)
    left = right - 1
    chosen: list[int] = []
    while len(chosen) < count and (left >= 0 or right < len(sorted_values)):
        if right >= len(sorted_values) or (
                left >= 0 and reference - sorted_values[left] <= sorted_values[right] - reference):
            chosen.append(sorted_values[left])
            left -= 1
        else:
            chosen.append(sorted_values[right])
            right += 1
    return chosen


def _build_address_matcher_from_database() -> AddressMatcher:
    grid_codes = dict(Area.objects.filter(level=AreaLevel.GRID).values_list("id", "code"))
    prefixes = list(
        Area.objects.filter(level__in=(AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY))
        .values_list("name", flat=True)
    )
    rows = Address.objects.order_by("id").values_list(
        "id", "full_text", "road", "road_number", "compound", "building", "grid_id", "longitude", "latitude")
    entries = (
        (MatchedAddress(address_id, full_text, grid_id, grid_codes.get(grid_id, ""), longitude, latitude),
         road, road_number, compound, building)
        for address_id, full_text, road, road_number, compound, building, grid_id, longitude, latitude in rows
    )
    return AddressMatcher(entries, prefixes=prefixes)


_ADDRESS_MATCHER_CACHE: VersionedCache[AddressMatcher] = VersionedCache(
    _build_address_matcher_from_database, depends_on_addresses=True)


def address_matcher_current() -> AddressMatcher:
    """This process's matcher over the current address base (rebuilt when geo data changes)."""
    return _ADDRESS_MATCHER_CACHE.get()
