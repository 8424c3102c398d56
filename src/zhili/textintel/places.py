"""Place mentions in a citizen's text: administrative units, roads, residential compounds.

Rules, not a gazetteer, so they work for any deployment: an administrative unit is a code or a
short name followed by 市/区/县/镇/乡/街道/社区/村 ("A市", "A3区", "春华镇"); a road is a short
name followed by 路/大道/街/巷; a compound is a short name followed by 小区/花园/苑/园/城/府/
公寓/大厦/广场/新村/家园/村. Names stop at function characters (在、的、和、到…) so
"座落在A市A3区联丰路米兰春天" yields A市, A3区, 联丰路 and not "座落在A".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_ADMINISTRATIVE = re.compile(r"([A-Z]\d{0,2}(?:市|区|县))|([\u4e00-\u9fff]{2,4}?(?:街道|社区|镇|乡|村))")
# Characters that end a name: prepositions, particles, verbs citizens use around places.
_BREAK_CHARACTERS = "在的了和与及到从于是有对向把被给往近旁边附位处反映投诉请问我们你他她它这那该"
# 路灯 (a street lamp), 路面 (a road surface), 路况, 路线, 路过 … are not the end of a road's name.
_ROAD_SUFFIX = re.compile(r"大道|路(?![灯面况线费由径过人])|街|巷")
_COMPOUND_SUFFIX = re.compile(r"(?:小区|花园|家园|新村|公寓|大厦|广场|苑|府|城|园)(?:小区)?")
_NAME_CHARACTER = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_ROAD_FALSE_POSITIVES = frozenset({
    "马路", "道路", "公路", "街道", "大街", "小巷", "出路", "网路", "线路", "思路", "水泥路", "柏油路", "步行街",
})
# Words that make a "name" generic: 整个小区, 我们小区, 大型社区 …
_GENERIC_PREFIXES = ("整个", "这个", "那个", "我们", "我家", "本", "该", "附近", "周边", "大型", "所在", "居民", "各个",
                     "一个", "多个", "老旧", "新建", "同一")
_COMPOUND_FALSE_POSITIVES = frozenset({"公园", "校园", "家园", "城市", "花园", "乐园", "果园", "菜园", "幼儿园", "城区"})


@dataclass(frozen=True)
class PlaceMentions:
    """Places named in one text, each list in order of first appearance, without repeats."""

    administrative: tuple[str, ...]
    roads: tuple[str, ...]
    compounds: tuple[str, ...]

    @property
    def specific(self) -> tuple[str, ...]:
        """The places finer than an administrative unit (compounds first, then roads)."""
        return self.compounds + self.roads

    def label(self) -> str:
        """A short human-readable place: the finest administrative unit plus the first specific place."""
        districts = [unit for unit in self.administrative if unit.endswith(("区", "县"))]
        finer = [unit for unit in self.administrative if unit.endswith(("街道", "镇", "乡", "社区", "村"))]
        parts = [*districts[:1], *(self.specific[:1] or finer[-1:])]
        if not parts:
            parts = list(self.administrative[:1])
        return "".join(parts)


def _unique(items: list[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return tuple(seen)


def _names_before(text: str, suffix: re.Pattern[str], *, shortest: int, longest: int,
                  allow_latin: bool, stop_characters: str = "") -> list[str]:
    """Names ending in ``suffix``: up to ``longest`` name characters before it, stopping at a break."""
    names: list[str] = []
    floor = 0
    for match in suffix.finditer(text):
        start = match.start()
        cursor = start
        while cursor > floor and start - cursor < longest:
            character = text[cursor - 1]
            if character in _BREAK_CHARACTERS or character in stop_characters or not _NAME_CHARACTER.match(character):
                break
            if not allow_latin and not ("\u4e00" <= character <= "\u9fff"):
                break
            cursor -= 1
        if start - cursor >= shortest:
            name = text[cursor:match.end()]
            if match.group(0) == "街" and text[match.end():match.end() + 1] == "道":
                continue  # 街道 is an administrative unit, not a street
            names.append(name)
        floor = match.end()
    return names


def place_mentions(text: str) -> PlaceMentions:
    """Extract the places named in ``text`` (never raises; empty lists when none)."""
    folded = unicodedata.normalize("NFKC", text or "")
    administrative: list[str] = []
    remaining_parts: list[str] = []
    position = 0
    for match in _ADMINISTRATIVE.finditer(folded):
        unit = match.group(0)
        if match.group(2) and any(character in _BREAK_CHARACTERS for character in unit[:-1]):
            # "反映春华镇" — keep only the name after the last break character.
            unit = re.split(f"[{_BREAK_CHARACTERS}]", unit)[-1]
            if len(unit) < 2 or unit in {"街道", "社区"}:
                continue
        if unit.startswith(_GENERIC_PREFIXES):
            continue
        administrative.append(unit)
        remaining_parts.append(folded[position:match.start()])
        position = match.end()
    remaining_parts.append(folded[position:])
    rest = " | ".join(remaining_parts)
    compounds = _names_before(rest, _COMPOUND_SUFFIX, shortest=2, longest=8, allow_latin=True,
                              stop_characters="路街巷")
    compounds = [
        compound for compound in compounds
        if compound not in _COMPOUND_FALSE_POSITIVES and not compound.endswith(("城市", "城区"))
        and not compound.startswith(_GENERIC_PREFIXES)
    ]
    rest_without_compounds = rest
    for compound in compounds:
        rest_without_compounds = rest_without_compounds.replace(compound, " | ")
    roads = [
        road for road in _names_before(rest_without_compounds, _ROAD_SUFFIX, shortest=2, longest=5, allow_latin=False)
        if road not in _ROAD_FALSE_POSITIVES
    ]
    return PlaceMentions(administrative=_unique(administrative), roads=_unique(roads), compounds=_unique(compounds))
