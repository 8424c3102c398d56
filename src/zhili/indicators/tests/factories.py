"""Test factories of the indicators app."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from zhili.accounts.models import User
from zhili.indicators.demo import tianning_definition
from zhili.indicators.models import Indicator, IndicatorGroup, Plan
from zhili.indicators.services import plan_create_from_definition


def user_create(role: str = "planner", username: str | None = None) -> User:
    return User.objects.create_user(username=username or role, password="Zhili@2026demo", role=role,
                                    display_name=f"测试{role}")


def tianning_plan_create() -> Plan:
    return plan_create_from_definition(definition=tianning_definition(), actor=None)


def small_plan_create(**indicator_fields: Any) -> tuple[Plan, Indicator]:
    plan = Plan.objects.create(code="small", name="测试规划", base_year=2020, target_year=2025)
    group = IndicatorGroup.objects.create(plan=plan, name="经济", position=1)
    fields: dict[str, Any] = {"code": "A1", "number": 1, "name": "地区生产总值", "unit": "亿元",
                              "observation_unit": "亿元", "kind": "level", "direction": "higher",
                              "baseline_value": 100.0, "baseline_year": 2020, "target_value": 150.0}
    fields.update(indicator_fields)
    indicator = Indicator.objects.create(plan=plan, group=group, **fields)
    return plan, indicator


def workbook_bytes(content: bytes, edits: dict[tuple[str, str], Any]) -> io.BytesIO:
    """The template with some cells changed: {(sheet, "E5"): value}."""
    workbook = load_workbook(io.BytesIO(content))
    for (sheet, cell), value in edits.items():
        workbook[sheet][cell] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def observation_row(content: bytes, code: str) -> int:
    sheet = load_workbook(io.BytesIO(content))["观测值"]
    for row in sheet.iter_rows(min_row=3):
        if row[0].value == code:
            return int(row[0].row)
    raise LookupError(code)
