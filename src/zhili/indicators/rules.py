"""Pure rules of the indicators app (no ORM): the three progress measures side by side, which
target applies in which year, the generated narrative of the evaluation reports, and the yearly
data-deadline reminder calendar.

``docs/indicators.md`` documents each rule; the tests check them on hand-computed figures.

The three progress measures of one indicator in one year:

1. **Open SDG CAGR ratio** (``sdg-build`` methodology 2, following UN ESCAP): observed compound
   growth ÷ required compound growth, ``p = sign(x₀)·direction·cagr_o/|cagr_r|``; 目标已实现 when
   the target is met, else ≥ 0.95 substantial, ≥ 0.6 moderate, ≥ 0 limited, < 0 deterioration.
2. **序时进度 (目标一致法)**: realised progress ÷ the elapsed share of the period (the statuses of
   :mod:`zhili.indicators.evaluation`).
3. **Projection to the target year** (UN ESCAP anticipated progress): the trend extended to the
   target year, as a share of the required change ``(x̂_T − x₀)/(x* − x₀)``: ≥ 1 on track,
   ≥ 0 needs acceleration, < 0 regressing.

Each measure is reduced to a verdict (good / behind / regressing); when the verdicts differ the
reason is stated in words from the figures (:func:`disagreement_reason`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from django.utils.translation import gettext, gettext_noop

from zhili.indicators.evaluation import (
    KIND_BOUND,
    KIND_CUMULATIVE,
    KIND_GROWTH,
    KIND_QUALITATIVE,
    Evaluation,
    IndicatorSpec,
    Status,
    cagr_ratio,
)

CAGR_SUBSTANTIAL = 0.95
CAGR_MODERATE = 0.6
CAGR_LIMITED = 0.0


class Verdict(StrEnum):
    GOOD = "good"  # on track or better
    BEHIND = "behind"  # moving the right way, too slowly
    REGRESSING = "regressing"  # moving away from the target
    UNKNOWN = "unknown"  # the measure is not defined here

    @property
    def label(self) -> str:
        return gettext(VERDICT_LABELS[self])


VERDICT_LABELS = {Verdict.GOOD: gettext_noop("符合要求"), Verdict.BEHIND: gettext_noop("进度不足"), Verdict.REGRESSING: gettext_noop("反向变化"),
                  Verdict.UNKNOWN: gettext_noop("不适用")}
CAGR_STATUS_LABELS = {
    "target_achieved": gettext_noop("目标已实现"), "substantial_progress": gettext_noop("显著进展"), "moderate_progress": gettext_noop("中等进展"),
    "limited_progress": gettext_noop("有限进展"), "deterioration": gettext_noop("退步"), "not_available": gettext_noop("不适用"),
}
PROJECTION_STATUS_LABELS = {
    "on_track": gettext_noop("按趋势可达标"), "acceleration_needed": gettext_noop("需加快"), "regressing": gettext_noop("趋势背离目标"),
    "not_available": gettext_noop("不适用"),
}


# ---------------------------------------------------------------------------------------------
# Target revisions
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TargetVersion:
    """A target in force from ``from_year`` on (the plan's original target has ``from_year`` 0)."""

    from_year: int
    value: float | None
    text: str
    decision_reference: str = ""
    revision: int = 0


def target_for_year(original: TargetVersion, revisions: Sequence[TargetVersion], year: int) -> TargetVersion:
    """The target that applies to ``year``: of the revisions in force by then (``from_year`` ≤ year),
    the one decided last (highest revision number); else the original. A later decision therefore
    replaces an earlier one for the years both cover."""
    applied = original
    for revision in sorted(revisions, key=lambda item: item.revision):
        if revision.from_year <= year:
            applied = revision
    return applied


def spec_with_target(spec: IndicatorSpec, target: float | None) -> IndicatorSpec:
    return replace(spec, target=target)


# ---------------------------------------------------------------------------------------------
# The three progress measures
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProgressMeasures:
    """The three measures of one indicator in one year, their verdicts and, when they disagree, why."""

    cagr_ratio: float | None
    cagr_status: str
    schedule_ratio: float | None
    schedule_status: Status
    projected_value: float | None
    projection_ratio: float | None
    projection_status: str
    verdicts: tuple[Verdict, Verdict, Verdict]
    reason: str = ""

    @property
    def disagree(self) -> bool:
        known = {verdict for verdict in self.verdicts if verdict != Verdict.UNKNOWN}
        return len(known) > 1

    @property
    def cagr_label(self) -> str:
        return gettext(CAGR_STATUS_LABELS[self.cagr_status])

    @property
    def projection_label(self) -> str:
        return gettext(PROJECTION_STATUS_LABELS[self.projection_status])


def cagr_status(ratio: float | None, *, achieved: bool) -> str:
    if achieved:
        return "target_achieved"
    if ratio is None:
        return "not_available"
    if ratio >= CAGR_SUBSTANTIAL:
        return "substantial_progress"
    if ratio >= CAGR_MODERATE:
        return "moderate_progress"
    if ratio >= CAGR_LIMITED:
        return "limited_progress"
    return "deterioration"


def _cagr_verdict(status: str) -> Verdict:
    if status in ("target_achieved", "substantial_progress"):
        return Verdict.GOOD
    if status in ("moderate_progress", "limited_progress"):
        return Verdict.BEHIND
    if status == "deterioration":
        return Verdict.REGRESSING
    return Verdict.UNKNOWN


def _schedule_verdict(evaluation: Evaluation) -> Verdict:
    status = evaluation.status
    if status in (Status.COMPLETED, Status.AHEAD, Status.ON_TRACK):
        return Verdict.GOOD
    if status == Status.NO_DATA:
        return Verdict.UNKNOWN
    if evaluation.ratio is not None and evaluation.ratio < 0 and evaluation.reason not in ("bound_violated",
                                                                                            "target_met_at_baseline"):
        return Verdict.REGRESSING
    return Verdict.BEHIND


def _projection_verdict(status: str) -> Verdict:
    return {"on_track": Verdict.GOOD, "acceleration_needed": Verdict.BEHIND,
            "regressing": Verdict.REGRESSING}.get(status, Verdict.UNKNOWN)


def projection_status(ratio: float | None) -> str:
    if ratio is None:
        return "not_available"
    if ratio >= 1.0 - 1e-9:
        return "on_track"
    if ratio >= 0:
        return "acceleration_needed"
    return "regressing"


def progress_measures(spec: IndicatorSpec, evaluation: Evaluation) -> ProgressMeasures:
    """The three measures for an evaluation made with ``spec`` (the target that applies that year)."""
    target = spec.target
    if spec.kind == KIND_QUALITATIVE or target is None or evaluation.status == Status.NO_DATA:
        verdict = _schedule_verdict(evaluation)
        return ProgressMeasures(None, "not_available", evaluation.ratio, evaluation.status, None, None,
                                "not_available", (Verdict.UNKNOWN, verdict, Verdict.UNKNOWN))
    direction = spec.direction
    year = evaluation.year
    ratio: float | None = None
    achieved = evaluation.status == Status.COMPLETED or (
        spec.kind == KIND_BOUND and evaluation.realised_value is not None
        and direction * (evaluation.realised_value - target) >= 0 and year == spec.target_year)
    projection_ratio: float | None = None
    projected = evaluation.projected_value
    if spec.kind == KIND_GROWTH:
        start_year = evaluation.start_year if evaluation.start_year is not None else spec.base_year
        periods = spec.target_year - start_year
        realised = (evaluation.realised_value or 0.0) / 100.0
        index = (1.0 + realised) ** (year - start_year)
        target_index = (1.0 + target / 100.0) ** periods
        ratio = cagr_ratio(base_value=1.0, current_value=index, target=target_index, base_year=start_year,
                           current_year=year, target_year=spec.target_year, direction=direction)
        projected_index = (1.0 + realised) ** periods
        if target_index != 1.0:
            projection_ratio = (projected_index - 1.0) / (target_index - 1.0)
    elif spec.kind == KIND_CUMULATIVE:
        if projected is not None and target > 0:
            projection_ratio = projected / target
    else:
        start_value = evaluation.start_value
        path_start_year = evaluation.start_year
        value = evaluation.realised_value
        if start_value is not None and path_start_year is not None and value is not None:
            ratio = cagr_ratio(base_value=start_value, current_value=value, target=target, base_year=path_start_year,
                               current_year=year, target_year=spec.target_year, direction=direction)
            if projected is not None:
                projection_ratio = _path_projection_ratio(start_value, projected, target, direction)
        elif value is not None and projected is not None:
            projection_ratio = 1.0 if direction * (projected - target) >= 0 else None
    if achieved and projection_ratio is None:
        projection_ratio = 1.0
    status_cagr = cagr_status(ratio, achieved=achieved and spec.kind != KIND_CUMULATIVE)
    if spec.kind == KIND_CUMULATIVE:
        status_cagr = "not_available"
    status_projection = projection_status(projection_ratio)
    verdicts = (_cagr_verdict(status_cagr), _schedule_verdict(evaluation), _projection_verdict(status_projection))
    measures = ProgressMeasures(
        cagr_ratio=ratio, cagr_status=status_cagr, schedule_ratio=evaluation.ratio,
        schedule_status=evaluation.status, projected_value=projected, projection_ratio=projection_ratio,
        projection_status=status_projection, verdicts=verdicts,
    )
    if measures.disagree:
        measures = replace(measures, reason=disagreement_reason(spec, evaluation, measures))
    return measures


def _path_projection_ratio(start_value: float, projected: float, target: float, direction: int) -> float | None:
    """Share of the required change the projection covers; a start already beyond the target counts
    as 1 when the projection stays on the right side of it, else as regressing."""
    required = target - start_value
    if direction * required <= 0:
        return 1.0 if direction * (projected - target) >= 0 else -1.0
    return (projected - start_value) / required


def number_text(value: float | None, digits: int = 2) -> str:
    """A figure as the reports write it: thousands separated, trailing zeros dropped, "—" when there is none."""
    if value is None or not math.isfinite(value):
        return "—"
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent_text(value: float | None) -> str:
    """A ratio as a whole percentage ("—" when there is none)."""
    return "—" if value is None or not math.isfinite(value) else f"{value * 100:.0f}%"


def disagreement_reason(spec: IndicatorSpec, evaluation: Evaluation, measures: ProgressMeasures) -> str:
    """Why the three measures disagree, in one or two sentences built from the figures."""
    cagr_verdict, schedule_verdict, projection_verdict = measures.verdicts
    parts: list[str] = []
    if spec.kind == KIND_CUMULATIVE:
        parts.append("累计类指标没有复合增速（CAGR）口径；")
    if spec.kind == KIND_BOUND and schedule_verdict == Verdict.GOOD and projection_verdict != Verdict.GOOD:
        parts.append(
            f"当年值{number_text(evaluation.realised_value)}符合约束值{number_text(spec.target)}，"
            f"但按基期以来的变化趋势外推至{spec.target_year}年为{number_text(measures.projected_value)}，将突破约束。")
    elif spec.kind == KIND_BOUND and schedule_verdict != Verdict.GOOD and projection_verdict == Verdict.GOOD:
        parts.append(
            f"当年值{number_text(evaluation.realised_value)}未达约束值{number_text(spec.target)}，"
            f"但变化方向正确，按趋势外推至{spec.target_year}年为{number_text(measures.projected_value)}，可回到约束以内。")
    elif (cagr_verdict not in (Verdict.UNKNOWN, schedule_verdict) and spec.kind != KIND_GROWTH
          and schedule_verdict != Verdict.UNKNOWN):
        parts.append(
            f"序时进度按基期到目标的直线路径衡量（进度/序时{percent_text(measures.schedule_ratio)}），"
            f"CAGR按复合增速衡量（实际增速为所需增速的{percent_text(measures.cagr_ratio)}）："
            + ("直线路径对规划期前段的要求高于复合增速路径，实际值介于两条路径之间。"
               if cagr_verdict == Verdict.GOOD else "复合增速口径下所需年均增速更高，实际增速未达到。"))
    if projection_verdict != schedule_verdict and projection_verdict != Verdict.UNKNOWN and spec.kind != KIND_BOUND:
        projected = number_text(measures.projected_value)
        if spec.kind == KIND_GROWTH:
            projected = f"年均{projected}%"
        if projection_verdict == Verdict.GOOD:
            parts.append(f"按最近的增长趋势外推，{spec.target_year}年预计为{projected}，可以达到目标"
                         f"{number_text(spec.target)}：前期起步慢，但近期增速已足够。")
        elif schedule_verdict == Verdict.GOOD:
            parts.append(f"当前已达到序时进度，但按现有趋势外推，{spec.target_year}年预计为{projected}，"
                         f"只完成所需变化的{percent_text(measures.projection_ratio)}，后期需保持或加快。")
        else:
            parts.append(f"按现有趋势外推，{spec.target_year}年预计为{projected}，"
                         f"完成所需变化的{percent_text(measures.projection_ratio)}。")
    if not parts:
        parts.append("三种方法口径不同：CAGR看复合增速，序时进度看直线路径，趋势外推看目标年的预计值。")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Narrative of the evaluation reports
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NarrativeIndicator:
    """What the narrative needs to know about one indicator in the evaluated year."""

    code: str
    number: int
    name: str
    unit: str
    kind: str
    direction: int
    binding: bool
    group: str
    department: str
    target: float | None
    target_text: str
    start_value: float | None
    start_year: int | None
    evaluation: Evaluation
    measures: ProgressMeasures
    target_revised_from: float | None = None  # the original target when a revision applies
    decision_reference: str = ""

    @property
    def value_text(self) -> str:
        value = self.evaluation.realised_value
        if self.kind == KIND_GROWTH:
            return f"年均{number_text(value)}%"
        if self.kind == KIND_CUMULATIVE:
            return f"累计{number_text(value)}{self.unit}"
        return f"{number_text(value)}{self.unit}"

    @property
    def target_value_text(self) -> str:
        if self.target is None:
            return self.target_text or "—"
        if self.kind == KIND_GROWTH:
            return f"年均{number_text(self.target)}%"
        if self.kind == KIND_BOUND:
            return f"{'不高于' if self.direction < 0 else '不低于'}{number_text(self.target)}{self.unit}"
        return f"{number_text(self.target)}{self.unit}"


@dataclass
class ReportSection:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"key": self.key, "title": self.title, "paragraphs": list(self.paragraphs)}


def rise_sentence(item: NarrativeIndicator) -> str:
    """成效: what rose (or fell, for lower-is-better) from the start, against 序时进度."""
    evaluation = item.evaluation
    start = item.start_value
    if item.kind == KIND_GROWTH:
        return (f"{item.name}基期以来年均增长{number_text(evaluation.realised_value)}%，"
                f"目标为{item.target_value_text}，{evaluation.status.label}。")
    if item.kind == KIND_CUMULATIVE:
        share = (evaluation.realised_value or 0.0) / item.target if item.target else None
        return (f"{item.name}规划期累计完成{number_text(evaluation.realised_value)}{item.unit}，占目标"
                f"{number_text(item.target)}{item.unit}的{percent_text(share)}，时序进度{percent_text(evaluation.expected_share)}，"
                f"{evaluation.status.label}。")
    if start is None:
        return f"{item.name}{evaluation.year}年为{item.value_text}，目标{item.target_value_text}，{evaluation.status.label}。"
    change = (evaluation.realised_value or 0.0) - start
    verb = ("提高" if item.direction > 0 else "上升") if change >= 0 else "下降"
    return (f"{item.name}由{item.start_year}年的{number_text(start)}{item.unit}{verb}到{evaluation.year}年的"
            f"{item.value_text}，{verb}{number_text(abs(change))}{item.unit}，目标{item.target_value_text}，"
            f"{evaluation.status.label}。")


def lag_sentence(item: NarrativeIndicator) -> str:
    """问题: what lags and by how much against 序时进度."""
    evaluation = item.evaluation
    if item.kind == KIND_BOUND:
        return (f"{item.name}{evaluation.year}年为{item.value_text}，未达到约束值{item.target_value_text}，"
                f"偏离{number_text(abs((evaluation.realised_value or 0.0) - (item.target or 0.0)))}{item.unit}。")
    gap = ""
    if evaluation.expected_value is not None and evaluation.realised_value is not None:
        difference = evaluation.expected_value - evaluation.realised_value
        unit = "个百分点" if item.kind == KIND_GROWTH else item.unit
        gap = f"，低于序时应达值{number_text(evaluation.expected_value)}{'' if item.kind == KIND_GROWTH else item.unit}" \
              f"（差{number_text(abs(difference))}{unit}）"
    return (f"{item.name}{evaluation.year}年为{item.value_text}{gap}，完成进度为序时进度的"
            f"{percent_text(evaluation.ratio)}，{evaluation.status.label}。")


def binding_risk_sentence(item: NarrativeIndicator) -> str:
    """约束性 indicators are red flags whatever the trend: state the risk plainly."""
    evaluation = item.evaluation
    if evaluation.status.off_track:
        return f"约束性指标{lag_sentence(item)}必须确保完成，列为红色预警。"
    return (f"约束性指标{item.name}当前{evaluation.status.label}，但按趋势外推至目标年为"
            f"{number_text(item.measures.projected_value)}{'' if item.kind == KIND_GROWTH else item.unit}，"
            f"存在不能完成的风险，列为红色预警。")


def binding_at_risk(item: NarrativeIndicator) -> bool:
    if not item.binding or item.evaluation.status == Status.NO_DATA:
        return False
    return item.evaluation.status.off_track or Verdict.GOOD not in item.measures.verdicts[1:] or (
        item.measures.verdicts[2] in (Verdict.BEHIND, Verdict.REGRESSING))


def revision_proposal(item: NarrativeIndicator, target_year: int) -> str | None:
    """A proposed target revision for the mid-term report (anticipatory indicators only), or None.

    Proposed when the projection covers less than 60 % of the required change (the target looks out
    of reach) or the target is already exceeded two years or more before the target year.
    """
    if item.binding or item.target is None or item.kind in (KIND_QUALITATIVE, KIND_BOUND):
        return None
    measures = item.measures
    evaluation = item.evaluation
    if (evaluation.status == Status.COMPLETED and target_year - evaluation.year >= 2
            and measures.projected_value is not None):
        proposed = _rounded_target(measures.projected_value)
        return (f"{item.name}已提前完成目标{item.target_value_text}，建议将目标上调至"
                f"{number_text(proposed)}{'%' if item.kind == KIND_GROWTH else item.unit}（按趋势外推值取整）。")
    if measures.projection_ratio is not None and measures.projection_ratio < CAGR_MODERATE \
            and measures.projected_value is not None:
        proposed = _rounded_target(measures.projected_value)
        return (f"{item.name}按趋势外推至{target_year}年为{number_text(measures.projected_value)}，只完成所需变化的"
                f"{percent_text(measures.projection_ratio)}，建议在加大推进力度的同时，研究将目标调整为"
                f"{number_text(proposed)}{'%' if item.kind == KIND_GROWTH else item.unit}，报区人大常委会审议。")
    return None


def _rounded_target(value: float) -> float:
    magnitude = abs(value)
    if magnitude >= 100:
        return float(round(value))
    if magnitude >= 10:
        return round(value, 1)
    return round(value, 2)


def _status_counts_sentence(items: Sequence[NarrativeIndicator]) -> str:
    counts = dict.fromkeys(Status, 0)
    for item in items:
        counts[item.evaluation.status] += 1
    return "、".join(f"{status.label}{counts[status]}项" for status in Status if counts[status])


def group_sentence(group: str, items: Sequence[NarrativeIndicator]) -> str:
    """One generated sentence per group: counts by status and the best and worst indicator."""
    if not items:
        return f"{group}没有纳入评估的指标。"
    rated = [item for item in items if item.evaluation.ratio is not None]
    sentence = f"{group}类{len(items)}项指标中，{_status_counts_sentence(items)}。"
    completed = [item for item in items if item.evaluation.status == Status.COMPLETED]
    if completed:
        sentence += f"{completed[0].name}已完成目标{completed[0].target_value_text}。"
    elif rated:
        best = max(rated, key=lambda item: item.evaluation.ratio or 0.0)
        sentence += f"进度最快的是{best.name}，为序时进度的{percent_text(best.evaluation.ratio)}。"
    lagging = [item for item in rated if item.evaluation.status.off_track]
    if lagging:
        worst = min(lagging, key=lambda item: item.evaluation.ratio or 0.0)
        sentence += f"最慢的是{worst.name}，为序时进度的{percent_text(worst.evaluation.ratio)}。"
    return sentence


def midterm_sections(*, plan_name: str, base_year: int, target_year: int, year: int,
                     items: Sequence[NarrativeIndicator], groups: Sequence[str],
                     revisions: Sequence[str]) -> list[ReportSection]:
    """The mid-term report's generated text: 总体评价, 成效, 问题 (约束性 red flags first),
    目标调整建议, 建议, and one paragraph per group. The planner edits these before export."""
    share = (year - base_year) / (target_year - base_year)
    evaluated = [item for item in items if item.evaluation.status != Status.NO_DATA]
    green = [item for item in evaluated if item.evaluation.status in (Status.COMPLETED, Status.AHEAD,
                                                                      Status.ON_TRACK)]
    off = [item for item in evaluated if item.evaluation.status.off_track]
    binding = [item for item in items if item.binding]
    risks = [item for item in binding if binding_at_risk(item)]
    overall = ReportSection("overall", "一、总体评价", [
        f"{plan_name}实施至{year}年，时序进度为{share * 100:.0f}%。纳入评估的{len(items)}项指标中，"
        f"有数据的{len(evaluated)}项，{_status_counts_sentence(items)}；达到或超过序时进度的{len(green)}项，"
        f"占有数据指标的{percent_text(len(green) / len(evaluated) if evaluated else None)}。"
        f"约束性指标{len(binding)}项，其中{len(risks)}项存在不能完成的风险。",
    ])
    achievements = ReportSection("achievements", "二、主要成效")
    for item in sorted((item for item in green if item not in risks),
                       key=lambda item: (item.evaluation.status, item.number))[:12]:
        achievements.paragraphs.append(rise_sentence(item))
    if not achievements.paragraphs:
        achievements.paragraphs.append("本年度尚无达到序时进度的指标。")
    problems = ReportSection("problems", "三、存在的问题")
    for item in sorted(risks, key=lambda item: item.number):
        problems.paragraphs.append(binding_risk_sentence(item))
    for item in sorted((item for item in off if not item.binding), key=lambda item: (item.evaluation.ratio or 0.0)):
        problems.paragraphs.append(lag_sentence(item))
    missing = [item for item in items if item.evaluation.status == Status.NO_DATA]
    if missing:
        problems.paragraphs.append(
            f"另有{len(missing)}项指标无法评估（{'、'.join(item.name for item in missing[:6])}"
            f"{'等' if len(missing) > 6 else ''}），原因见附录，需责任部门补报数据。")
    if not problems.paragraphs:
        problems.paragraphs.append("所有有数据的指标均达到序时进度。")
    proposals = ReportSection("revisions", "四、目标调整建议")
    for item in items:
        proposal = revision_proposal(item, target_year)
        if proposal:
            proposals.paragraphs.append(proposal)
    for line in revisions:
        proposals.paragraphs.append(line)
    if not proposals.paragraphs:
        proposals.paragraphs.append("各项目标总体可行，暂不建议调整。")
    advice = ReportSection("advice", "五、下一步工作建议")
    by_department: dict[str, list[NarrativeIndicator]] = {}
    for item in off + [item for item in risks if item not in off]:
        by_department.setdefault(item.department or "未明确责任部门", []).append(item)
    for department, department_items in sorted(by_department.items()):
        names = "、".join(item.name for item in department_items)
        advice.paragraphs.append(f"{department}：针对{names}，制定后半程攻坚措施，按季度报送进展。")
    if risks:
        advice.paragraphs.append("约束性指标实行清单化管理，未达序时进度的逐项明确责任人和完成时限，确保规划期末全部完成。")
    if not advice.paragraphs:
        advice.paragraphs.append("保持现有推进力度，按年度做好监测和数据报送。")
    group_section = ReportSection("groups", "六、分组指标情况")
    for group in groups:
        group_section.paragraphs.append(group_sentence(group, [item for item in items if item.group == group]))
    return [overall, achievements, problems, proposals, advice, group_section]


def final_verdict(item: NarrativeIndicator, target_year: int) -> str:
    """met / missed / unknown for the final evaluation (the target year's figures)."""
    evaluation = item.evaluation
    if evaluation.status == Status.NO_DATA:
        return "unknown"
    if evaluation.status == Status.COMPLETED:
        return "met"
    if item.kind == KIND_BOUND and evaluation.year == target_year and item.evaluation.reason == "bound_met":
        return "met"
    if item.kind == KIND_QUALITATIVE:
        return "met" if evaluation.status in (Status.COMPLETED,) else "missed"
    return "missed"


FINAL_VERDICT_LABELS = {"met": "完成", "missed": "未完成", "unknown": "无法判断"}


def final_sentence(item: NarrativeIndicator, target_year: int) -> str:
    verdict = final_verdict(item, target_year)
    evaluation = item.evaluation
    revised = (f"（目标经{item.decision_reference}由{number_text(item.target_revised_from)}调整为"
               f"{number_text(item.target)}）") if item.target_revised_from is not None else ""
    if verdict == "unknown":
        return f"{item.name}：缺少{target_year}年数据，无法判断是否完成目标{item.target_value_text}{revised}。"
    if item.kind == KIND_QUALITATIVE:
        return f"{item.name}：{FINAL_VERDICT_LABELS[verdict]}（填报情况：{evaluation.status.label}）。"
    start = ""
    if item.start_value is not None and item.kind not in (KIND_GROWTH, KIND_CUMULATIVE):
        start = f"由{item.start_year}年的{number_text(item.start_value)}{item.unit}变为"
    if verdict == "met":
        return f"{item.name}：{start}{item.value_text}，目标{item.target_value_text}{revised}，完成。"
    gap = abs((evaluation.realised_value or 0.0) - (item.target or 0.0))
    unit = "个百分点" if item.kind == KIND_GROWTH else item.unit
    return (f"{item.name}：{start}{item.value_text}，目标{item.target_value_text}{revised}，未完成，"
            f"差{number_text(gap)}{unit}。")


def final_sections(*, plan_name: str, base_year: int, target_year: int, items: Sequence[NarrativeIndicator],
                   groups: Sequence[str]) -> list[ReportSection]:
    """The final report's generated text: 总体结论, 目标完成情况 (each target met or missed with the
    whole period's figures), 分组完成情况, 未完成目标原因分析, 经验与建议."""
    verdicts = {item.code: final_verdict(item, target_year) for item in items}
    met = [item for item in items if verdicts[item.code] == "met"]
    missed = [item for item in items if verdicts[item.code] == "missed"]
    unknown = [item for item in items if verdicts[item.code] == "unknown"]
    binding = [item for item in items if item.binding]
    binding_met = [item for item in binding if verdicts[item.code] == "met"]
    conclusion = ReportSection("conclusion", "一、总体结论", [
        f"{plan_name}实施期（{base_year}—{target_year}年）已结束。{len(items)}项指标中，完成目标的{len(met)}项、"
        f"未完成的{len(missed)}项、缺少数据无法判断的{len(unknown)}项，完成率"
        f"{percent_text(len(met) / (len(met) + len(missed)) if met or missed else None)}。"
        f"约束性指标{len(binding)}项，完成{len(binding_met)}项"
        + ("，全部完成。" if binding and len(binding_met) == len(binding) else "。"),
    ])
    targets = ReportSection("targets", "二、目标完成情况")
    for item in sorted(items, key=lambda item: item.number):
        targets.paragraphs.append(final_sentence(item, target_year))
    group_section = ReportSection("groups", "三、分组完成情况")
    for group in groups:
        group_items = [item for item in items if item.group == group]
        group_met = [item for item in group_items if verdicts[item.code] == "met"]
        group_missed = [item for item in group_items if verdicts[item.code] == "missed"]
        sentence = f"{group}类{len(group_items)}项指标完成{len(group_met)}项、未完成{len(group_missed)}项"
        sentence += (f"，未完成的是{'、'.join(item.name for item in group_missed)}。" if group_missed else "。")
        group_section.paragraphs.append(sentence)
    causes = ReportSection("causes", "四、未完成目标原因分析")
    for item in sorted(missed, key=lambda item: (not item.binding, item.number)):
        measures = item.measures
        trend = (f"CAGR口径下实际增速为所需增速的{percent_text(measures.cagr_ratio)}"
                 if measures.cagr_ratio is not None else "")
        schedule = f"完成进度为序时进度的{percent_text(item.evaluation.ratio)}" if item.evaluation.ratio is not None else ""
        detail = "，".join(part for part in (trend, schedule) if part)
        causes.paragraphs.append(f"{'约束性指标' if item.binding else ''}{item.name}未完成"
                                 f"{('：' + detail) if detail else ''}。责任部门：{item.department or '未明确'}。")
    if not causes.paragraphs:
        causes.paragraphs.append("有数据的指标全部完成目标。")
    advice = ReportSection("advice", "五、经验与下一规划期建议")
    if missed:
        advice.paragraphs.append(f"未完成的{len(missed)}项指标纳入下一规划期继续推进，"
                                 "结合本期实际增速重新测算目标，避免目标脱离实际。")
    if unknown:
        advice.paragraphs.append(f"{len(unknown)}项指标缺少期末数据，需建立按年报送制度，明确数据来源部门。")
    advice.paragraphs.append("保留本期监测评估方法（CAGR、序时进度、趋势外推三法对照），作为下一规划期监测的基础。")
    return [conclusion, targets, group_section, causes, advice]


# ---------------------------------------------------------------------------------------------
# Yearly data deadline
# ---------------------------------------------------------------------------------------------

REMINDER_LEAD_DAYS = (30, 7, 1)


def data_deadline_for(data_year: int, month: int, day: int) -> dt.date:
    """The deadline for ``data_year``'s figures: (month, day) of the following year."""
    return dt.date(data_year + 1, month, day)


def reminder_due(today: dt.date, deadline: dt.date, lead_days: Iterable[int] = REMINDER_LEAD_DAYS) -> int | None:
    """The lead (days before the deadline) a reminder is due for today, or None."""
    left = (deadline - today).days
    return left if left in set(lead_days) else None


def data_year_for(today: dt.date, month: int, day: int) -> int:
    """The data year whose deadline comes next: last year's figures until this year's deadline."""
    deadline = dt.date(today.year, month, day)
    return today.year - 1 if today <= deadline else today.year


def values_by_year(observations: Mapping[int, float], years: Iterable[int]) -> dict[int, float]:
    return {year: observations[year] for year in years if year in observations}
