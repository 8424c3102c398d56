"""Units of indicator values: which units can be converted into which (and by what factor)."""

from __future__ import annotations

# Each family maps a unit to its size in the family's base unit.
_FAMILIES: tuple[dict[str, float], ...] = (
    {"元": 1.0, "万元": 1e4, "亿元": 1e8},
    {"美元": 1.0, "万美元": 1e4, "亿美元": 1e8},
    {"平方米": 1.0, "万平方米": 1e4},
    {"%": 1e-2, "‰": 1e-3},
    {"元/人": 1.0, "万元/人": 1e4},
)
_ALIASES = {"％": "%", "百分比": "%", "人民币元": "元", "㎡": "平方米", "万㎡": "万平方米", "个百分点": "%"}


def normalise_unit(unit: str) -> str:
    cleaned = (unit or "").strip().replace(" ", "")
    return _ALIASES.get(cleaned, cleaned)


def conversion_factor(from_unit: str, to_unit: str) -> float | None:
    """Factor that turns a value in ``from_unit`` into ``to_unit``; None when they do not convert."""
    source, destination = normalise_unit(from_unit), normalise_unit(to_unit)
    if source == destination:
        return 1.0
    for family in _FAMILIES:
        if source in family and destination in family:
            return family[source] / family[destination]
    return None
