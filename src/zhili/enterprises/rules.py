"""Pure rules of 亩均 policy (no ORM): the differentiated policy table per class, what a class means
for one enterprise in money, the simulation of a scheme change, and land apportionment on shared sites.

``docs/enterprises.md`` documents them; the tests check them on hand-computed figures.

* A **policy table** gives, per resource, the base price and, per class, the adjustment added to it
  (a surcharge > 0, a discount < 0): 电 元/千瓦时, 水 元/立方米, 气 元/立方米, 城镇土地使用税 元/平方米·年,
  排污 元/污染当量; plus per class the support eligibility (专项资金/奖补), the credit stance and the land
  measure. Every class's price must stay ≥ 0.
* The **money effect** of a class for an enterprise = Σ adjustment × its yearly quantity of that
  resource, in 元 (positive: it pays more than at the base price).
* **Apportionment**: a site's shares given in 亩 must not exceed its area; shares given by floor area
  split the rest of the site in proportion. A firm on several sites uses the sum of its shares.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhili.core.errors import ApplicationError
from zhili.enterprises.scheme import POLLUTION_EQUIVALENT_KG

CLASSES = ("A", "B", "C", "D")
SQUARE_METRES_PER_MU = 10_000 / 15  # 1 亩 = 666.67 m²
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Resource:
    key: str
    label: str
    price_unit: str
    quantity_unit: str  # the unit the yearly quantity is priced in


RESOURCES: tuple[Resource, ...] = (
    Resource("electricity", gettext_noop("电价"), gettext_noop("元/千瓦时"), "千瓦时"),
    Resource("water", gettext_noop("水价"), gettext_noop("元/立方米"), "立方米"),
    Resource("gas", gettext_noop("天然气价"), gettext_noop("元/立方米"), "立方米"),
    Resource("land", gettext_noop("城镇土地使用税"), gettext_noop("元/平方米·年"), "平方米"),
    Resource("emission", gettext_noop("排污权有偿使用费"), gettext_noop("元/污染当量"), "污染当量"),
)
RESOURCE_BY_KEY = {resource.key: resource for resource in RESOURCES}


@dataclass(frozen=True)
class ClassPolicy:
    adjustments: dict[str, float]  # resource → 元 per unit added to the base price
    support_eligible: bool
    credit: str
    land_measure: str


@dataclass(frozen=True)
class PolicyTable:
    name: str
    base_prices: dict[str, float]
    classes: dict[str, ClassPolicy]

    def price(self, class_code: str, resource: str) -> float:
        return self.base_prices[resource] + self.classes[class_code].adjustments.get(resource, 0.0)


def _policy_invalid(message: str) -> ApplicationError:
    return ApplicationError("policy_invalid", _("差别化政策表有误：%(message)s未保存。") % {"message": message})


def _finite(value: Any, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
        raise _policy_invalid(_("“%(label)s”应为数字。") % {"label": label})
    return float(value)


def policy_table_parse(config: Mapping[str, Any]) -> PolicyTable:
    """Check a policy table config and return it; raise ``policy_invalid`` (or
    ``policy_price_negative``, naming the class, resource and figures) with the reason."""
    if not isinstance(config, Mapping):
        raise _policy_invalid(_("配置应为JSON对象。"))
    base_config = config.get("base_prices", {})
    if not isinstance(base_config, Mapping):
        raise _policy_invalid(_("“base_prices”应为对象。"))
    base_prices: dict[str, float] = {}
    for resource in RESOURCES:
        price = _finite(base_config.get(resource.key, 0.0), f"{resource.label}基准价")
        if price < 0:
            raise _policy_invalid(_("%(label)s基准价不能为负。") % {"label": resource.label})
        base_prices[resource.key] = price
    unknown = sorted(set(base_config) - set(RESOURCE_BY_KEY))
    if unknown:
        raise _policy_invalid(_("未知资源“%(key)s”。") % {"key": "、".join(unknown)})
    classes_config = config.get("classes", {})
    if not isinstance(classes_config, Mapping):
        raise _policy_invalid(_("“classes”应为对象。"))
    classes: dict[str, ClassPolicy] = {}
    for code in CLASSES:
        item = classes_config.get(code, {})
        if not isinstance(item, Mapping):
            raise _policy_invalid(_("%(code)s类配置应为对象。") % {"code": code})
        adjustments_config = item.get("adjustments", {})
        unknown = sorted(set(adjustments_config) - set(RESOURCE_BY_KEY))
        if unknown:
            raise _policy_invalid(_("%(code)s类使用了未知资源“%(key)s”。") % {"code": code, "key": "、".join(unknown)})
        adjustments: dict[str, float] = {}
        for resource in RESOURCES:
            adjustment = _finite(adjustments_config.get(resource.key, 0.0), f"{code}类{resource.label}加价")
            price = base_prices[resource.key] + adjustment
            if price < -TOLERANCE:
                raise ApplicationError(
                    "policy_price_negative",
                    _("%(code)s类%(label)s加减价后为负：%(base)s %(sign)s %(adjustment)s = %(price)s %(unit)s。"
                      "价格不能为负，请减小优惠幅度或提高基准价，未保存。")
                    % {"code": code, "label": resource.label, "base": _money(base_prices[resource.key]),
                       "sign": "+" if adjustment >= 0 else "−", "adjustment": _money(abs(adjustment)),
                       "price": _money(price), "unit": resource.price_unit},
                    details={"class": code, "resource": resource.key},
                )
            adjustments[resource.key] = adjustment
        classes[code] = ClassPolicy(
            adjustments=adjustments, support_eligible=bool(item.get("support_eligible", False)),
            credit=str(item.get("credit", ""))[:60], land_measure=str(item.get("land_measure", ""))[:100],
        )
    return PolicyTable(name=str(config.get("name", ""))[:200], base_prices=base_prices, classes=classes)


def _money(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


# ---------------------------------------------------------------------------------------------
# What a class means for one enterprise
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResourceEffect:
    resource: str
    label: str
    quantity: float | None  # in the resource's quantity unit; None when not reported
    base_price: float
    price: float
    adjustment: float
    amount: float | None  # 元 = adjustment × quantity (None without a quantity)


@dataclass(frozen=True)
class FirmPolicyEffect:
    class_code: str
    resources: tuple[ResourceEffect, ...]
    support_eligible: bool
    credit: str
    land_measure: str

    @property
    def total(self) -> float:
        """The yearly money effect in 元 (positive: pays more than at base prices)."""
        return math.fsum(item.amount for item in self.resources if item.amount is not None)

    @property
    def missing(self) -> list[str]:
        return [item.label for item in self.resources if item.quantity is None and item.adjustment != 0]


def firm_quantities(figures: Mapping[str, float | None]) -> dict[str, float | None]:
    """The yearly quantities the prices apply to, from an enterprise's figures in canonical units
    (electricity 万千瓦时, water and gas 万立方米, land 亩, pollutants 吨)."""
    def scaled(name: str, factor: float) -> float | None:
        value = figures.get(name)
        return None if value is None or not math.isfinite(value) else value * factor

    pollutants = [(figures.get(name), kilograms) for name, kilograms in POLLUTION_EQUIVALENT_KG.items()]
    reported = [(value, kilograms) for value, kilograms in pollutants if value is not None and math.isfinite(value)]
    # 吨 ÷ (千克/当量) × 1000 = 污染当量.
    emission = math.fsum(value * 1000.0 / kilograms for value, kilograms in reported) if reported else None
    return {
        "electricity": scaled("electricity", 10_000.0), "water": scaled("water", 10_000.0),
        "gas": scaled("gas", 10_000.0), "land": scaled("land_mu", SQUARE_METRES_PER_MU), "emission": emission,
    }


def firm_policy_effect(table: PolicyTable, class_code: str, quantities: Mapping[str, float | None]) -> FirmPolicyEffect:
    """What ``class_code`` means for an enterprise with these yearly ``quantities`` (class T: nothing)."""
    if class_code not in table.classes:
        return FirmPolicyEffect(class_code=class_code, resources=(), support_eligible=False, credit="",
                                land_measure="")
    policy = table.classes[class_code]
    effects = []
    for resource in RESOURCES:
        adjustment = policy.adjustments.get(resource.key, 0.0)
        quantity = quantities.get(resource.key)
        effects.append(ResourceEffect(
            resource=resource.key, label=resource.label, quantity=quantity,
            base_price=table.base_prices[resource.key], price=table.price(class_code, resource.key),
            adjustment=adjustment, amount=None if quantity is None else adjustment * quantity,
        ))
    return FirmPolicyEffect(class_code=class_code, resources=tuple(effects), support_eligible=policy.support_eligible,
                            credit=policy.credit, land_measure=policy.land_measure)


# ---------------------------------------------------------------------------------------------
# Simulation of a scheme change
# ---------------------------------------------------------------------------------------------

WEIGHT_TOTAL = 100.0


def scheme_config_with_changes(config: Mapping[str, Any], *, weights: Mapping[str, float] | None = None,
                               thresholds: Mapping[str, float] | None = None,
                               shares: Mapping[str, float] | None = None) -> dict[str, Any]:
    """A copy of a scheme config with new indicator weights and/or class thresholds (or rank shares).

    Weights must cover the scheme's indicators and add up to 100 (% of the score); raises
    ``simulation_weights_total`` otherwise, naming the sum.
    """
    changed: dict[str, Any] = {**config, "indicators": [dict(item) for item in config.get("indicators", [])]}
    if weights is not None:
        keys = [item["key"] for item in changed["indicators"]]
        unknown = sorted(set(weights) - set(keys))
        if unknown:
            raise ApplicationError("simulation_weight_unknown", _("方案中没有指标“%(keys)s”。") % {"keys": "、".join(unknown)})
        values = {key: float(weights.get(key, next(item["weight"] for item in changed["indicators"]
                                                      if item["key"] == key))) for key in keys}
        if any(not math.isfinite(value) or value < 0 for value in values.values()):
            raise ApplicationError("simulation_weight_invalid", _("权重应为不小于0的数字。"))
        total = math.fsum(values.values())
        if abs(total - WEIGHT_TOTAL) > 1e-6:
            raise ApplicationError(
                "simulation_weights_total",
                _("各指标权重之和应为100%%，现在是%(total)s%%。请调整后重新模拟。") % {"total": _money(total)},
                details={"total": total},
            )
        for item in changed["indicators"]:
            item["weight"] = values[item["key"]]
    classes = dict(changed.get("classes", {}))
    if thresholds is not None:
        classes["thresholds"] = {**classes.get("thresholds", {}), **{key: float(value) for key, value in thresholds.items()}}
    if shares is not None:
        classes["shares"] = {**classes.get("shares", {}), **{key: float(value) for key, value in shares.items()}}
    changed["classes"] = classes
    return changed


@dataclass(frozen=True)
class ClassMove:
    enterprise_id: int
    before: str
    after: str
    total_before: float | None
    total_after: float | None
    money_before: float
    money_after: float

    @property
    def money_change(self) -> float:
        return self.money_after - self.money_before

    @property
    def direction(self) -> str:
        return "up" if CLASS_ORDER[self.after] < CLASS_ORDER[self.before] else "down"


CLASS_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3, "T": 4}


def class_moves(enterprise_ids: Sequence[int], before: Sequence[str], after: Sequence[str],
                totals_before: Sequence[float | None], totals_after: Sequence[float | None],
                money: Mapping[int, Mapping[str, float]]) -> list[ClassMove]:
    """Every enterprise whose class differs, with its money effect under each class (money[id][class])."""
    moves = []
    for index, enterprise_id in enumerate(enterprise_ids):
        if before[index] == after[index]:
            continue
        effects = money.get(enterprise_id, {})
        moves.append(ClassMove(
            enterprise_id=enterprise_id, before=before[index], after=after[index],
            total_before=totals_before[index], total_after=totals_after[index],
            money_before=effects.get(before[index], 0.0), money_after=effects.get(after[index], 0.0),
        ))
    return sorted(moves, key=lambda move: (CLASS_ORDER[move.after] - CLASS_ORDER[move.before], move.enterprise_id))


def migration_matrix(pairs: Sequence[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """previous class → current class → count ("" previous: not rated or not evaluated last year)."""
    labels = ("A", "B", "C", "D", "T")
    matrix = {previous: dict.fromkeys(labels, 0) for previous in (*labels, "")}
    for previous, current in pairs:
        matrix.setdefault(previous, dict.fromkeys(labels, 0))
        matrix[previous][current] = matrix[previous].get(current, 0) + 1
    return matrix


# ---------------------------------------------------------------------------------------------
# Land apportionment
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShareInput:
    enterprise_id: int
    share_mu: float | None = None  # stated directly
    floor_area_m2: float | None = None  # or by the floor area the firm uses


def apportion_site(site_area_mu: float, shares: Sequence[ShareInput], *, site_name: str = "") -> dict[int, float]:
    """Each enterprise's land on one site (亩).

    Shares stated in 亩 are taken as they are and must not add up to more than the site; the rest of
    the site is split among the shares given by floor area, in proportion to it. Raises
    ``site_shares_exceed_area`` (naming both figures) or ``site_share_invalid``.
    """
    if not math.isfinite(site_area_mu) or site_area_mu <= 0:
        raise ApplicationError("site_area_invalid", _("宗地面积应为大于0的数字（亩），未保存。"))
    seen: set[int] = set()
    stated = 0.0
    floors = 0.0
    for share in shares:
        if share.enterprise_id in seen:
            raise ApplicationError("site_share_duplicate", _("同一企业在一宗地上只能有一条分摊，未保存。"))
        seen.add(share.enterprise_id)
        if (share.share_mu is None) == (share.floor_area_m2 is None):
            raise ApplicationError("site_share_invalid", _("每家企业请填写分摊面积（亩）或使用的建筑面积（平方米）之一，未保存。"))
        value = share.share_mu if share.share_mu is not None else share.floor_area_m2
        if value is None or not math.isfinite(value) or value <= 0:
            raise ApplicationError("site_share_invalid", _("分摊面积和建筑面积应为大于0的数字，未保存。"))
        if share.share_mu is not None:
            stated += share.share_mu
        else:
            floors += value
    if stated > site_area_mu + 1e-6:
        raise ApplicationError(
            "site_shares_exceed_area",
            _("%(site)s的分摊面积合计%(shares)s亩，超过宗地面积%(area)s亩。请核对各企业的分摊面积，未保存。")
            % {"site": site_name or _("该宗地"), "shares": _money(stated), "area": _money(site_area_mu)},
            details={"shares_mu": stated, "area_mu": site_area_mu},
        )
    remainder = site_area_mu - stated
    if floors > 0 and remainder <= 1e-9:
        raise ApplicationError(
            "site_shares_exceed_area",
            _("%(site)s的面积已全部按亩分摊，按建筑面积分摊的企业分不到用地。请核对，未保存。") % {"site": site_name or _("该宗地")},
        )
    result: dict[int, float] = {}
    for share in shares:
        if share.share_mu is not None:
            result[share.enterprise_id] = share.share_mu
        else:
            result[share.enterprise_id] = remainder * float(share.floor_area_m2 or 0.0) / floors
    return result
