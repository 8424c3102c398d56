"""Writes of the projects app: the library, nodes, plans, monthly reports, the 入库 list, lights, problems.

Each service is one transaction with its audit record last. Imports are all-or-nothing: every row is
checked first, and nothing is written unless every row passed (the report names row and column).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.audit.services import audit_record_append
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.cases.services.lifecycle import case_transition
from zhili.cases.services.transition_handlers import TransitionDetails
from zhili.cases.states import CaseAction
from zhili.core import clock
from zhili.core.credit_code import credit_code_check
from zhili.core.encryption import personal_decrypt, personal_encrypt
from zhili.core.errors import ApplicationError, NotFoundError
from zhili.core.personal_data import phone_digits, phone_mask
from zhili.geo.coordinates import COORDINATE_SYSTEMS, to_wgs84
from zhili.geo.models import Department, Matter
from zhili.geo.selectors import grid_for_point
from zhili.geo.services import MatterInput, matters_register
from zhili.projects import files, rules, selectors
from zhili.projects.contracts import ImportReport, RowProblem
from zhili.projects.files import SheetRow
from zhili.projects.models import (
    LifecycleChain,
    LightRuleSet,
    MonthlyReport,
    ProblemKind,
    Project,
    ProjectKind,
    ProjectLevel,
    ProjectNode,
    ProjectProblem,
    StatisticsFigure,
    StatisticsState,
    YearPlan,
)

MAX_AMOUNT = 100_000_000.0  # 万元: a trillion yuan, far beyond any district project
DEFAULT_CHAIN = "four_certificates"

# 问题清单 matters: the category the cases are counted under and each kind's working-day limit
PROBLEM_CATEGORY = ("XMWT", "项目问题")
PROBLEM_LIMIT_DAYS: dict[str, int] = {
    ProblemKind.LAND: 10, ProblemKind.POWER: 5, ProblemKind.APPROVAL: 5, ProblemKind.DEMOLITION: 15,
    ProblemKind.FINANCING: 10, ProblemKind.OTHER: 5,
}
PROJECT_OFFICE_DEPARTMENT = ("FGJ", "区发改局")


def _audit(actor: User | None, action: str, object_type: str, object_id: int | str, data: dict[str, Any]) -> None:
    audit_record_append(actor_id=actor.pk if actor else None, actor_label=str(actor) if actor else "system",
                        action=action, object_type=object_type, object_id=object_id, data=data)


# ---------------------------------------------------------------- chains and rules


def chain_get_or_create(code: str = DEFAULT_CHAIN) -> LifecycleChain:
    """The chain ``code``; a preset (四证/五证) is created on first use."""
    chain = LifecycleChain.objects.filter(code=code).first()
    if chain is not None:
        return chain
    preset = rules.CHAIN_PRESETS.get(code)
    if preset is None:
        raise ApplicationError("chain_not_found", _("节点链“%(code)s”不存在，可用：%(codes)s。")
                               % {"code": code, "codes": "、".join(rules.CHAIN_PRESETS)})
    name, nodes = preset
    chain, _created = LifecycleChain.objects.get_or_create(code=code, defaults={
        "name": name, "nodes": [list(node) for node in nodes]})
    return chain


@transaction.atomic
def chain_define(*, actor: User | None, code: str, name: str, nodes: Sequence[Sequence[str]]) -> LifecycleChain:
    """Add or replace a configurable chain (e.g. a 五证 chain with a local permit); checked by the rules."""
    try:
        parsed = rules.chain_nodes_parse([list(node) for node in nodes])
    except ValueError as error:
        raise ApplicationError("chain_invalid", str(error)) from error
    chain, _created = LifecycleChain.objects.update_or_create(code=code, defaults={
        "name": name, "nodes": [[node.code, node.name] for node in parsed]})
    _audit(actor, "projects.chain_define", "projects.LifecycleChain", code, {"nodes": chain.nodes})
    return chain


def light_thresholds_current() -> rules.LightThresholds:
    rule_set = LightRuleSet.objects.filter(is_active=True).order_by("-created_at").first()
    return rules.thresholds_parse(rule_set.thresholds if rule_set else None)


@transaction.atomic
def light_rules_set(*, actor: User | None, name: str, thresholds: Mapping[str, Any]) -> LightRuleSet:
    """Make ``thresholds`` the active light rule set (the previous one is kept, inactive)."""
    try:
        rules.thresholds_parse(thresholds)
    except ValueError as error:
        raise ApplicationError("light_rules_invalid", str(error)) from error
    LightRuleSet.objects.filter(is_active=True).update(is_active=False)
    rule_set = LightRuleSet.objects.create(name=name, thresholds=dict(thresholds), is_active=True,
                                           created_at=clock.now())
    _audit(actor, "projects.light_rules_set", "projects.LightRuleSet", rule_set.pk, {"thresholds": dict(thresholds)})
    return rule_set


# ---------------------------------------------------------------- the library


@dataclass(frozen=True)
class ProjectInput:
    """A project as its office writes it down; coordinates may be WGS-84, GCJ-02 or BD-09."""

    code: str
    name: str
    level: str
    kind: str
    department_id: int
    total_investment: float
    year_plans: Mapping[int, float] = field(default_factory=dict)
    industry: str = ""
    is_industrial: bool = False
    owner_credit_code: str = ""
    owner_name: str = ""
    longitude: float | None = None
    latitude: float | None = None
    coordinate_system: str = "wgs84"
    signed_amount: float | None = None
    leader_id: int | None = None
    contact_name: str = ""
    contact_phone: str = ""
    planned_start: dt.date | None = None
    planned_finish: dt.date | None = None
    chain_code: str = DEFAULT_CHAIN
    statistics_state: str = StatisticsState.NOT_ENTERED
    statistics_date: dt.date | None = None
    public_promise: str = ""
    public_year: int | None = None
    node_actual_dates: Mapping[str, dt.date] = field(default_factory=dict)
    is_synthetic: bool = False


FIELD_LABELS = {
    "code": "项目编码", "name": "项目名称", "level": "项目级别", "kind": "项目类别", "department": "责任单位",
    "total_investment": "总投资(万元)", "year_plan": "年度计划投资(万元)", "owner_credit_code": "统一社会信用代码",
    "location": "经纬度", "coordinate_system": "坐标系", "leader": "挂钩领导", "contact_phone": "联系电话",
    "planned_start": "计划开工", "planned_finish": "计划竣工", "statistics_date": "入库日期", "chain": "节点链",
    "signed_amount": "签约金额(万元)",
}


def _located(item: ProjectInput) -> tuple[float | None, float | None, int | None, str, list[tuple[str, str]]]:
    if item.longitude is None and item.latitude is None:
        return None, None, None, "", []
    if item.longitude is None or item.latitude is None or not (
            math.isfinite(item.longitude) and math.isfinite(item.latitude)):
        return None, None, None, "", [("location", _("经度和纬度需要同时填写，且为有效数字。"))]
    if item.coordinate_system not in COORDINATE_SYSTEMS:
        return None, None, None, "", [("coordinate_system", _("坐标系应为 wgs84、gcj02 或 bd09，收到的是“%(system)s”。")
                                       % {"system": item.coordinate_system})]
    longitude, latitude = to_wgs84(item.longitude, item.latitude, item.coordinate_system)
    location = grid_for_point(longitude=longitude, latitude=latitude)
    if location is None:
        return None, None, None, "", [("location", _("坐标（%(longitude)s, %(latitude)s）不在本区范围内，请核对项目位置和坐标系。")
                                       % {"longitude": item.longitude, "latitude": item.latitude})]
    return round(longitude, 7), round(latitude, 7), location.grid_id, location.path, []


def project_input_problems(item: ProjectInput, *, today: dt.date, codes_taken: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Everything wrong with ``item`` as (field, message); empty when it can be registered."""
    problems: list[tuple[str, str]] = []
    code = item.code.strip()
    if not code or len(code) > 40:
        problems.append(("code", _("项目编码不能为空，且不超过40个字符。")))
    elif code in set(codes_taken) or Project.objects.filter(code=code).exists():
        problems.append(("code", _("项目编码“%(code)s”已存在，同一编码只能登记一个项目。") % {"code": code}))
    if not item.name.strip():
        problems.append(("name", _("请填写项目名称。")))
    if item.level not in ProjectLevel.values:
        problems.append(("level", _("项目级别应为省级、市级、区级或街道级。")))
    if item.kind not in ProjectKind.values:
        problems.append(("kind", _("项目类别应为重大项目、重点项目、招引项目或民生实事。")))
    if not Department.objects.filter(pk=item.department_id, is_active=True).exists():
        problems.append(("department", _("责任单位不存在或已停用，请从部门清单中选择。")))
    if not 0 < item.total_investment <= MAX_AMOUNT:
        problems.append(("total_investment", _("总投资应大于0（万元）。")))
    for year, amount in item.year_plans.items():
        if amount < 0:
            problems.append(("year_plan", _("%(year)d年计划投资不能为负数。") % {"year": year}))
        elif amount > item.total_investment:
            problems.append(("year_plan", _("%(year)d年计划投资 %(amount)s 万元超过总投资 %(total)s 万元。")
                             % {"year": year, "amount": amount, "total": item.total_investment}))
    if item.signed_amount is not None and item.signed_amount < 0:
        problems.append(("signed_amount", _("签约金额不能为负数。")))
    if item.owner_credit_code:
        check = credit_code_check(item.owner_credit_code)
        if not check.is_valid:
            problems.append(("owner_credit_code", check.message))
    if item.leader_id is not None and not User.objects.filter(pk=item.leader_id, role=Role.LEADER,
                                                               is_active=True).exists():
        problems.append(("leader", _("挂钩领导应为在用的领导账号。")))
    if item.contact_phone and not 7 <= len(phone_digits(item.contact_phone)) <= 15:
        problems.append(("contact_phone", _("联系电话格式不正确，请填写手机号或带区号的固定电话。")))
    if item.planned_start and item.planned_finish and item.planned_finish < item.planned_start:
        problems.append(("planned_finish", _("计划竣工日期早于计划开工日期。")))
    if item.statistics_date and item.statistics_date > today:
        problems.append(("statistics_date", _("入库日期 %(date)s 晚于今天，请填写已发生的日期。")
                         % {"date": item.statistics_date.isoformat()}))
    problems += [(name, message) for name, message in _located(item)[4]]
    try:
        chain = chain_get_or_create(item.chain_code)
        nodes = rules.chain_nodes_parse(chain.nodes)
    except ApplicationError as error:
        problems.append(("chain", error.message))
    else:
        known = {node.code for node in nodes}
        unknown = sorted(set(item.node_actual_dates) - known)
        if unknown:
            problems.append(("chain", _("节点链中没有节点：%(codes)s。") % {"codes": "、".join(unknown)}))
        dated = [rules.NodeDates(code=node.code, name=node.name, actual=item.node_actual_dates.get(node.code))
                 for node in nodes]
        problems += [(violation.code, violation.message)
                     for violation in rules.node_gate_violations(dated, today=today)]
    return problems


def _project_build(item: ProjectInput, *, at: dt.datetime) -> tuple[Project, list[ProjectNode], list[YearPlan]]:
    longitude, latitude, grid_id, area_path, _problems = _located(item)
    chain = chain_get_or_create(item.chain_code)
    nodes = rules.chain_nodes_parse(chain.nodes)
    phone = item.contact_phone.strip()
    project = Project(
        code=item.code.strip(), name=item.name.strip(), level=item.level, kind=item.kind, industry=item.industry.strip(),
        is_industrial=item.is_industrial, owner_credit_code=credit_code_check(item.owner_credit_code).code
        if item.owner_credit_code else "", owner_name=item.owner_name.strip(), longitude=longitude, latitude=latitude,
        grid_id=grid_id, area_path=area_path, total_investment=Decimal(str(item.total_investment)),
        signed_amount=None if item.signed_amount is None else Decimal(str(item.signed_amount)),
        leader_id=item.leader_id, department_id=item.department_id, contact_name=item.contact_name.strip()[:40],
        contact_phone_encrypted=personal_encrypt(phone) if phone else "", contact_phone_masked=phone_mask(phone),
        planned_start=item.planned_start, planned_finish=item.planned_finish,
        actual_start=item.node_actual_dates.get(rules.START_NODE),
        actual_finish=item.node_actual_dates.get(rules.FINISH_NODE),
        statistics_state=item.statistics_state, statistics_date=item.statistics_date, chain=chain,
        stage=rules.current_stage([rules.NodeDates(node.code, node.name, actual=item.node_actual_dates.get(node.code))
                                   for node in nodes]),
        public_promise=item.public_promise.strip(), public_year=item.public_year, is_synthetic=item.is_synthetic,
        created_at=at, updated_at=at,
    )
    node_rows = [ProjectNode(sequence=index, code=node.code, name=node.name,
                             planned_date=item.planned_start if node.code == rules.START_NODE else
                             item.planned_finish if node.code == rules.FINISH_NODE else None,
                             actual_date=item.node_actual_dates.get(node.code))
                 for index, node in enumerate(nodes, start=1)]
    plans = [YearPlan(year=year, original_amount=Decimal(str(amount)), amount=Decimal(str(amount)))
             for year, amount in sorted(item.year_plans.items())]
    return project, node_rows, plans


def _project_save(project: Project, nodes: list[ProjectNode], plans: list[YearPlan]) -> None:
    project.save()
    for node in nodes:
        node.project = project
    for plan in plans:
        plan.project = project
    ProjectNode.objects.bulk_create(nodes)
    YearPlan.objects.bulk_create(plans)


@transaction.atomic
def project_register(*, actor: User | None, item: ProjectInput) -> Project:
    """Register one project with its chain's nodes and yearly plans; refuses with the first problem found.

    The owner's credit code must pass GB 32100-2015; the point is stored in WGS-84 and placed in its grid.
    """
    problems = project_input_problems(item, today=clock.today())
    if problems:
        name, message = problems[0]
        raise ApplicationError("project_invalid", _("%(field)s：%(message)s") % {
            "field": FIELD_LABELS.get(name, name), "message": message}, details={"field": name})
    project, nodes, plans = _project_build(item, at=clock.now())
    _project_save(project, nodes, plans)
    project_lights_refresh(project_ids=[project.pk])
    _audit(actor, "projects.project_register", "projects.Project", project.code,
           {"name": project.name, "level": project.level, "kind": project.kind})
    return project


def project_contact_phone(project: Project) -> str:
    """The contact phone in clear, for a viewer the personal-data policy lets see it."""
    return personal_decrypt(project.contact_phone_encrypted) if project.contact_phone_encrypted else ""


# ---------------------------------------------------------------- nodes and plans


def _node_dates(project: Project) -> list[rules.NodeDates]:
    return [rules.NodeDates(code=node.code, name=node.name, planned=node.planned_date, actual=node.actual_date)
            for node in project.nodes.order_by("sequence")]


@transaction.atomic
def node_record(*, actor: User | None, project_id: int, code: str, planned_date: dt.date | None = None,
                actual_date: dt.date | None = None, evidence: str = "") -> ProjectNode:
    """Record a node's planned and/or actual date; the gates (order, not in the future) must hold after it.

    The 开工 and 竣工 nodes set the project's actual start and finish; the stage is the last node done.
    """
    project = Project.objects.select_for_update().filter(pk=project_id).first()
    if project is None:
        raise NotFoundError("project_not_found", _("项目不存在。"))
    node = project.nodes.filter(code=code).first()
    if node is None:
        raise NotFoundError("node_not_found", _("该项目的节点链中没有节点“%(code)s”。") % {"code": code})
    if planned_date is not None:
        node.planned_date = planned_date
    if actual_date is not None:
        node.actual_date = actual_date
    if evidence:
        node.evidence = evidence.strip()[:300]
    dated = [rules.NodeDates(code=item.code, name=item.name, planned=item.planned_date, actual=item.actual_date)
             if item.pk != node.pk else rules.NodeDates(node.code, node.name, node.planned_date, node.actual_date)
             for item in project.nodes.order_by("sequence")]
    violations = [violation for violation in rules.node_gate_violations(dated, today=clock.today())
                  if violation.code == node.code or _is_next_of(dated, node.code, violation.code)]
    if violations:
        raise ApplicationError("node_gate", violations[0].message, details={"field": node.code})
    node.save()
    if node.code == rules.START_NODE:
        project.actual_start = node.actual_date
    if node.code == rules.FINISH_NODE:
        project.actual_finish = node.actual_date
    if node.code == rules.START_NODE and node.planned_date:
        project.planned_start = node.planned_date
    project.stage = rules.current_stage(dated)
    project.updated_at = clock.now()
    project.save(update_fields=["actual_start", "actual_finish", "planned_start", "stage", "updated_at"])
    project_lights_refresh(project_ids=[project.pk])
    _audit(actor, "projects.node_record", "projects.Project", project.code, {
        "node": code, "planned": planned_date, "actual": actual_date})
    return node


def _is_next_of(dated: Sequence[rules.NodeDates], changed: str, other: str) -> bool:
    # a changed node may break the gate of a later node that already has its date
    codes = [item.code for item in dated]
    return other in codes and changed in codes and codes.index(other) > codes.index(changed)


@transaction.atomic
def year_plan_revise(*, actor: User | None, project_id: int, year: int, amount: float, from_month: int) -> YearPlan:
    """Revise (调整) the year's plan to ``amount`` from ``from_month`` on; 序时进度 re-bases on it."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        raise NotFoundError("project_not_found", _("项目不存在。"))
    if not 1 <= from_month <= 12:
        raise ApplicationError("month_invalid", _("调整月份应为1–12。"))
    if not 0 <= amount <= float(project.total_investment):
        raise ApplicationError("plan_invalid", _("年度计划投资应在0到总投资（%(total)s 万元）之间。")
                               % {"total": project.total_investment})
    plan = YearPlan.objects.select_for_update().filter(project=project, year=year).first()
    if plan is None:
        plan = YearPlan.objects.create(project=project, year=year, original_amount=Decimal(str(amount)),
                                       amount=Decimal(str(amount)))
    else:
        revisions = [item for item in plan.revisions if item[0] != from_month] + [[from_month, amount]]
        plan.revisions = sorted(revisions)
        plan.amount = Decimal(str(sorted(revisions)[-1][1]))
        plan.save(update_fields=["revisions", "amount"])
    project_lights_refresh(project_ids=[project.pk])
    _audit(actor, "projects.year_plan_revise", "projects.Project", project.code,
           {"year": year, "amount": amount, "from_month": from_month})
    return plan


# ---------------------------------------------------------------- monthly reports


def _month_end(year: int, month: int) -> dt.date:
    return rules._end_of_month(year, month)


def report_problems(*, project: Project, year: int, month: int, investment: float, progress_percent: int,
                    today: dt.date, others_total: float) -> list[tuple[str, str]]:
    """What is wrong with a monthly report (field, message); ``others_total`` is the project's other months."""
    problems: list[tuple[str, str]] = []
    if not 1 <= month <= 12:
        problems.append(("month", _("月份应为1–12。")))
        return problems
    if (year, month) > (today.year, today.month):
        problems.append(("month", _("填报月份 %(month)s 晚于本月，不能填报未来月份。") % {"month": f"{year}-{month:02d}"}))
    if project.actual_start is None or project.actual_start > _month_end(year, month):
        problems.append(("month", _("项目“%(name)s”在 %(month)s 尚未开工（实际开工：%(start)s），不能填报该月月报；"
                                    "如已开工，请先登记开工节点。") % {
            "name": project.name, "month": f"{year}-{month:02d}",
            "start": project.actual_start.isoformat() if project.actual_start else "未登记"}))
    if not math.isfinite(investment) or investment < 0:
        problems.append(("investment", _("当月完成投资应为不小于0的数（万元）。")))
    elif others_total + investment > float(project.total_investment) + 1e-6:
        problems.append(("investment", _("累计完成投资将达 %(total).2f 万元，超过项目总投资 %(limit)s 万元，请核对金额单位（万元）。")
                         % {"total": others_total + investment, "limit": project.total_investment}))
    if not 0 <= progress_percent <= 100:
        problems.append(("progress_percent", _("形象进度应为0–100之间的整数。")))
    return problems


def _others_total(project_id: int, year: int, month: int) -> float:
    return float(sum(MonthlyReport.objects.filter(project_id=project_id).exclude(year=year, month=month)
                     .values_list("investment", flat=True), Decimal(0)))


@transaction.atomic
def monthly_report_file(*, actor: User | None, project_id: int, year: int, month: int, investment: float,
                        progress_percent: int = 0, progress_text: str = "", problems_text: str = "") -> MonthlyReport:
    """File (or correct) one month's report; the project's light is recomputed.

    Refused for a project not started by that month, a month after this one, or a cumulative
    investment above the project's total.
    """
    project = Project.objects.select_for_update().filter(pk=project_id).first()
    if project is None:
        raise NotFoundError("project_not_found", _("项目不存在。"))
    problems = report_problems(project=project, year=year, month=month, investment=investment,
                               progress_percent=progress_percent, today=clock.today(),
                               others_total=_others_total(project.pk, year, month))
    if problems:
        raise ApplicationError("report_invalid", problems[0][1], details={"field": problems[0][0]})
    report, _created = MonthlyReport.objects.update_or_create(project=project, year=year, month=month, defaults={
        "investment": Decimal(str(round(investment, 2))), "progress_percent": progress_percent,
        "progress_text": progress_text.strip()[:2000], "problems_text": problems_text.strip()[:2000],
        "reported_by": actor, "reported_at": clock.now()})
    project_lights_refresh(project_ids=[project.pk])
    _audit(actor, "projects.monthly_report_file", "projects.Project", project.code,
           {"month": f"{year}-{month:02d}", "investment": round(investment, 2), "progress": progress_percent})
    return report


class _CellError(ValueError):
    pass


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _cell_number(value: object) -> float | None:
    if value in ("", None):
        return None
    if isinstance(value, bool):
        raise _CellError(_("应为数字。"))
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).replace(",", "").strip())
        except ValueError as error:
            raise _CellError(_("应为数字，收到的是“%(value)s”。") % {"value": str(value)[:30]}) from error
    if not math.isfinite(number) or abs(number) > MAX_AMOUNT:
        raise _CellError(_("数值无效或过大。"))
    return number


def _cell_date(value: object) -> dt.date | None:
    if value in ("", None):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise _CellError(_("应为日期（YYYY-MM-DD），收到的是“%(value)s”。") % {"value": text[:30]}) from error


def _cell_month(value: object) -> tuple[int, int]:
    if isinstance(value, dt.date):
        return value.year, value.month
    text = _cell_text(value).replace("年", "-").replace("月", "").replace("/", "-").replace(".", "-")
    parts = text.split("-")
    if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit() and 1 <= int(parts[1]) <= 12 \
            and 2000 <= int(parts[0]) <= 2100:
        return int(parts[0]), int(parts[1])
    raise _CellError(_("应为 YYYY-MM 格式的月份，收到的是“%(value)s”。") % {"value": text[:30]})


def _read(row: SheetRow, key: str, labels: Mapping[str, str], problems: list[RowProblem],
          convert: Callable[[object], Any]) -> Any:
    try:
        return convert(row.cells.get(key))
    except _CellError as error:
        problems.append(RowProblem(row=row.number, field=labels[key], message=str(error)))
        return None


def _sheet_rows(content: bytes, file_name: str, columns: Sequence[tuple[str, str]],
                required: Sequence[str]) -> list[SheetRow]:
    return files.sheet_rows_read(content, file_name=file_name, columns=columns, required=required)


def monthly_reports_import(*, actor: User | None, content: bytes, file_name: str, year: int, month: int,
                           department_id: int | None = None) -> ImportReport:
    """Import the monthly-report template for (year, month): all rows or none.

    ``department_id`` (a unit's own import) limits the rows to that unit's projects.
    """
    labels = dict(files.REPORT_COLUMNS)
    rows = _sheet_rows(content, file_name, files.REPORT_COLUMNS, files.REPORT_REQUIRED)
    if not rows:
        raise ApplicationError("import_empty", _("文件中没有数据行，请在模板中填写后上传。"))
    today = clock.today()
    codes = {_cell_text(row.cells.get("code")) for row in rows}
    projects = {project.code: project for project in Project.objects.filter(code__in=codes)}
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for project_id, investment in MonthlyReport.objects.filter(project__code__in=codes).exclude(
            year=year, month=month).values_list("project_id", "investment"):
        totals[project_id] += investment
    problems: list[RowProblem] = []
    accepted: list[tuple[Project, float, int, str, str]] = []
    seen: dict[str, int] = {}
    for row in rows:
        before = len(problems)
        code = _cell_text(row.cells.get("code"))
        project = projects.get(code)
        if project is None:
            problems.append(RowProblem(row.number, labels["code"], _("项目编码“%(code)s”不在项目库中。") % {"code": code}))
            continue
        if department_id is not None and project.department_id != department_id:
            problems.append(RowProblem(row.number, labels["code"], _("项目“%(code)s”不是本单位负责的项目。") % {"code": code}))
            continue
        if code in seen:
            problems.append(RowProblem(row.number, labels["code"], _("项目“%(code)s”在第%(first)d行已填报，同一月份只能填一行。")
                                       % {"code": code, "first": seen[code]}))
            continue
        seen[code] = row.number
        row_month = _read(row, "month", labels, problems, _cell_month)
        if row_month is not None and row_month != (year, month):
            problems.append(RowProblem(row.number, labels["month"], _(
                "文件中的填报月份为 %(found)s，与所选月份 %(chosen)s 不一致。请下载该月的模板重新填写，或在导入页选择正确的月份。")
                % {"found": f"{row_month[0]}-{row_month[1]:02d}", "chosen": f"{year}-{month:02d}"}))
        investment = _read(row, "investment", labels, problems, _cell_number)
        if investment is None and len(problems) == before:
            problems.append(RowProblem(row.number, labels["investment"], _("请填写当月完成投资（万元），没有投资填0。")))
        progress = _read(row, "progress_percent", labels, problems, _cell_number)
        if progress is not None and not float(progress).is_integer():
            problems.append(RowProblem(row.number, labels["progress_percent"], _("形象进度应为0–100之间的整数。")))
        if len(problems) > before:
            continue
        progress_value = int(progress or 0)
        for name, message in report_problems(project=project, year=year, month=month, investment=float(investment),
                                             progress_percent=progress_value, today=today,
                                             others_total=float(totals[project.pk])):
            problems.append(RowProblem(row.number, labels.get(name, name), message))
        accepted.append((project, float(investment), progress_value, _cell_text(row.cells.get("progress_text")),
                         _cell_text(row.cells.get("problems_text"))))
    if problems:
        return ImportReport(rows=len(rows), imported=0, problems=tuple(problems))
    with transaction.atomic():
        at = clock.now()
        for project, amount, progress_value, progress_text, problems_text in accepted:
            MonthlyReport.objects.update_or_create(project=project, year=year, month=month, defaults={
                "investment": Decimal(str(round(amount, 2))), "progress_percent": progress_value,
                "progress_text": progress_text[:2000], "problems_text": problems_text[:2000], "reported_by": actor,
                "reported_at": at})
        project_lights_refresh(project_ids=[project.pk for project, *_rest in accepted])
        _audit(actor, "projects.monthly_reports_import", "projects.MonthlyReport", f"{year}-{month:02d}",
               {"file": file_name[:120], "rows": len(accepted)})
    return ImportReport(rows=len(rows), imported=len(accepted))


_LEVEL_NAMES = {str(label): value for value, label in ProjectLevel.choices} | {
    "省": ProjectLevel.PROVINCE, "市": ProjectLevel.CITY, "区": ProjectLevel.DISTRICT, "街道": ProjectLevel.STREET}
_KIND_NAMES = {str(label): value for value, label in ProjectKind.choices} | {
    "重大": ProjectKind.MAJOR, "重点": ProjectKind.KEY, "招引": ProjectKind.ATTRACTION}
_COORDINATE_NAMES = {"": "wgs84", "WGS-84": "wgs84", "WGS84": "wgs84", "GCJ-02": "gcj02", "GCJ02": "gcj02",
                     "BD-09": "bd09", "BD09": "bd09"}
_YES_NO = {"": False, "否": False, "是": True}
# ProjectInput problem fields → the template's columns
_LIBRARY_FIELD_COLUMNS = {"location": "longitude", "leader": "code", "chain": "code", "signed_amount": "code",
                          "statistics_date": "code"}


def _choice[Choice](names: Mapping[str, Choice], message: str) -> Callable[[object], Choice]:
    def convert(value: object) -> Choice:
        text = _cell_text(value).upper() if names is _COORDINATE_NAMES else _cell_text(value)
        if text not in names:
            raise _CellError(message % {"value": text[:30]})
        return names[text]

    return convert


def _department(departments: Mapping[str, int]) -> Callable[[object], int]:
    def convert(value: object) -> int:
        text = _cell_text(value)
        if text not in departments:
            raise _CellError(_("责任单位“%(value)s”不在部门清单中，请填写部门名称或代码。") % {"value": text[:30]})
        return departments[text]

    return convert


def _library_row(row: SheetRow, labels: Mapping[str, str], problems: list[RowProblem],
                 departments: Mapping[str, int]) -> ProjectInput | None:
    before = len(problems)
    values = {
        "level": _read(row, "level", labels, problems, _choice(_LEVEL_NAMES, _(
            "项目级别应为省级、市级、区级或街道级，收到的是“%(value)s”。"))),
        "kind": _read(row, "kind", labels, problems, _choice(_KIND_NAMES, _(
            "项目类别应为重大项目、重点项目、招引项目或民生实事，收到的是“%(value)s”。"))),
        "department_id": _read(row, "department", labels, problems, _department(departments)),
        "total_investment": _read(row, "total_investment", labels, problems, _cell_number),
        "plan_year": _read(row, "plan_year", labels, problems, _cell_number),
        "year_plan": _read(row, "year_plan", labels, problems, _cell_number),
        "is_industrial": _read(row, "is_industrial", labels, problems, _choice(_YES_NO, _(
            "“工业项目”应填“是”或“否”，收到的是“%(value)s”。"))),
        "longitude": _read(row, "longitude", labels, problems, _cell_number),
        "latitude": _read(row, "latitude", labels, problems, _cell_number),
        "coordinate_system": _read(row, "coordinate_system", labels, problems, _choice(_COORDINATE_NAMES, _(
            "坐标系应为 WGS-84、GCJ-02 或 BD-09，收到的是“%(value)s”。"))),
        "planned_start": _read(row, "planned_start", labels, problems, _cell_date),
        "planned_finish": _read(row, "planned_finish", labels, problems, _cell_date),
    }
    if values["total_investment"] is None and len(problems) == before:
        problems.append(RowProblem(row.number, labels["total_investment"], _("请填写总投资（万元）。")))
    year_plans: dict[int, float] = {}
    if values["year_plan"] is not None:
        year = values["plan_year"]
        if year is None or not float(year).is_integer() or not 2000 <= year <= 2100:
            problems.append(RowProblem(row.number, labels["plan_year"], _("填写了年度计划投资时，请填写计划年度（如2026）。")))
        else:
            year_plans[int(year)] = float(values["year_plan"])
    if len(problems) > before:
        return None
    return ProjectInput(
        code=_cell_text(row.cells.get("code")), name=_cell_text(row.cells.get("name"))[:200], level=values["level"],
        kind=values["kind"], department_id=values["department_id"], total_investment=float(values["total_investment"]),
        year_plans=year_plans, industry=_cell_text(row.cells.get("industry"))[:60],
        is_industrial=bool(values["is_industrial"]), owner_name=_cell_text(row.cells.get("owner_name"))[:200],
        owner_credit_code=_cell_text(row.cells.get("owner_credit_code")), longitude=values["longitude"],
        latitude=values["latitude"], coordinate_system=values["coordinate_system"] or "wgs84",
        planned_start=values["planned_start"], planned_finish=values["planned_finish"],
        contact_name=_cell_text(row.cells.get("contact_name")), contact_phone=_cell_text(row.cells.get("contact_phone")))


def project_library_import(*, actor: User | None, content: bytes, file_name: str) -> ImportReport:
    """Import the project-library template: every row registered, or none (the report names row and field).

    Each row gets the checks of :func:`project_register` (a duplicated code — in the library or
    earlier in the file —, a credit code failing its check character, a yearly plan above the total, …).
    """
    labels = dict(files.LIBRARY_COLUMNS)
    rows = _sheet_rows(content, file_name, files.LIBRARY_COLUMNS, files.LIBRARY_REQUIRED)
    if not rows:
        raise ApplicationError("import_empty", _("文件中没有数据行，请在模板中填写后上传。"))
    departments: dict[str, int] = {}
    for department_id, code, name in Department.objects.filter(is_active=True).values_list("pk", "code", "name"):
        departments[code] = department_id
        departments[name] = department_id
    today = clock.today()
    problems: list[RowProblem] = []
    accepted: list[ProjectInput] = []
    codes_in_file: list[str] = []
    for row in rows:
        item = _library_row(row, labels, problems, departments)
        if item is None:
            continue
        for name, message in project_input_problems(item, today=today, codes_taken=codes_in_file):
            column = _LIBRARY_FIELD_COLUMNS.get(name, name)
            problems.append(RowProblem(row.number, labels.get(column, FIELD_LABELS.get(name, name)), message))
        codes_in_file.append(item.code.strip())
        accepted.append(item)
    if problems:
        return ImportReport(rows=len(rows), imported=0, problems=tuple(problems))
    with transaction.atomic():
        at = clock.now()
        created = []
        for item in accepted:
            project, nodes, plans = _project_build(item, at=at)
            _project_save(project, nodes, plans)
            created.append(project.pk)
        project_lights_refresh(project_ids=created)
        _audit(actor, "projects.project_library_import", "projects.Project", file_name[:120], {"rows": len(created)})
    return ImportReport(rows=len(rows), imported=len(created))


def statistics_list_import(*, actor: User | None, content: bytes, file_name: str, year: int,
                           month: int) -> ImportReport:
    """Import the statistics bureau's 入库 list for (year, month): all rows or none.

    Each listed project is marked 已入库 (with the list's entry date, else the month's end) and its
    year-to-date figure is kept for the reconciliation with the monthly reports.
    """
    labels = dict(files.STATISTICS_COLUMNS)
    rows = _sheet_rows(content, file_name, files.STATISTICS_COLUMNS, files.STATISTICS_REQUIRED)
    if not rows:
        raise ApplicationError("import_empty", _("文件中没有数据行。"))
    today = clock.today()
    codes = {_cell_text(row.cells.get("code")) for row in rows}
    projects = {project.code: project for project in Project.objects.filter(code__in=codes)}
    problems: list[RowProblem] = []
    accepted: list[tuple[Project, float, dt.date | None]] = []
    seen: set[str] = set()
    for row in rows:
        before = len(problems)
        code = _cell_text(row.cells.get("code"))
        project = projects.get(code)
        if project is None:
            problems.append(RowProblem(row.number, labels["code"], _("项目编码“%(code)s”不在项目库中。") % {"code": code}))
            continue
        if code in seen:
            problems.append(RowProblem(row.number, labels["code"], _("项目“%(code)s”重复出现。") % {"code": code}))
            continue
        seen.add(code)
        row_month = _read(row, "month", labels, problems, _cell_month)
        if row_month is not None and row_month != (year, month):
            problems.append(RowProblem(row.number, labels["month"], _("统计月份为 %(found)s，与所选月份 %(chosen)s 不一致。")
                                       % {"found": f"{row_month[0]}-{row_month[1]:02d}", "chosen": f"{year}-{month:02d}"}))
        amount = _read(row, "investment_to_date", labels, problems, _cell_number)
        if amount is None and len(problems) == before:
            problems.append(RowProblem(row.number, labels["investment_to_date"], _("请填写累计完成投资（万元）。")))
        elif amount is not None and amount < 0:
            problems.append(RowProblem(row.number, labels["investment_to_date"], _("累计完成投资不能为负数。")))
        entered_on = _read(row, "entered_on", labels, problems, _cell_date)
        if entered_on is not None and entered_on > today:
            problems.append(RowProblem(row.number, labels["entered_on"], _("入库日期 %(date)s 晚于今天。")
                                       % {"date": entered_on.isoformat()}))
        if len(problems) == before:
            accepted.append((project, float(amount), entered_on))
    if problems:
        return ImportReport(rows=len(rows), imported=0, problems=tuple(problems))
    with transaction.atomic():
        at = clock.now()
        for project, amount, entered_on in accepted:
            StatisticsFigure.objects.update_or_create(project=project, year=year, month=month, defaults={
                "investment_to_date": Decimal(str(round(amount, 2))), "entered_on": entered_on, "imported_at": at})
            if project.statistics_state == StatisticsState.NOT_ENTERED:
                project.statistics_state = StatisticsState.ENTERED
                project.statistics_date = entered_on or min(_month_end(year, month), today)
                project.save(update_fields=["statistics_state", "statistics_date"])
        project_lights_refresh(project_ids=[project.pk for project, _amount, _entered in accepted])
        _audit(actor, "projects.statistics_list_import", "projects.StatisticsFigure", f"{year}-{month:02d}",
               {"file": file_name[:120], "rows": len(accepted)})
    return ImportReport(rows=len(rows), imported=len(accepted))


# ---------------------------------------------------------------- lights


def light_facts_for(*, year: int, month: int, planned_start: dt.date | None, actual_start: dt.date | None,
                    statistics_entered_on: dt.date | None, figures: selectors.YearFigures) -> rules.LightFacts:
    """The facts of one project's lights as of (year, month) from its year's plan and completion."""
    expected = figures.expected(year=year, month=month, start=actual_start or planned_start)
    return rules.LightFacts(year=year, month=month, planned_start=planned_start, actual_start=actual_start,
                            statistics_entered_on=statistics_entered_on, plan_amount=figures.plan,
                            expected_to_date=expected, completed_to_date=figures.completed)


LightRow = tuple[int, str, list[dict[str, str]], str]  # id, light, reasons, month


def project_lights_refresh(*, as_of: tuple[int, int] | None = None, project_ids: Sequence[int] | None = None,
                           batch_size: int = 500) -> int:
    """Recompute the light of the given projects (all when None) as of a month; store those that changed.

    The default month is the one whose reports are due now (last month). Returns how many projects
    were evaluated. Reads are set-based (``selectors.year_figures``: the year's plans and one
    aggregate of the reports per project); only rows whose light, reasons or month changed are
    written, ``batch_size`` rows to a statement.
    """
    year, month = as_of or rules.previous_month(clock.today())
    thresholds = light_thresholds_current()
    projects = Project.objects.order_by().values_list(
        "id", "planned_start", "actual_start", "statistics_state", "statistics_date", "light", "light_reasons",
        "light_month")
    if project_ids is not None:
        projects = projects.filter(pk__in=list(project_ids))
    figures = selectors.year_figures(year=year, month=month, project_ids=project_ids)
    label = f"{year}-{month:02d}"
    changed: list[LightRow] = []
    count = 0
    for project_id, planned, actual, state, entered_on, light, reasons, light_month in projects.iterator(
            chunk_size=2000):
        entered = entered_on if state != StatisticsState.NOT_ENTERED else None
        facts = light_facts_for(year=year, month=month, planned_start=planned, actual_start=actual,
                                statistics_entered_on=entered, figures=selectors.year_figures_of(figures, project_id))
        result = rules.light_evaluate(facts, thresholds)
        new_reasons = [{"rule": reason.rule, "light": reason.light, "message": reason.message}
                       for reason in result.reasons]
        count += 1
        if (result.light, new_reasons, label) != (light, reasons, light_month):
            changed.append((project_id, result.light, new_reasons, label))
    if changed:
        with transaction.atomic():
            for start in range(0, len(changed), batch_size):
                _lights_write(changed[start:start + batch_size])
    return count


def _lights_write(rows: Sequence[LightRow]) -> None:
    """One ``UPDATE … FROM (VALUES …)`` for a batch of lights (SQLite ≥ 3.33 and PostgreSQL).

    Django's ``bulk_update`` builds a CASE per field with a branch per row, which took most of the
    time of a full refresh (bench/projects.py).
    """
    if not rows:
        return
    table = connection.ops.quote_name(Project._meta.db_table)
    reasons = "CAST(v.column3 AS jsonb)" if connection.vendor == "postgresql" else "v.column3"
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for project_id, light, light_reasons, light_month in rows:
        params.extend([project_id, light, json.dumps(light_reasons), light_month])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET light = CAST(v.column2 AS varchar(8)), light_reasons = {reasons}, "  # noqa: S608
            f"light_month = CAST(v.column4 AS varchar(7)) FROM (VALUES {values}) AS v "
            f"WHERE {table}.id = CAST(v.column1 AS bigint)", params)


# ---------------------------------------------------------------- problems (问题清单) on the case engine


def problem_matters_ensure() -> None:
    """Register the 项目问题 matters in the responsibility list once (the project office owns them)."""
    codes = [f"XMWT-{kind.upper()}" for kind in ProblemKind.values]
    if Matter.objects.filter(code__in=codes, is_active=True).count() == len(codes):
        return
    matters_register(matters=[
        MatterInput(code=f"XMWT-{kind.value.upper()}", name=f"项目{kind.label}问题", category_code=PROBLEM_CATEGORY[0],
                    category_name=PROBLEM_CATEGORY[1], department_code=PROJECT_OFFICE_DEPARTMENT[0],
                    department_name=PROJECT_OFFICE_DEPARTMENT[1], handle_limit_days=PROBLEM_LIMIT_DAYS[kind.value])
        for kind in ProblemKind])


@transaction.atomic
def project_problem_raise(*, actor: User | None, project_id: int, kind: str, description: str) -> ProjectProblem:
    """A project's problem becomes a case: taken in through the case engine and dispatched to the project's
    responsible unit, with the kind's working-day limit; the case's lifecycle (签收, 督办, 办结) is the
    problem's. The project needs a location (the case engine places every system report on the map)."""
    project = Project.objects.select_related("department").filter(pk=project_id).first()
    if project is None:
        raise NotFoundError("project_not_found", _("项目不存在。"))
    if kind not in ProblemKind.values:
        raise ApplicationError("problem_kind_invalid", _("问题类型应为用地、用电、审批、拆迁、融资或其他。"))
    text = description.strip()
    if not text:
        raise ApplicationError("problem_description_required", _("请描述问题：卡在哪里、需要哪个部门协调。"))
    if project.longitude is None or project.latitude is None:
        raise ApplicationError("project_location_required", _("项目未标注位置，无法转为工单。请先在项目库中填写项目坐标。"))
    problem_matters_ensure()
    sequence = project.problems.count() + 1
    kind_label = ProblemKind(kind).label
    intake = case_intake(
        request=IntakeRequest(
            channel="api", title=f"项目{kind_label}问题：{project.name}"[:80],
            description=f"【{project.code} {project.name}】{text}", longitude=project.longitude,
            latitude=project.latitude, matter_code=f"XMWT-{kind.upper()}",
            attributes={"source": "projects.problem", "project": project.code, "kind": kind},
            external_id=f"xm-{project.pk}-{sequence}"[:64]),
        actor=actor, actor_label=str(actor) if actor else _("项目问题清单"), dispatch_automatically=False)
    case = case_transition(case_id=intake.case.pk, action=CaseAction.DISPATCH, actor=None, system=True,
                           actor_label=_("项目问题清单"), details=TransitionDetails(
                               department_id=project.department_id,
                               note=_("项目问题，派至项目责任单位%(unit)s") % {"unit": project.department.name}))
    problem = ProjectProblem.objects.create(project=project, kind=kind, description=text[:4000], case=case,
                                            raised_by=actor, raised_at=clock.now())
    _audit(actor, "projects.problem_raise", "projects.Project", project.code, {"case": case.number, "kind": kind})
    return problem

