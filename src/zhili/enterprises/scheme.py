"""An evaluation scheme (评价办法) as data: parsed from a JSON-able config, checked, explained.

A scheme says who is rated (eligibility, class T otherwise), which indicators count with what
weight, direction, benchmark and score cap, which bonus/deduction items apply, which facts veto
an enterprise to class D, and how scores become classes (score thresholds or rank shares).
The config is stored as JSON on :class:`~zhili.enterprises.models.EvaluationScheme`; this module
turns it into frozen dataclasses the engines read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from zhili.core.errors import ApplicationError

# Yearly data fields (canonical units) an import may fill, with their Chinese label and unit.
DATA_FIELDS: dict[str, tuple[str, str]] = {
    "tax": ("税收实际贡献", "万元"),
    "sales": ("营业收入", "万元"),
    "added_value": ("工业增加值", "万元"),
    "energy_tce": ("综合能耗", "吨标准煤"),
    "electricity": ("用电量", "万千瓦时"),
    "water": ("用水量", "万立方米"),
    "gas": ("天然气用量", "万立方米"),
    "cod": ("化学需氧量排放", "吨"),
    "ammonia": ("氨氮排放", "吨"),
    "so2": ("二氧化硫排放", "吨"),
    "nox": ("氮氧化物排放", "吨"),
    "rd": ("研发经费支出", "万元"),
    "employees": ("年平均职工人数", "人"),
    "land_mu": ("用地面积", "亩"),
    "high_tech": ("高新技术企业(1是0否)", ""),
    "environmental_penalties": ("环保行政处罚次数", "次"),
    "major_safety_incident": ("重大安全生产事故(1是0否)", ""),
    "major_environment_incident": ("重大环境污染事件(1是0否)", ""),
}
# Columns the engines read besides DATA_FIELDS (they come from the registry, not from imports).
REGISTRY_COLUMNS = ("above_scale", "production_start_year", "public_utility")

# 电力折标准煤系数 (当量值): 1 万千瓦时 = 1.229 吨标准煤 (GB/T 2589-2020).
TCE_PER_10K_KWH = 1.229
# 污染当量值 (kg per equivalent unit), 《中华人民共和国环境保护税法》附表: COD 1, 氨氮 0.8, SO₂ 0.95, NOₓ 0.95.
POLLUTION_EQUIVALENT_KG = {"cod": 1.0, "ammonia": 0.8, "so2": 0.95, "nox": 0.95}


@dataclass(frozen=True)
class IndicatorDefinition:
    key: str
    name: str
    unit: str
    numerator: str
    denominator: str
    factor: float


# Derived quantities: "energy" (tce, electricity converted when energy is missing) and
# "emission" (thousand pollution-equivalent units = tonnes / kg-per-equivalent, summed).
INDICATOR_CATALOGUE: dict[str, IndicatorDefinition] = {
    definition.key: definition for definition in (
        IndicatorDefinition("tax_per_mu", "亩均税收", "万元/亩", "tax", "land_mu", 1.0),
        IndicatorDefinition("sales_per_mu", "亩均销售收入", "万元/亩", "sales", "land_mu", 1.0),
        IndicatorDefinition("added_value_per_mu", "亩均增加值", "万元/亩", "added_value", "land_mu", 1.0),
        IndicatorDefinition("tax_per_energy", "单位能耗税收", "万元/吨标准煤", "tax", "energy", 1.0),
        IndicatorDefinition("added_value_per_energy", "单位能耗增加值", "万元/吨标准煤", "added_value", "energy", 1.0),
        IndicatorDefinition("tax_per_emission", "单位排放税收", "万元/千污染当量", "tax", "emission", 1.0),
        IndicatorDefinition("added_value_per_emission", "单位排放增加值", "万元/千污染当量", "added_value",
                            "emission", 1.0),
        IndicatorDefinition("rd_ratio", "R&D经费支出占营业收入比重", "%", "rd", "sales", 100.0),
        IndicatorDefinition("labour_productivity", "全员劳动生产率", "万元/人", "added_value", "employees", 1.0),
    )
}

BENCHMARK_MODES = ("fixed", "prior_year_average", "current_year_average")
# What an indicator scores when its data is missing (or its denominator is zero):
#   zero: 0 points; benchmark: the weight (as if at the benchmark); full: the capped maximum;
#   average_score: the average score of this indicator among rated enterprises that have the data.
FALLBACKS = ("zero", "benchmark", "full", "average_score")
CLASS_CODES = ("A", "B", "C", "D")
CLASS_METHODS = ("thresholds", "rank_share")


@dataclass(frozen=True)
class IndicatorRule:
    key: str
    weight: float
    direction: str  # "higher" (more is better) or "lower"
    cap_multiple: float  # score ≤ weight × cap_multiple
    benchmark_mode: str
    benchmark_multiple: float
    benchmark_value: float | None
    when_missing: str
    when_denominator_zero: str

    @property
    def definition(self) -> IndicatorDefinition:
        return INDICATOR_CATALOGUE[self.key]


@dataclass(frozen=True)
class BonusRule:
    key: str
    name: str
    field: str
    points: float  # per unit of the field's value; negative for deductions
    limit: float  # the item adds at most +limit and at least -limit


@dataclass(frozen=True)
class VetoRule:
    key: str
    name: str
    field: str  # a value > 0 vetoes the enterprise to class D


@dataclass(frozen=True)
class Eligibility:
    small_scale_min_land_mu: float
    rate_small_scale: bool
    new_production_years: int
    exclude_public_utilities: bool


@dataclass(frozen=True)
class ClassRule:
    method: str
    thresholds: dict[str, float]  # A/B/C minimum scores (thresholds)
    shares: dict[str, float]  # A/B/C cumulative shares (rank_share), D the rest


@dataclass(frozen=True)
class Scheme:
    name: str
    eligibility: Eligibility
    indicators: tuple[IndicatorRule, ...]
    bonus_items: tuple[BonusRule, ...]
    vetoes: tuple[VetoRule, ...]
    classes: ClassRule

    @property
    def total_weight(self) -> float:
        return sum(rule.weight for rule in self.indicators)


def _invalid(message: str, **details: Any) -> ApplicationError:
    return ApplicationError("scheme_invalid", _("评价方案配置有误：%(message)s") % {"message": message},
                            details=details)


def _number(value: Any, label: str, *, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(_("“%(label)s”应为数字。") % {"label": label})
    number = float(value)
    if minimum is not None and number < minimum:
        raise _invalid(_("“%(label)s”不能小于%(minimum)s。") % {"label": label, "minimum": minimum})
    return number


def _choice(value: Any, allowed: tuple[str, ...], label: str) -> str:
    if value not in allowed:
        raise _invalid(_("“%(label)s”应为以下之一：%(allowed)s。") % {"label": label, "allowed": "、".join(allowed)})
    return str(value)


def scheme_parse(config: dict[str, Any]) -> Scheme:
    """Check a scheme config and return it as a :class:`Scheme`; raise ``scheme_invalid`` with the reason."""
    if not isinstance(config, dict):
        raise _invalid(_("配置应为JSON对象。"))
    eligibility_config = config.get("eligibility", {})
    eligibility = Eligibility(
        small_scale_min_land_mu=_number(eligibility_config.get("small_scale_min_land_mu", 3), "规下企业最小用地",
                                        minimum=0),
        rate_small_scale=bool(eligibility_config.get("rate_small_scale", True)),
        new_production_years=int(_number(eligibility_config.get("new_production_years", 2), "新投产年限", minimum=0)),
        exclude_public_utilities=bool(eligibility_config.get("exclude_public_utilities", True)),
    )
    indicator_configs = config.get("indicators")
    if not isinstance(indicator_configs, list) or not indicator_configs:
        raise _invalid(_("至少需要一个评价指标。"))
    indicators: list[IndicatorRule] = []
    for item in indicator_configs:
        key = item.get("key")
        if key not in INDICATOR_CATALOGUE:
            raise _invalid(_("未知指标“%(key)s”。") % {"key": key})
        if any(rule.key == key for rule in indicators):
            raise _invalid(_("指标“%(key)s”重复。") % {"key": key})
        name = INDICATOR_CATALOGUE[key].name
        benchmark = item.get("benchmark", {})
        mode = _choice(benchmark.get("mode", "prior_year_average"), BENCHMARK_MODES, f"{name}基准值方式")
        benchmark_value = benchmark.get("value")
        if mode == "fixed":
            benchmark_value = _number(benchmark_value, f"{name}基准值", minimum=0)
            if benchmark_value == 0:
                raise _invalid(_("“%(label)s”基准值不能为0。") % {"label": name})
        indicators.append(IndicatorRule(
            key=key,
            weight=_number(item.get("weight"), f"{name}权重", minimum=0),
            direction=_choice(item.get("direction", "higher"), ("higher", "lower"), f"{name}方向"),
            cap_multiple=_number(item.get("cap_multiple", 1.5), f"{name}封顶倍数", minimum=0),
            benchmark_mode=mode,
            benchmark_multiple=_number(benchmark.get("multiple", 1.0), f"{name}基准倍数", minimum=0),
            benchmark_value=float(benchmark_value) if benchmark_value is not None else None,
            when_missing=_choice(item.get("when_missing", "zero"), FALLBACKS, f"{name}缺数处理"),
            when_denominator_zero=_choice(item.get("when_denominator_zero", "full"), FALLBACKS,
                                          f"{name}分母为零处理"),
        ))
    bonus_items = []
    for item in config.get("bonus_items", []):
        field = item.get("field")
        if field not in DATA_FIELDS:
            raise _invalid(_("加减分项使用了未知字段“%(field)s”。") % {"field": field})
        bonus_items.append(BonusRule(
            key=str(item.get("key", field)), name=str(item.get("name", DATA_FIELDS[field][0])), field=field,
            points=_number(item.get("points"), "加减分分值"), limit=abs(_number(item.get("limit", 10), "加减分上限")),
        ))
    vetoes = []
    for item in config.get("vetoes", []):
        field = item.get("field")
        if field not in DATA_FIELDS:
            raise _invalid(_("否决项使用了未知字段“%(field)s”。") % {"field": field})
        vetoes.append(VetoRule(key=str(item.get("key", field)), name=str(item.get("name", DATA_FIELDS[field][0])),
                               field=field))
    class_config = config.get("classes", {})
    method = _choice(class_config.get("method"), CLASS_METHODS, "分类方式")
    thresholds: dict[str, float] = {}
    shares: dict[str, float] = {}
    if method == "thresholds":
        thresholds = {code: _number(class_config.get("thresholds", {}).get(code), f"{code}类分数线")
                      for code in ("A", "B", "C")}
        if not thresholds["A"] >= thresholds["B"] >= thresholds["C"]:
            raise _invalid(_("分数线应满足 A ≥ B ≥ C。"))
    else:
        shares = {code: _number(class_config.get("shares", {}).get(code), f"{code}类累计比例", minimum=0)
                  for code in ("A", "B", "C")}
        if not shares["A"] <= shares["B"] <= shares["C"] <= 1:
            raise _invalid(_("累计比例应满足 A ≤ B ≤ C ≤ 1。"))
    return Scheme(
        name=str(config.get("name", "")), eligibility=eligibility, indicators=tuple(indicators),
        bonus_items=tuple(bonus_items), vetoes=tuple(vetoes),
        classes=ClassRule(method=method, thresholds=thresholds, shares=shares),
    )
