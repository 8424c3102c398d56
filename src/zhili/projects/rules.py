"""Pure rules of the projects app: lifecycle chains and gates, 序时进度, completion rates, lights.

No ORM here. Amounts are 万元 as floats; months are (year, month) pairs. The sources of the rules
are in docs/projects.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

GREEN, YELLOW, RED = "green", "yellow", "red"
_LIGHT_ORDER = {GREEN: 0, YELLOW: 1, RED: 2}

# Node codes the rules look for (the rest of a chain is free to name its own).
LAND_NODE = "land"
START_NODE = "start"
FINISH_NODE = "completion"

# 谋划 → 签约 → 供地/拿地 → 审批 (四证) → 开工 → 主体完工 → 竣工 → 投产/达产
FOUR_CERTIFICATE_CHAIN: tuple[tuple[str, str], ...] = (
    ("planning", "谋划"), ("signing", "签约"), (LAND_NODE, "供地/拿地"), ("project_approval", "立项"),
    ("land_use_permit", "用地规划许可证"), ("construction_planning_permit", "工程规划许可证"),
    ("construction_permit", "施工许可证"), (START_NODE, "开工"), ("structure", "主体完工"),
    (FINISH_NODE, "竣工"), ("production", "投产/达产"),
)
# 五证: the land title (不动产权证/国有土地使用证) between the land-use planning permit and the rest
FIVE_CERTIFICATE_CHAIN: tuple[tuple[str, str], ...] = (
    *FOUR_CERTIFICATE_CHAIN[:5], ("land_title", "不动产权证"), *FOUR_CERTIFICATE_CHAIN[5:],
)
CHAIN_PRESETS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "four_certificates": ("四证审批链", FOUR_CERTIFICATE_CHAIN),
    "five_certificates": ("五证审批链", FIVE_CERTIFICATE_CHAIN),
}


@dataclass(frozen=True)
class ChainNode:
    code: str
    name: str


def chain_nodes_parse(raw: object) -> tuple[ChainNode, ...]:
    """A chain's nodes from their JSON form; ValueError (with a message) when it is not a usable chain."""
    if not isinstance(raw, list | tuple) or len(raw) < 2:
        raise ValueError(_("节点链至少需要两个节点，格式为 [[代码, 名称], …]。"))
    nodes: list[ChainNode] = []
    for item in raw:
        if not isinstance(item, list | tuple) or len(item) != 2 or not all(isinstance(part, str) and part.strip()
                                                                           for part in item):
            raise ValueError(_("节点链的每一项应为 [代码, 名称]，收到的是 %(item)s。") % {"item": item})
        nodes.append(ChainNode(code=item[0].strip(), name=item[1].strip()))
    codes = [node.code for node in nodes]
    if len(set(codes)) != len(codes):
        raise ValueError(_("节点链中有重复的节点代码。"))
    if START_NODE not in codes:
        raise ValueError(_("节点链必须包含“开工”节点（代码 start）。"))
    return tuple(nodes)


@dataclass(frozen=True)
class NodeDates:
    code: str
    name: str
    planned: dt.date | None = None
    actual: dt.date | None = None


@dataclass(frozen=True)
class GateViolation:
    code: str  # the node's code
    message: str


def node_gate_violations(nodes: Sequence[NodeDates], *, today: dt.date) -> list[GateViolation]:
    """The gates of a chain: a node is done only after the node before it, never on a later day than today.

    A node's actual date may not precede the actual date of the nearest earlier node that has one,
    and an actual date may not lie in the future. Planned dates follow the same order.
    """
    violations: list[GateViolation] = []
    previous_actual: NodeDates | None = None
    previous_planned: NodeDates | None = None
    for node in nodes:
        if node.actual is not None:
            if node.actual > today:
                violations.append(GateViolation(node.code, _("“%(node)s”的实际日期 %(date)s 晚于今天，请填写已发生的日期。")
                                                % {"node": node.name, "date": node.actual.isoformat()}))
            if previous_actual is not None and previous_actual.actual is not None and node.actual < previous_actual.actual:
                violations.append(GateViolation(node.code, _(
                    "“%(node)s”的实际日期 %(date)s 早于上一节点“%(previous)s”的 %(previous_date)s，请核对节点日期。")
                    % {"node": node.name, "date": node.actual.isoformat(), "previous": previous_actual.name,
                       "previous_date": previous_actual.actual.isoformat()}))
            previous_actual = node
        if node.planned is not None:
            if previous_planned is not None and previous_planned.planned is not None \
                    and node.planned < previous_planned.planned:
                violations.append(GateViolation(node.code, _(
                    "“%(node)s”的计划日期 %(date)s 早于上一节点“%(previous)s”的计划日期 %(previous_date)s。")
                    % {"node": node.name, "date": node.planned.isoformat(), "previous": previous_planned.name,
                       "previous_date": previous_planned.planned.isoformat()}))
            previous_planned = node
    return violations


def current_stage(nodes: Sequence[NodeDates]) -> str:
    """The code of the last node that has happened; empty before the first."""
    done = [node.code for node in nodes if node.actual is not None]
    return done[-1] if done else ""


def land_to_start_days(nodes: Sequence[NodeDates]) -> int | None:
    """拿地即开工: days from the land node to the start node, both actual; None until both happened."""
    by_code = {node.code: node for node in nodes}
    land, start = by_code.get(LAND_NODE), by_code.get(START_NODE)
    if land is None or start is None or land.actual is None or start.actual is None:
        return None
    return (start.actual - land.actual).days


# -- 序时进度 -----------------------------------------------------------------------------------------

def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def month_of(date: dt.date) -> tuple[int, int]:
    return date.year, date.month


def plan_start_month(year: int, start: dt.date | None) -> int:
    """The first month of ``year`` the plan runs in: the start month when the project starts that year,
    January when it started before, 13 (never) when it starts after the year."""
    if start is None or start.year < year:
        return 1
    if start.year > year:
        return 13
    return start.month


@dataclass(frozen=True)
class PlanRevision:
    """The year's plan became ``amount`` from ``month`` on (调整计划)."""

    month: int
    amount: float


def expected_to_date(*, year: int, month: int, original_amount: float, revisions: Sequence[PlanRevision] = (),
                     start: dt.date | None = None, completed_by_month: Mapping[int, float] | None = None) -> float:
    """The investment expected by the end of ``month`` of ``year`` (序时进度 in 万元).

    The plan is spread evenly over the months it runs: from January, or from the start month for a
    project that starts during the year. After a revision in month r the part not yet done by the
    end of month r−1 (the revised amount less what was completed) is spread evenly over months r…12.
    """
    completed_by_month = completed_by_month or {}
    first = plan_start_month(year, start)
    if month < first or first > 12:
        return 0.0
    segment_start, segment_base, segment_amount = first, 0.0, original_amount
    for revision in sorted(revisions, key=lambda item: item.month):
        if revision.month > month:
            break
        segment_start = max(first, revision.month)
        segment_base = sum(completed_by_month.get(earlier, 0.0) for earlier in range(1, segment_start))
        segment_amount = revision.amount
    months_in_segment = 12 - segment_start + 1
    elapsed = month - segment_start + 1
    return segment_base + (segment_amount - segment_base) * elapsed / months_in_segment


def rate_percent(done: float, planned: float) -> float | None:
    """``done / planned`` in percent, one decimal; None without a plan."""
    if planned <= 0:
        return None
    return round(done / planned * 100, 1)


# -- lights ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LightThresholds:
    """Default after the city's published rule (docs/projects.md): start, progress, statistics entry."""

    start_yellow_months: int = 0  # not started by the end of the planned month
    start_red_months: int = 3  # three months after the planned month
    progress_yellow_points: float = 10.0  # behind 序时进度 by 10–30 points
    progress_red_points: float = 30.0  # more than 30 points
    statistics_yellow_months: int = 1  # not entered a month after the start
    statistics_red_months: int = 2


THRESHOLD_FIELDS = ("start_yellow_months", "start_red_months", "progress_yellow_points", "progress_red_points",
                    "statistics_yellow_months", "statistics_red_months")


def thresholds_parse(raw: Mapping[str, Any] | None) -> LightThresholds:
    """Thresholds from a rule set's JSON: unknown keys refused, missing ones default, red beyond yellow."""
    raw = dict(raw or {})
    unknown = sorted(set(raw) - set(THRESHOLD_FIELDS))
    if unknown:
        raise ValueError(_("亮灯规则含未知参数：%(names)s。") % {"names": "、".join(unknown)})
    values: dict[str, Any] = {}
    for name in THRESHOLD_FIELDS:
        if name not in raw:
            continue
        value = raw[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(_("亮灯规则参数 %(name)s 应为不小于0的数，收到的是 %(value)s。") % {"name": name, "value": value})
        values[name] = value
    thresholds = LightThresholds(**values)
    for yellow, red in (("start_yellow_months", "start_red_months"),
                        ("progress_yellow_points", "progress_red_points"),
                        ("statistics_yellow_months", "statistics_red_months")):
        if getattr(thresholds, red) < getattr(thresholds, yellow):
            raise ValueError(_("亮灯规则中 %(red)s 不能小于 %(yellow)s。") % {"red": red, "yellow": yellow})
    return thresholds


@dataclass(frozen=True)
class LightFacts:
    """What the lights of one project look at, as of the end of (year, month)."""

    year: int
    month: int
    planned_start: dt.date | None
    actual_start: dt.date | None
    statistics_entered_on: dt.date | None
    plan_amount: float  # the year's plan, revised if it was
    expected_to_date: float
    completed_to_date: float


@dataclass(frozen=True)
class LightReason:
    rule: str  # start | progress | statistics
    light: str
    message: str


@dataclass(frozen=True)
class LightResult:
    light: str
    reasons: tuple[LightReason, ...] = field(default_factory=tuple)


def _end_of_month(year: int, month: int) -> dt.date:
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


def progress_points_behind(facts: LightFacts) -> float | None:
    """Percentage points of the year's plan by which completion trails 序时进度 (negative: ahead)."""
    if facts.plan_amount <= 0:
        return None
    return round((facts.expected_to_date - facts.completed_to_date) / facts.plan_amount * 100, 1)


def light_evaluate(facts: LightFacts, thresholds: LightThresholds | None = None) -> LightResult:
    """Red/yellow/green from the three rules; the worst one wins and every rule that fired is a reason."""
    thresholds = thresholds or LightThresholds()
    as_of = month_index(facts.year, facts.month)
    end = _end_of_month(facts.year, facts.month)
    reasons: list[LightReason] = []
    started = facts.actual_start is not None and facts.actual_start <= end
    if not started and facts.planned_start is not None:
        late = as_of - month_index(*month_of(facts.planned_start))
        if late >= thresholds.start_red_months:
            reasons.append(LightReason("start", RED, _("计划%(month)s开工，已逾期%(late)d个月未开工。")
                                       % {"month": f"{facts.planned_start:%Y-%m}", "late": late}))
        elif late >= thresholds.start_yellow_months:
            reasons.append(LightReason("start", YELLOW, _("计划%(month)s开工，至今未开工。")
                                       % {"month": f"{facts.planned_start:%Y-%m}"}))
    behind = progress_points_behind(facts)
    if behind is not None and facts.expected_to_date > 0:
        values = {"behind": behind, "done": rate_percent(facts.completed_to_date, facts.plan_amount),
                  "expected": rate_percent(facts.expected_to_date, facts.plan_amount)}
        if behind > thresholds.progress_red_points:
            reasons.append(LightReason("progress", RED, _(
                "年度投资完成%(done)s%%，序时进度%(expected)s%%，落后%(behind)s个百分点。") % values))
        elif behind >= thresholds.progress_yellow_points:
            reasons.append(LightReason("progress", YELLOW, _(
                "年度投资完成%(done)s%%，序时进度%(expected)s%%，落后%(behind)s个百分点。") % values))
    entered = facts.statistics_entered_on is not None and facts.statistics_entered_on <= end
    if started and not entered and facts.actual_start is not None:
        waiting = as_of - month_index(*month_of(facts.actual_start))
        if waiting >= thresholds.statistics_red_months:
            reasons.append(LightReason("statistics", RED, _("开工%(months)d个月仍未入库纳统。") % {"months": waiting}))
        elif waiting >= thresholds.statistics_yellow_months:
            reasons.append(LightReason("statistics", YELLOW, _("开工%(months)d个月仍未入库纳统。") % {"months": waiting}))
    worst = max((reason.light for reason in reasons), key=_LIGHT_ORDER.__getitem__, default=GREEN)
    return LightResult(light=worst, reasons=tuple(reasons))


def previous_month(today: dt.date) -> tuple[int, int]:
    """The month whose reports are due in ``today``'s month (a month is reported early the next)."""
    return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)


@dataclass(frozen=True)
class ReconciliationLine:
    reported_to_date: float
    statistics_to_date: float | None

    @property
    def gap(self) -> float | None:
        """Platform minus statistics bureau (万元); positive: reported but not (yet) counted."""
        if self.statistics_to_date is None:
            return None
        return round(self.reported_to_date - self.statistics_to_date, 2)

    @property
    def gap_percent(self) -> float | None:
        if self.statistics_to_date is None or self.gap is None:
            return None
        return rate_percent(self.gap, self.reported_to_date) if self.reported_to_date > 0 else None
