"""The two ready evaluation schemes shipped with zhili (see docs/enterprises.md for their sources).

Both are *modelled on* published city methods; the weights are exactly those of the issue, the
remaining parameters (caps, bonus items, thresholds) are zhili's documented defaults and can be
changed by saving a new scheme version.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

_COMMON_ELIGIBILITY: dict[str, Any] = {
    "rate_small_scale": True,
    "small_scale_min_land_mu": 3,
    "new_production_years": 2,
    "exclude_public_utilities": True,
}
_COMMON_VETOES: list[dict[str, Any]] = [
    {"key": "major_safety_incident", "name": "发生重大及以上安全生产事故", "field": "major_safety_incident"},
    {"key": "major_environment_incident", "name": "发生重大及以上环境污染事件", "field": "major_environment_incident"},
]


def _indicator(key: str, weight: float, *, multiple: float, cap: float, when_missing: str = "zero",
               when_denominator_zero: str = "zero") -> dict[str, Any]:
    return {
        "key": key, "weight": weight, "direction": "higher", "cap_multiple": cap,
        "benchmark": {"mode": "prior_year_average", "multiple": multiple},
        "when_missing": when_missing, "when_denominator_zero": when_denominator_zero,
    }


JIANGSU_SIX_INDICATORS: dict[str, Any] = {
    "name": gettext_noop("江苏式六指标（亩均税收40/亩均销售20/单位能耗税收10/单位排放税收10/全员劳动生产率10/R&D 10，分数线分类）"),
    "eligibility": dict(_COMMON_ELIGIBILITY),
    "indicators": [
        _indicator("tax_per_mu", 40, multiple=1.0, cap=1.5),
        _indicator("sales_per_mu", 20, multiple=1.0, cap=1.5),
        # No energy data: 0 points (the enterprise must report it); zero energy is treated the same.
        _indicator("tax_per_energy", 10, multiple=1.0, cap=1.5),
        # No emission data: the average score of the rated enterprises that have it (黄岩区 practice);
        # reported zero emissions: full (capped) points.
        _indicator("tax_per_emission", 10, multiple=1.0, cap=1.5, when_missing="average_score",
                   when_denominator_zero="full"),
        _indicator("labour_productivity", 10, multiple=1.0, cap=1.5),
        _indicator("rd_ratio", 10, multiple=1.0, cap=1.5),
    ],
    "bonus_items": [
        {"key": "high_tech", "name": "高新技术企业", "field": "high_tech", "points": 3, "limit": 3},
        {"key": "environmental_penalties", "name": "环保行政处罚", "field": "environmental_penalties",
         "points": -2, "limit": 6},
    ],
    "vetoes": list(_COMMON_VETOES),
    "classes": {"method": "thresholds", "thresholds": {"A": 115, "B": 80, "C": 50}},
}

RANK_SHARE_THREE_INDICATORS: dict[str, Any] = {
    "name": gettext_noop("三指标排名分类（亩均税收45/亩均销售35/单位能耗税收20，A前20%·B至60%·C至95%·D后5%）"),
    "eligibility": dict(_COMMON_ELIGIBILITY),
    "indicators": [
        _indicator("tax_per_mu", 45, multiple=2.0, cap=2.0),
        _indicator("sales_per_mu", 35, multiple=2.0, cap=2.0),
        _indicator("tax_per_energy", 20, multiple=2.0, cap=2.0),
    ],
    "bonus_items": [
        {"key": "high_tech", "name": "高新技术企业", "field": "high_tech", "points": 2, "limit": 2},
    ],
    "vetoes": list(_COMMON_VETOES),
    "classes": {"method": "rank_share", "shares": {"A": 0.2, "B": 0.6, "C": 0.95}},
}

PRESETS: dict[str, dict[str, Any]] = {
    "jiangsu_six_indicators": JIANGSU_SIX_INDICATORS,
    "rank_share_three_indicators": RANK_SHARE_THREE_INDICATORS,
}


# A differentiated-policy table (差别化政策) of the kind the Zhejiang 亩均论英雄 and Jiangsu 资源集约利用
# documents describe: A-class discounts and support, surcharges on C and D for electricity, water and
# gas, a differentiated 城镇土地使用税, and D-class credit and land restrictions. The base prices and
# amounts are zhili defaults for the demo, not any one city's figures; a district sets its own.
DEFAULT_POLICY_TABLE: dict[str, Any] = {
    "name": gettext_noop("差别化资源要素价格与政策（演示默认）"),
    "base_prices": {"electricity": 0.65, "water": 4.2, "gas": 3.6, "land": 6.0, "emission": 1.4},
    "classes": {
        "A": {"adjustments": {"electricity": -0.02, "water": 0.0, "gas": 0.0, "land": -3.0, "emission": -0.2},
              "support_eligible": True, "credit": "优先支持", "land_measure": "优先保障新增用地"},
        "B": {"adjustments": {"electricity": 0.0, "water": 0.0, "gas": 0.0, "land": -1.5, "emission": 0.0},
              "support_eligible": True, "credit": "正常支持", "land_measure": "按需保障"},
        "C": {"adjustments": {"electricity": 0.05, "water": 0.5, "gas": 0.2, "land": 0.0, "emission": 0.3},
              "support_eligible": False, "credit": "审慎", "land_measure": "原则上不新增用地"},
        "D": {"adjustments": {"electricity": 0.1, "water": 1.0, "gas": 0.4, "land": 0.0, "emission": 0.6},
              "support_eligible": False, "credit": "从紧", "land_measure": "不新增用地，纳入低效用地再开发"},
    },
}
