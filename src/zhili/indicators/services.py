"""Writes of the indicators app. Each service is one transaction and ends with its audit record."""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from zhili.accounts.roles import Role
from zhili.audit.services import audit_record_append
from zhili.core import clock
from zhili.core.errors import ApplicationError
from zhili.indicators.contracts import ObservationInput
from zhili.indicators.files.plan_workbook import parse_plan_workbook
from zhili.indicators.models import (
    Attribute,
    Direction,
    DraftStatus,
    EvaluationReport,
    GrowthInput,
    Indicator,
    IndicatorDraft,
    IndicatorGroup,
    IndicatorKind,
    Observation,
    Plan,
    QualitativeStatus,
    ReportStage,
    ReportStatus,
    TargetRevision,
)
from zhili.indicators.platform_metrics import platform_metric_get
from zhili.indicators.rules import data_deadline_for, data_year_for, reminder_due
from zhili.indicators.selectors import missing_data_by_department, report_sections_generated
from zhili.textintel.targets import extract_targets

if TYPE_CHECKING:
    from zhili.accounts.models import User

logger = logging.getLogger(__name__)

ATTRIBUTE_BY_LABEL = {"预期性": Attribute.ANTICIPATORY, "约束性": Attribute.BINDING}


def _actor_fields(actor: User | None) -> dict[str, Any]:
    if actor is None:
        return {"actor_id": None, "actor_label": "系统"}
    return {"actor_id": actor.pk, "actor_label": str(actor)}


# ---------------------------------------------------------------------------------------------
# Plans and indicators
# ---------------------------------------------------------------------------------------------

def _validate_indicator_fields(*, kind: str, direction: str, target_value: float | None) -> None:
    if kind not in IndicatorKind.values:
        raise ApplicationError("indicator_kind_invalid", _("指标类型“%(kind)s”无效。") % {"kind": kind})
    if direction not in Direction.values:
        raise ApplicationError("indicator_direction_invalid", _("指标方向“%(direction)s”无效。") % {"direction": direction})
    if kind == IndicatorKind.CUMULATIVE and direction == Direction.LOWER:
        raise ApplicationError(
            "indicator_cumulative_lower",
            _("规划期累计指标只支持“越高越好”。总量控制类指标请改为“逐年约束”类型。"),
        )
    if target_value is not None and not math.isfinite(target_value):
        raise ApplicationError("indicator_target_invalid", _("目标值不是有效数字。"))


@transaction.atomic
def plan_create_from_definition(*, definition: dict[str, Any], actor: User | None = None,
                                scope_area_id: int | None = None) -> Plan:
    """Create (or refresh, idempotently by plan code and indicator code) a plan from a definition.

    ``definition`` has the shape of ``indicators/data/tianning_14th.json``: ``plan``, ``groups`` and
    ``indicators``. Existing observations are kept.
    """
    plan_data = definition["plan"]
    plan, _created = Plan.objects.update_or_create(
        code=plan_data["code"],
        defaults={
            "name": plan_data["name"], "short_name": plan_data.get("short_name", ""),
            "base_year": plan_data["base_year"], "target_year": plan_data["target_year"],
            "source": plan_data.get("source", ""), "scope_area_id": scope_area_id,
        },
    )
    groups: dict[str, IndicatorGroup] = {}
    for position, name in enumerate(definition["groups"], start=1):
        groups[name], _group_created = IndicatorGroup.objects.update_or_create(
            plan=plan, name=name, defaults={"position": position},
        )
    for item in definition["indicators"]:
        _validate_indicator_fields(kind=item["kind"], direction=item["direction"], target_value=item["target_value"])
        Indicator.objects.update_or_create(
            plan=plan, code=item["code"],
            defaults={
                "group": groups[item["group"]], "number": item["number"], "name": item["name"],
                "unit": item["unit"], "observation_unit": item.get("observation_unit", "") or item["unit"],
                "attribute": ATTRIBUTE_BY_LABEL.get(item["attribute"], item["attribute"]),
                "kind": item["kind"], "direction": item["direction"],
                "growth_input": item.get("growth_input", ""),
                "baseline_value": item.get("baseline_value"), "baseline_year": item.get("baseline_year"),
                "baseline_quote": item.get("baseline_quote", ""), "target_value": item["target_value"],
                "target_text": item.get("target_text", ""), "notes": item.get("notes", ""),
                "source_department": item.get("source_department", ""),
                "platform_metric": item.get("platform_metric", ""),
            },
        )
    audit_record_append(
        **_actor_fields(actor), action="indicator.plan_load", object_type="indicators.Plan", object_id=plan.pk,
        data={"code": plan.code, "indicators": len(definition["indicators"])},
    )
    return plan


@transaction.atomic
def indicator_bind_platform_metric(*, indicator: Indicator, metric_name: str, actor: User | None) -> Indicator:
    """Bind ``indicator`` to a registered platform metric ("" unbinds)."""
    if metric_name and platform_metric_get(metric_name) is None:
        raise ApplicationError(
            "platform_metric_unknown",
            _("平台数据指标“%(name)s”未注册。请从列表中选择已有的平台指标。") % {"name": metric_name},
        )
    indicator.platform_metric = metric_name
    indicator.save(update_fields=["platform_metric"])
    audit_record_append(
        **_actor_fields(actor), action="indicator.bind_platform_metric", object_type="indicators.Indicator",
        object_id=indicator.pk, data={"metric": metric_name},
    )
    return indicator


# ---------------------------------------------------------------------------------------------
# Observations
# ---------------------------------------------------------------------------------------------

@dataclass
class ObservationWriteResult:
    created: int = 0  # first value for (indicator, year, quarter)
    revised: int = 0  # a new revision of an existing value
    unchanged: int = 0
    observation_ids: list[int] = field(default_factory=list)


def _check_observation(indicator: Indicator, item: ObservationInput) -> None:
    plan = indicator.plan
    if not plan.base_year <= item.year <= plan.target_year:
        raise ApplicationError(
            "observation_year_outside_plan",
            _("年份%(year)s不在规划期（%(base)s—%(target)s年）内。请填写规划期内的年份。")
            % {"year": item.year, "base": plan.base_year, "target": plan.target_year},
        )
    if not 0 <= item.quarter <= 4:
        raise ApplicationError("observation_quarter_invalid", _("季度只能是1—4（全年填0）。"))
    if indicator.kind == IndicatorKind.QUALITATIVE:
        if item.qualitative_status not in QualitativeStatus.values:
            raise ApplicationError(
                "observation_qualitative_required",
                _("定性指标“%(name)s”请选择完成情况（已完成/符合序时/滞后/严重滞后）并附佐证说明。")
                % {"name": indicator.name},
            )
    elif item.value is None or not math.isfinite(item.value):
        raise ApplicationError(
            "observation_value_required", _("指标“%(name)s”需要填写数值。") % {"name": indicator.name},
        )


def _write_observations(items: Sequence[ObservationInput], indicators: dict[int, Indicator],
                        actor: User | None) -> ObservationWriteResult:
    result = ObservationWriteResult()
    keys = {(item.indicator_id, item.year, item.quarter) for item in items}
    latest: dict[tuple[int, int, int], Observation] = {}
    existing = Observation.objects.filter(
        indicator_id__in={key[0] for key in keys}, year__in={key[1] for key in keys},
    ).order_by("revision")
    for row in existing:
        latest[(row.indicator_id, row.year, row.quarter)] = row
    now = clock.now()
    for item in items:
        _check_observation(indicators[item.indicator_id], item)
        key = (item.indicator_id, item.year, item.quarter)
        previous = latest.get(key)
        if (previous is not None and previous.value == item.value
                and previous.qualitative_status == item.qualitative_status):
            result.unchanged += 1
            continue
        row = Observation.objects.create(
            indicator_id=item.indicator_id, year=item.year, quarter=item.quarter,
            revision=(previous.revision + 1) if previous else 1, value=item.value,
            qualitative_status=item.qualitative_status, source=item.source, evidence=item.evidence,
            note=item.note, entered_by=actor, entered_at=now,
        )
        latest[key] = row
        result.observation_ids.append(row.pk)
        if previous is None:
            result.created += 1
        else:
            result.revised += 1
    return result


@transaction.atomic
def observation_record(*, indicator: Indicator, year: int, value: float | None = None, quarter: int = 0,
                       qualitative_status: str = "", source: str = "", evidence: str = "", note: str = "",
                       actor: User | None) -> ObservationWriteResult:
    """Record one value. An equal value is not stored again; a different one becomes a new revision."""
    item = ObservationInput(indicator_id=indicator.pk, year=year, value=value, quarter=quarter,
                            qualitative_status=qualitative_status, source=source, evidence=evidence, note=note)
    result = _write_observations([item], {indicator.pk: indicator}, actor)
    audit_record_append(
        **_actor_fields(actor), action="indicator.observation_record", object_type="indicators.Indicator",
        object_id=indicator.pk,
        data={"year": year, "quarter": quarter, "value": value, "qualitative_status": qualitative_status,
              "created": result.created, "revised": result.revised},
    )
    return result


@transaction.atomic
def observations_record_many(*, plan: Plan, items: Sequence[ObservationInput], actor: User | None,
                             action: str = "indicator.observations_import",
                             audit_data: dict[str, Any] | None = None) -> ObservationWriteResult:
    """Record many values at once (all or nothing)."""
    indicators = {indicator.pk: indicator for indicator in plan.indicators.select_related("plan")}
    unknown = [item.indicator_id for item in items if item.indicator_id not in indicators]
    if unknown:
        raise ApplicationError("observation_indicator_unknown", _("有观测值不属于该规划的指标，已全部拒绝。"))
    result = _write_observations(items, indicators, actor)
    audit_record_append(
        **_actor_fields(actor), action=action, object_type="indicators.Plan", object_id=plan.pk,
        data={**(audit_data or {}), "created": result.created, "revised": result.revised,
              "unchanged": result.unchanged},
    )
    return result


@transaction.atomic
def observations_fill_from_platform(*, year: int, actor: User | None = None) -> ObservationWriteResult:
    """Fill the ``year`` observation of every indicator bound to a platform metric.

    Metrics returning None (no data yet) are skipped; years outside a plan are skipped.
    """
    total = ObservationWriteResult()
    for indicator in Indicator.objects.exclude(platform_metric="").select_related("plan"):
        metric = platform_metric_get(indicator.platform_metric)
        plan = indicator.plan
        if metric is None or not plan.base_year <= year <= plan.target_year:
            continue
        value = metric.compute(year)
        if value is None or not math.isfinite(value):
            continue
        item = ObservationInput(indicator_id=indicator.pk, year=year, value=round(float(value), 4),
                                source=_("平台数据：%(label)s") % {"label": metric.label},
                                note=_("由平台自动填报"))
        result = _write_observations([item], {indicator.pk: indicator}, actor)
        total.created += result.created
        total.revised += result.revised
        total.unchanged += result.unchanged
        total.observation_ids.extend(result.observation_ids)
    audit_record_append(
        **_actor_fields(actor), action="indicator.observations_fill_platform", object_type="indicators.Plan",
        object_id="*", data={"year": year, "created": total.created, "revised": total.revised},
    )
    return total


# ---------------------------------------------------------------------------------------------
# Indicator tables pasted from a document
# ---------------------------------------------------------------------------------------------

_KIND_HINTS: tuple[tuple[str, IndicatorKind], ...] = (
    ("年均增", IndicatorKind.GROWTH), ("增速", IndicatorKind.GROWTH), ("累计", IndicatorKind.CUMULATIVE),
    ("新增", IndicatorKind.CUMULATIVE), ("每年", IndicatorKind.BOUND), ("比重", IndicatorKind.SHARE),
    ("比例", IndicatorKind.SHARE), ("比率", IndicatorKind.SHARE), ("覆盖率", IndicatorKind.SHARE),
    ("达标率", IndicatorKind.SHARE), ("完成率", IndicatorKind.SHARE),
)
_LOWER_HINTS = ("失业率", "浓度", "死亡率", "排放", "能耗")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


def indicator_kind_guess(name: str, target_text: str) -> tuple[IndicatorKind, Direction]:
    """A first guess of kind and direction from the indicator's name (the planner reviews it)."""
    if target_text and not _NUMBER.match(target_text.replace(",", "")):
        return IndicatorKind.QUALITATIVE, Direction.HIGHER
    direction = Direction.LOWER if any(hint in name for hint in _LOWER_HINTS) else Direction.HIGHER
    if "降低" in name:
        return IndicatorKind.BOUND, Direction.HIGHER
    if direction == Direction.LOWER:
        return IndicatorKind.BOUND, direction
    for hint, kind in _KIND_HINTS:
        if hint in name:
            return kind, direction
    return IndicatorKind.LEVEL, direction


@dataclass(frozen=True)
class PastedIndicator:
    line_number: int
    group: str
    number: int
    name: str
    unit: str
    attribute: str
    target_text: str
    target_value: float | None


@dataclass(frozen=True)
class PasteProblem:
    line_number: int
    text: str
    problem: str
    action: str


def pasted_table_parse(text: str) -> tuple[list[PastedIndicator], list[PasteProblem]]:
    """Parse an indicator table copied from Word/Excel/PDF: cells separated by tabs or 2+ spaces.

    Rows are ``[分组] 序号 指标名称 单位 属性 目标值``; a row whose first cell is not a number
    starts a new group (its first cell); a header row (containing 指标名称) is skipped.
    """
    rows: list[PastedIndicator] = []
    problems: list[PasteProblem] = []
    group = ""
    for line_number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.strip()
        if not line or "指标名称" in line:
            continue
        cells = [cell.strip() for cell in re.split(r"\t+|\s{2,}|　+", line) if cell.strip()]
        if cells and not cells[0].isdigit() and len(cells) >= 6:
            group, cells = cells[0], cells[1:]
        elif len(cells) == 1 and not re.match(r"^\d", cells[0]) and not re.search(r"\s", cells[0]):
            group = cells[0]
            continue
        if len(cells) < 5 or not cells[0].isdigit():
            problems.append(PasteProblem(
                line_number, raw, _("无法识别为指标行（应为：序号、指标名称、单位、属性、目标值，用制表符或两个以上空格分隔）"),
                _("请检查该行是否缺少单元格，或单元格之间只用了一个空格"),
            ))
            continue
        number, name, unit, attribute, target_text = cells[0], cells[1], cells[2], cells[3], cells[-1]
        if attribute not in ATTRIBUTE_BY_LABEL:
            problems.append(PasteProblem(line_number, raw, _("属性“%(value)s”无效") % {"value": attribute},
                                         _("属性只能是“预期性”或“约束性”")))
            continue
        cleaned = target_text.replace(",", "").replace("，", "")
        target_value = float(cleaned) if _NUMBER.match(cleaned) else None
        rows.append(PastedIndicator(line_number, group or _("未分组"), int(number), name, unit, attribute,
                                    target_text, target_value))
    numbers = [row.number for row in rows]
    for row in rows:
        if numbers.count(row.number) > 1:
            problems.append(PasteProblem(row.line_number, row.name, _("序号%(number)s重复") % {"number": row.number},
                                         _("请确认每个指标的序号唯一")))
    return rows, problems


@transaction.atomic
def indicators_import_pasted(*, plan: Plan, text: str, actor: User | None) -> list[Indicator]:
    """Create indicators from a pasted table (all or nothing); kinds are guessed for review."""
    rows, problems = pasted_table_parse(text)
    if problems or not rows:
        raise ApplicationError(
            "indicator_paste_invalid",
            _("粘贴的指标表有%(count)s处问题，未导入任何指标。请按提示修改后重新粘贴。") % {"count": len(problems) or 1},
            details={"problems": [problem.__dict__ for problem in problems] or [
                {"line_number": 0, "text": "", "problem": _("没有识别到任何指标行"),
                 "action": _("请粘贴含“序号、指标名称、单位、属性、目标值”的表格")}]},
        )
    existing_codes = set(plan.indicators.values_list("code", flat=True))
    created: list[Indicator] = []
    position = plan.groups.count()
    for row in rows:
        group, group_created = IndicatorGroup.objects.get_or_create(plan=plan, name=row.group,
                                                                    defaults={"position": position + 1})
        if group_created:
            position += 1
        code = f"P{row.number:02d}"
        suffix = 1
        while code in existing_codes:
            suffix += 1
            code = f"P{row.number:02d}-{suffix}"
        existing_codes.add(code)
        kind, direction = indicator_kind_guess(row.name, row.target_text)
        created.append(Indicator.objects.create(
            plan=plan, group=group, code=code, number=row.number, name=row.name, unit=row.unit,
            observation_unit=row.unit, attribute=ATTRIBUTE_BY_LABEL[row.attribute], kind=kind, direction=direction,
            growth_input=GrowthInput.RATE if kind == IndicatorKind.GROWTH else "",
            target_value=row.target_value if kind != IndicatorKind.QUALITATIVE else None,
            target_text=row.target_text, notes=_("由粘贴的指标表导入，类型为系统推断，请核对"),
        ))
    audit_record_append(
        **_actor_fields(actor), action="indicator.import_pasted", object_type="indicators.Plan", object_id=plan.pk,
        data={"created": [indicator.code for indicator in created]},
    )
    return created


# ---------------------------------------------------------------------------------------------
# Drafts from a plan document (target extraction)
# ---------------------------------------------------------------------------------------------

TargetExtractor = Callable[[str], Iterable[Any]]


def _default_extractor() -> TargetExtractor:

    return extract_targets


def _target_field(target: Any, name: str) -> Any:
    if isinstance(target, dict):
        return target.get(name)
    return getattr(target, name, None)


@transaction.atomic
def indicator_drafts_create_from_document(*, plan: Plan, text: str, actor: User | None,
                                          extractor: TargetExtractor | None = None) -> list[IndicatorDraft]:
    """Propose draft indicators from the quantified targets of a plan document.

    Only forward-looking targets (kind "target") become drafts; reported achievements are skipped.
    Drafts wait for the planner to accept or reject them.
    """
    if not text.strip():
        raise ApplicationError("draft_document_empty", _("文档内容为空。请粘贴规划文本或上传文本文件。"))
    extract = extractor or _default_extractor()
    drafts: list[IndicatorDraft] = []
    seen: set[tuple[str, str]] = set()
    for target in extract(text):
        if (_target_field(target, "kind") or "target") != "target":
            continue
        subject = str(_target_field(target, "subject") or "").strip()[:120]
        raw_value = _target_field(target, "value")
        value = raw_value[-1] if isinstance(raw_value, list | tuple) and raw_value else raw_value
        if not subject or value is None:
            continue
        unit = str(_target_field(target, "unit") or "")
        key = (subject, f"{value}{unit}")
        if key in seen:
            continue
        seen.add(key)
        kind, direction = indicator_kind_guess(subject, str(value))
        op = str(_target_field(target, "op") or "=")
        if op in ("<=", "<", "≤"):
            kind, direction = IndicatorKind.BOUND, Direction.LOWER
        elif op in (">=", "≥") and kind == IndicatorKind.LEVEL and "每年" in subject:
            kind = IndicatorKind.BOUND
        drafts.append(IndicatorDraft.objects.create(
            plan=plan, quote=str(_target_field(target, "quote") or subject)[:2000], name=subject, unit=unit[:30],
            kind=kind, direction=direction, target_value=float(value), target_text=f"{op}{value}{unit}"[:200],
        ))
    audit_record_append(
        **_actor_fields(actor), action="indicator.drafts_extract", object_type="indicators.Plan", object_id=plan.pk,
        data={"drafts": len(drafts)},
    )
    return drafts


@transaction.atomic
def indicator_draft_accept(*, draft: IndicatorDraft, actor: User | None, name: str | None = None,
                           kind: str | None = None, direction: str | None = None, group_name: str = "",
                           attribute: str = Attribute.ANTICIPATORY) -> Indicator:
    """Turn a pending draft into an indicator of its plan (with the planner's corrections)."""
    if draft.status != DraftStatus.PENDING:
        raise ApplicationError("draft_not_pending", _("该草稿已处理过（%(status)s），不能再次采纳。")
                               % {"status": draft.get_status_display()})
    final_kind = kind or draft.kind
    final_direction = direction or draft.direction
    _validate_indicator_fields(kind=final_kind, direction=final_direction, target_value=draft.target_value)
    plan = draft.plan
    group, _created = IndicatorGroup.objects.get_or_create(
        plan=plan, name=group_name or draft.group_name or _("待归类"), defaults={"position": plan.groups.count() + 1},
    )
    number = (plan.indicators.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    indicator = Indicator.objects.create(
        plan=plan, group=group, code=f"D{draft.pk:03d}", number=number, name=name or draft.name, unit=draft.unit,
        observation_unit=draft.unit, attribute=attribute, kind=final_kind, direction=final_direction,
        growth_input=GrowthInput.RATE if final_kind == IndicatorKind.GROWTH else "",
        target_value=draft.target_value if final_kind != IndicatorKind.QUALITATIVE else None,
        target_text=draft.target_text, notes=_("由规划文本目标抽取生成。原文：%(quote)s") % {"quote": draft.quote[:300]},
    )
    draft.status = DraftStatus.ACCEPTED
    draft.indicator = indicator
    draft.save(update_fields=["status", "indicator"])
    audit_record_append(
        **_actor_fields(actor), action="indicator.draft_accept", object_type="indicators.IndicatorDraft",
        object_id=draft.pk, data={"indicator": indicator.pk},
    )
    return indicator


@transaction.atomic
def indicator_draft_reject(*, draft: IndicatorDraft, actor: User | None) -> IndicatorDraft:
    if draft.status != DraftStatus.PENDING:
        raise ApplicationError("draft_not_pending", _("该草稿已处理过（%(status)s）。")
                               % {"status": draft.get_status_display()})
    draft.status = DraftStatus.REJECTED
    draft.save(update_fields=["status"])
    audit_record_append(
        **_actor_fields(actor), action="indicator.draft_reject", object_type="indicators.IndicatorDraft",
        object_id=draft.pk,
    )
    return draft


# ---------------------------------------------------------------------------------------------
# The .xlsx template
# ---------------------------------------------------------------------------------------------

@dataclass
class WorkbookImportResult:
    observations: ObservationWriteResult
    indicators_updated: int
    conversions: list[str]


@transaction.atomic
def plan_workbook_import(*, plan: Plan, stream: IO[bytes], actor: User | None,
                         file_name: str = "", confirm_warnings: bool = False) -> WorkbookImportResult:
    """Import a filled-in template (.xlsx or .xls): all or nothing.

    Any problem (non-numeric cell, unknown code, unit that does not convert, year outside the plan …)
    refuses the whole file with ``details["problems"]``: one entry per cell (sheet, cell, problem,
    action). A value an order of magnitude away from the year before (``JUMP_FACTOR``) is a warning:
    the file is refused with ``details["warnings"]`` until a person confirms (``confirm_warnings``).
    Decimal commas and thousands separators are read by the unit and the row's history, and each
    reading that mattered is listed in the result's conversions. Blank cells change nothing; a
    changed value becomes a new revision.
    """

    parsed = parse_plan_workbook(plan, stream, file_name=file_name)
    if parsed.problems:
        raise ApplicationError(
            "workbook_invalid",
            _("文件中有%(count)s处问题，未导入任何数据。请按下表逐项修改后重新上传。") % {"count": len(parsed.problems)},
            details={"problems": [problem.as_dict() for problem in parsed.problems]},
        )
    if parsed.warnings and not confirm_warnings:
        raise ApplicationError(
            "workbook_needs_confirmation",
            _("有%(count)s个数值与上一年相比出现数量级跳变，未导入任何数据。请逐项核对；确认无误后勾选“确认数值跳变”重新上传。")
            % {"count": len(parsed.warnings)},
            details={"problems": [], "warnings": [warning.as_dict() for warning in parsed.warnings],
                     "conversions": parsed.conversions},
        )
    for update in parsed.indicator_updates:
        Indicator.objects.filter(pk=update.indicator_id, plan=plan).update(
            baseline_value=update.baseline_value, source_department=update.source_department,
            baseline_year=plan.base_year if update.baseline_value is not None else None,
        )
    result = observations_record_many(
        plan=plan, items=parsed.observations, actor=actor, action="indicator.workbook_import",
        audit_data={"file": file_name, "indicators_updated": len(parsed.indicator_updates),
                    "conversions": parsed.conversions,
                    "confirmed_warnings": [warning.as_dict() for warning in parsed.warnings]},
    )
    return WorkbookImportResult(observations=result, indicators_updated=len(parsed.indicator_updates),
                                conversions=parsed.conversions)


# ---------------------------------------------------------------------------------------------
# Target revisions (e.g. the mid-term adjustment), with history
# ---------------------------------------------------------------------------------------------

@transaction.atomic
def target_revision_record(*, indicator: Indicator, target_value: float | None, effective_from_year: int,
                           decision_reference: str, actor: User | None, target_text: str = "",
                           reason: str = "") -> TargetRevision:
    """Record a decided change of ``indicator``'s target, applying from ``effective_from_year`` on.

    The indicator's original target stays as the plan stated it; evaluations of earlier years keep
    the target in force then. Refused without a decision reference (文号), with a non-numeric target
    for a quantitative indicator, or with a year outside the plan.
    """
    plan = indicator.plan
    reference = decision_reference.strip()
    if not reference:
        raise ApplicationError(
            "target_revision_reference_required",
            _("调整目标须填写决定文号（如“天人发〔2023〕12号”或区人大常委会决议名称），未保存任何调整。"),
        )
    if not plan.base_year < effective_from_year <= plan.target_year:
        raise ApplicationError(
            "target_revision_year_invalid",
            _("起始适用年份%(year)s不在规划期（%(base)s—%(target)s年）内，未保存。请填写%(first)s—%(target)s之间的年份。")
            % {"year": effective_from_year, "base": plan.base_year, "target": plan.target_year,
               "first": plan.base_year + 1},
        )
    if indicator.kind != IndicatorKind.QUALITATIVE and (target_value is None or not math.isfinite(target_value)):
        raise ApplicationError("target_revision_value_required", _("请填写调整后的目标值（数字），未保存任何调整。"))
    if indicator.kind == IndicatorKind.CUMULATIVE and target_value is not None and target_value <= 0:
        raise ApplicationError("target_revision_value_invalid", _("累计类指标的目标总量应大于0，未保存。"))
    latest = TargetRevision.objects.select_for_update().filter(indicator=indicator).order_by("-revision").first()
    previous = latest.target_value if latest is not None else indicator.target_value
    revision = TargetRevision.objects.create(
        indicator=indicator, revision=(latest.revision + 1) if latest else 1, previous_value=previous,
        target_value=target_value, target_text=target_text.strip()[:200], effective_from_year=effective_from_year,
        decision_reference=reference[:200], reason=reason.strip(), decided_by=actor, decided_at=clock.now(),
    )
    audit_record_append(
        **_actor_fields(actor), action="indicator.target_revise", object_type="indicators.Indicator",
        object_id=indicator.pk,
        data={"revision": revision.revision, "from": previous, "to": target_value,
              "effective_from_year": effective_from_year, "decision_reference": revision.decision_reference},
    )
    return revision


# ---------------------------------------------------------------------------------------------
# Evaluation reports: generated narrative, edited by the planner, issued, versioned
# ---------------------------------------------------------------------------------------------

MAX_PARAGRAPH_LENGTH = 2000


def _report_stage_check(plan: Plan, stage: str, year: int) -> None:
    if stage not in ReportStage.values:
        raise ApplicationError("report_stage_invalid", _("评估阶段只能是中期评估或末期评估。"))
    if year not in plan.years:
        raise ApplicationError("report_year_invalid", _("评估年份%(year)s不在规划期内。") % {"year": year})


def _next_version(plan: Plan, stage: str, year: int) -> int:
    latest = (EvaluationReport.objects.select_for_update().filter(plan=plan, stage=stage, year=year)
              .order_by("-version").first())
    return (latest.version + 1) if latest else 1


@transaction.atomic
def evaluation_report_generate(*, plan: Plan, stage: str, year: int, actor: User | None) -> EvaluationReport:
    """A new draft version whose narrative is generated from the current figures (earlier versions stay)."""

    _report_stage_check(plan, stage, year)
    now = clock.now()
    report = EvaluationReport.objects.create(
        plan=plan, stage=stage, year=year, version=_next_version(plan, stage, year),
        sections=report_sections_generated(plan, stage, year), created_by=actor, created_at=now, edited_at=now,
    )
    audit_record_append(
        **_actor_fields(actor), action="indicator.report_generate", object_type="indicators.EvaluationReport",
        object_id=report.pk, data={"plan": plan.code, "stage": stage, "year": year, "version": report.version},
    )
    return report


@dataclass(frozen=True)
class ReportEditResult:
    report: EvaluationReport
    new_version: bool  # the edited report was issued: the edit became the next version


def _edited_sections(sections: list[dict[str, Any]], texts: dict[str, str]) -> list[dict[str, Any]]:
    edited = []
    for section in sections:
        key = str(section["key"])
        paragraphs = list(section.get("paragraphs", []))
        if key in texts:
            paragraphs = [line.strip() for line in texts[key].replace("\r\n", "\n").split("\n") if line.strip()]
            if not paragraphs:
                raise ApplicationError(
                    "report_section_empty",
                    _("“%(title)s”不能为空。请至少保留一段文字，未保存任何修改。") % {"title": section["title"]},
                )
            too_long = [line for line in paragraphs if len(line) > MAX_PARAGRAPH_LENGTH]
            if too_long:
                raise ApplicationError(
                    "report_paragraph_too_long",
                    _("“%(title)s”中有段落超过%(limit)s字，请拆分成几段，未保存任何修改。")
                    % {"title": section["title"], "limit": MAX_PARAGRAPH_LENGTH},
                )
        edited.append({"key": key, "title": section["title"], "paragraphs": paragraphs})
    return edited


@transaction.atomic
def evaluation_report_edit(*, report: EvaluationReport, texts: dict[str, str], actor: User | None) -> ReportEditResult:
    """Save the planner's edits of the narrative (section key → text, one paragraph per line).

    A draft is changed in place. An issued report is never changed: the edits become a new draft
    version based on it, and the issued one is kept as it was.
    """
    report = EvaluationReport.objects.select_for_update().get(pk=report.pk)
    sections = _edited_sections(list(report.sections), texts)
    now = clock.now()
    if report.status == ReportStatus.ISSUED:
        edited = EvaluationReport.objects.create(
            plan=report.plan, stage=report.stage, year=report.year,
            version=_next_version(report.plan, report.stage, report.year), sections=sections, based_on=report,
            created_by=actor, created_at=now, edited_at=now,
        )
        new_version = True
    else:
        report.sections = sections
        report.edited_at = now
        report.save(update_fields=["sections", "edited_at"])
        edited, new_version = report, False
    audit_record_append(
        **_actor_fields(actor), action="indicator.report_edit", object_type="indicators.EvaluationReport",
        object_id=edited.pk, data={"version": edited.version, "new_version": new_version,
                                   "based_on": report.pk if new_version else None, "sections": sorted(texts)},
    )
    return ReportEditResult(report=edited, new_version=new_version)


@transaction.atomic
def evaluation_report_issue(*, report: EvaluationReport, actor: User | None) -> EvaluationReport:
    """Issue (印发) a draft version: from then on it is never changed."""
    report = EvaluationReport.objects.select_for_update().get(pk=report.pk)
    if report.status == ReportStatus.ISSUED:
        raise ApplicationError("report_already_issued", _("第%(version)s版已印发，不能重复印发。")
                               % {"version": report.version})
    report.status = ReportStatus.ISSUED
    report.issued_by = actor
    report.issued_at = clock.now()
    report.save(update_fields=["status", "issued_by", "issued_at"])
    audit_record_append(
        **_actor_fields(actor), action="indicator.report_issue", object_type="indicators.EvaluationReport",
        object_id=report.pk, data={"plan": report.plan.code, "stage": report.stage, "year": report.year,
                                   "version": report.version},
    )
    return report


# ---------------------------------------------------------------------------------------------
# Reminders before the yearly data deadline
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReminderSent:
    plan_code: str
    data_year: int
    days_left: int
    departments: int
    recipients: int


def indicator_data_reminders_send(*, today: dt.date | None = None) -> list[ReminderSent]:
    """On the reminder days before each plan's yearly data deadline (30, 7 and 1 days), e-mail the
    planners the departments that still have indicators without a value, and record it."""


    today = today or clock.today()
    sent: list[ReminderSent] = []
    recipients = list(get_user_model().objects.filter(role=Role.PLANNER, is_active=True).exclude(email="")
                      .values_list("email", flat=True))
    for plan in Plan.objects.order_by("code"):
        data_year = data_year_for(today, plan.data_deadline_month, plan.data_deadline_day)
        deadline = data_deadline_for(data_year, plan.data_deadline_month, plan.data_deadline_day)
        days_left = reminder_due(today, deadline)
        if days_left is None:
            continue
        missing = missing_data_by_department(plan, data_year)
        if not missing:
            continue
        lines = [f"{item.department}：{'、'.join(item.indicator_names)}" for item in missing]
        subject = _("【数据报送提醒】%(plan)s %(year)s年度数据将于%(deadline)s截止（还有%(days)s天）") % {
            "plan": plan, "year": data_year, "deadline": deadline.isoformat(), "days": days_left}
        with transaction.atomic():
            audit_record_append(
                actor_id=None, actor_label="系统", action="indicator.data_reminder", object_type="indicators.Plan",
                object_id=plan.pk, data={"data_year": data_year, "deadline": deadline.isoformat(),
                                         "days_left": days_left, "departments": [item.department for item in missing]},
            )
        if recipients:
            try:
                send_mail(subject, "\n".join(lines), None, recipients, fail_silently=False)
            except OSError:  # the mail server is down: the reminder stays recorded, the next one still goes
                logger.warning("data reminder for plan %s could not be mailed", plan.code, exc_info=True)
        sent.append(ReminderSent(plan_code=plan.code, data_year=data_year, days_left=days_left,
                                 departments=len(missing), recipients=len(recipients)))
    return sent
