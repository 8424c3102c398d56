"""Demo enterprises: ~500 synthetic industrial enterprises in the demo district, 2024 evaluated and
published, and the three 2025 source files (tax, energy/electricity, environment) the analyst imports.

Deterministic from the seed; a second run leaves existing demo enterprises alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np
import shapely
from django.db import transaction
from openpyxl import Workbook

from zhili.accounts.models import User
from zhili.core import clock
from zhili.core.credit_code import CREDIT_CODE_CHARSET, credit_code_build
from zhili.core.spreadsheets import xlsx_bytes
from zhili.enterprises import services
from zhili.enterprises.models import Enterprise, EnterpriseScale, EvaluationRun, RunStatus, SourceKind
from zhili.enterprises.presets import DEFAULT_POLICY_TABLE, RANK_SHARE_THREE_INDICATORS
from zhili.enterprises.synthetic import synthetic_columns
from zhili.geo.models import Area, AreaLevel

DEMO_ENTERPRISE_COUNT = 500
DEMO_DIVISION_CODE = "320402"
DEMO_SCHEME_CODE = "demo-rank-share"
HISTORY_YEAR = 2024
CURRENT_YEAR = 2025
ZONE_SHARE = 0.8

_NAME_WORDS = ("龙城", "天宁", "青龙", "红梅", "茶山", "兰陵", "雕庄", "郑陆", "焦溪", "舜山", "横林", "东方", "恒泰",
               "华达", "金诚", "瑞丰", "宏远", "精工", "新锐", "博创", "联合", "中天", "永盛", "嘉诚", "鼎盛", "汇通",
               "润达", "凯迪", "万邦", "星辰", "科华", "长荣", "信立", "晨阳", "明峰", "卓越", "普天", "华星", "正泰")
_COMPANY_FORMS = ("有限公司", "科技有限公司", "股份有限公司", "制造有限公司", "实业有限公司", "集团有限公司")
_DIVISION_PRODUCTS = {
    "C34": "机械", "C35": "装备", "C38": "电气", "C33": "金属制品", "C29": "塑业", "C26": "化工", "C39": "电子",
    "C17": "纺织", "C30": "建材", "C36": "汽车零部件", "C27": "制药", "C40": "仪表", "C14": "食品",
}
_DIVISION_WEIGHTS = np.array([16, 12, 14, 10, 8, 6, 9, 6, 5, 6, 3, 3, 2], dtype=np.float64)
_ORGANISATION_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _demo_credit_code(rng: np.random.Generator) -> str:
    body = "MA" + "".join(_ORGANISATION_CHARS[int(index)] for index in rng.integers(0, len(_ORGANISATION_CHARS), 6))
    code = credit_code_build(authority="9", organisation_type="1", division=DEMO_DIVISION_CODE, organisation_body=body)
    assert all(character in CREDIT_CODE_CHARSET for character in code)  # noqa: S101 - by construction
    return code


def _points_inside(geometry: Any, count: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    min_x, min_y, max_x, max_y = geometry.bounds
    shapely.prepare(geometry)
    points: list[tuple[float, float]] = []
    while len(points) < count:
        longitude = round(float(rng.uniform(min_x, max_x)), 6)
        latitude = round(float(rng.uniform(min_y, max_y)), 6)
        if shapely.contains_xy(geometry, longitude, latitude):
            points.append((longitude, latitude))
    return points


def demo_figures(*, size: int, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(2024, 2025) engine columns of the demo enterprises; 2024 is 2025 shrunk by a growth factor."""
    current = synthetic_columns(size=size, seed=seed, year=CURRENT_YEAR)
    rng = np.random.default_rng(seed + 1)
    growth = rng.lognormal(0.05, 0.12, size)
    history = dict(current)
    for name in ("tax", "sales", "added_value", "energy_tce", "electricity", "rd"):
        history[name] = np.round(current[name] / growth, 2)
    for name in ("major_safety_incident", "major_environment_incident", "environmental_penalties"):
        history[name] = (rng.random(size) < 0.004).astype(np.float64)
    # Water and gas (万立方米), for the differentiated prices; drawn from their own stream so the
    # figures above (and the published demo classes) do not move.
    utility_rng = np.random.default_rng(seed + 3)
    current["water"] = np.round(current["sales"] * 0.0004 * utility_rng.lognormal(0.0, 0.5, size), 3)
    current["gas"] = np.round(current["sales"] * 0.0002 * utility_rng.lognormal(0.0, 0.6, size), 3)
    history["water"] = np.round(current["water"] / growth, 3)
    history["gas"] = np.round(current["gas"] / growth, 3)
    return history, current


def _value_dict(columns: dict[str, Any], index: int, fields: Sequence[str]) -> dict[str, float]:
    values = {}
    for name in fields:
        value = float(columns[name][index])
        if not math.isnan(value):
            values[name] = value
    return values


def _analyst() -> User | None:
    return User.objects.filter(username="analyst").first() or User.objects.filter(is_superuser=True).first()


def _reviewer(evaluator: User | None) -> User | None:
    """The second person who signs off (签发) the demo run: the evaluator may not."""
    users = {user.username: user for user in User.objects.filter(username__in=["reviewer", "admin"])}
    candidates = [users[name] for name in ("reviewer", "admin") if name in users]
    return next((user for user in candidates if evaluator is None or user.pk != evaluator.pk), None)


def load_demo(*, seed: int, stdout: TextIO) -> None:
    if Enterprise.objects.filter(is_synthetic=True).exists():
        stdout.write("  enterprises: demo enterprises exist, left alone\n")
        return
    grids = list(Area.objects.filter(level=AreaLevel.GRID).exclude(geometry_wkb=None).order_by("path"))
    if not grids:
        stdout.write("  enterprises: no grids (load the geo demo first), skipped\n")
        return
    rng = np.random.default_rng(seed + 7)
    zone = Area.objects.filter(level=AreaLevel.ZONE).exclude(geometry_wkb=None).order_by("code").first()
    district_geometry = shapely.union_all([shapely.from_wkb(bytes(grid.geometry_wkb or b"")) for grid in grids])
    zone_count = int(DEMO_ENTERPRISE_COUNT * ZONE_SHARE) if zone is not None else 0
    points: list[tuple[float, float]] = []
    if zone is not None:
        zone_geometry = shapely.from_wkb(bytes(zone.geometry_wkb or b"")).intersection(district_geometry)
        points += _points_inside(zone_geometry.buffer(-0.0003), zone_count, rng)
    points += _points_inside(district_geometry.buffer(-0.0003), DEMO_ENTERPRISE_COUNT - zone_count, rng)
    history, current = demo_figures(size=DEMO_ENTERPRISE_COUNT, seed=seed)
    divisions = list(_DIVISION_PRODUCTS)
    division_choice = rng.choice(len(divisions), size=DEMO_ENTERPRISE_COUNT, p=_DIVISION_WEIGHTS / _DIVISION_WEIGHTS.sum())
    actor = _analyst()
    codes: set[str] = set()
    names: set[str] = set()
    with transaction.atomic():
        created: list[Enterprise] = []
        for index, (longitude, latitude) in enumerate(points):
            code = _demo_credit_code(rng)
            while code in codes:
                code = _demo_credit_code(rng)
            codes.add(code)
            public_utility = bool(current["public_utility"][index])
            division = "D44" if public_utility else divisions[int(division_choice[index])]
            product = "热电" if public_utility else _DIVISION_PRODUCTS[division]
            stem = f"常州{_NAME_WORDS[int(rng.integers(0, len(_NAME_WORDS)))]}{product}"
            candidates = [f"{stem}{form}" for form in _COMPANY_FORMS]
            candidates += [f"{stem}{_NAME_WORDS[extra]}有限公司" for extra in range(len(_NAME_WORDS))]
            name = next(candidate for candidate in candidates if candidate not in names)
            names.add(name)
            created.append(services.enterprise_register(
                actor=actor, credit_code=code, name=name,
                industry_code=f"{division}{int(rng.integers(1, 9))}{int(rng.integers(1, 9))}",
                scale=EnterpriseScale.ABOVE if current["above_scale"][index] > 0 else EnterpriseScale.BELOW,
                land_area_mu=float(current["land_mu"][index]), longitude=longitude, latitude=latitude,
                production_start_year=int(current["production_start_year"][index]),
                is_public_utility=public_utility, is_synthetic=True,
            ))
        history_fields = [name for name in history if name not in ("above_scale", "production_start_year",
                                                                   "public_utility")]
        services.year_values_record(
            actor=actor, year=HISTORY_YEAR,
            values={enterprise.pk: _value_dict(history, index, history_fields) for index, enterprise in enumerate(created)},
            source_kind=SourceKind.OTHER, source_label="演示历史数据（2024年度各部门汇总）",
        )
        services.year_values_record(
            actor=actor, year=CURRENT_YEAR,
            values={enterprise.pk: _value_dict(current, index, ("water", "gas")) for index, enterprise in enumerate(created)},
            source_kind=SourceKind.OTHER, source_label="演示数据（2025年度水务、燃气公司用量）",
        )
        services.policy_table_save(actor=actor, year=HISTORY_YEAR, config=DEFAULT_POLICY_TABLE)
        services.low_efficiency_matters_register(actor=actor)
        scheme_2024 = services.scheme_save(actor=actor, code=DEMO_SCHEME_CODE, name="", year=HISTORY_YEAR,
                                           config=RANK_SHARE_THREE_INDICATORS)
        services.scheme_save(actor=actor, code=DEMO_SCHEME_CODE, name="", year=CURRENT_YEAR,
                             config=RANK_SHARE_THREE_INDICATORS)
        if not EvaluationRun.objects.filter(year=HISTORY_YEAR, status=RunStatus.PUBLISHED).exists() and actor:
            run = services.evaluation_run_execute(actor=actor, year=HISTORY_YEAR, scheme=scheme_2024,
                                                  reason="2024年度初评（演示）")
            reviewer = _reviewer(actor)
            if reviewer is not None:
                # Signed off three weeks ago: its objection window has passed and the results are in effect.
                with clock.frozen(clock.now() - dt.timedelta(days=21)):
                    services.evaluation_run_publish(actor=reviewer, run=run,
                                                    sign_off_note="经领导小组审定，同意发布（演示）")
    stdout.write(f"  enterprises: {len(created)} demo enterprises, {HISTORY_YEAR} published\n")


# ---------------------------------------------------------------- demo source files


def _xlsx(headers: list[str], rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook has one sheet
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    return xlsx_bytes(workbook)


def _csv(headers: list[str], rows: list[list[Any]], encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue().encode(encoding)


def _cell(value: float) -> float | None:
    return None if math.isnan(value) else value


def demo_source_files(*, year: int = CURRENT_YEAR, seed: int = 20260101,
                      enterprises: Sequence[Enterprise] | None = None) -> list[tuple[str, bytes, str]]:
    """Three source files (file name, content, source kind) with the year's figures of ``enterprises``
    (default: the demo enterprises), including the bad rows a real import has: an invalid code, an
    unknown enterprise, a duplicated row, a conflicting figure, GBK encoding, missing emissions."""
    if enterprises is None:
        enterprises = list(Enterprise.objects.filter(is_synthetic=True).order_by("pk"))
    size = len(enterprises)
    _history, current = demo_figures(size=max(size, 1), seed=seed)
    rng = np.random.default_rng(seed + 11)
    tax_rows: list[list[Any]] = []
    energy_rows: list[list[Any]] = []
    environment_rows: list[list[Any]] = []
    for index, enterprise in enumerate(enterprises):
        code, name = enterprise.credit_code, enterprise.name
        tax_rows.append([code, name, _cell(current["tax"][index]), _cell(current["sales"][index]),
                         _cell(current["added_value"][index]), _cell(current["rd"][index]),
                         _cell(current["employees"][index]), int(current["high_tech"][index])])
        conflicting_sales = round(float(current["sales"][index]) * 1.1, 1) if index % 40 == 3 else None
        energy_rows.append([code, name, _cell(current["energy_tce"][index]), _cell(current["electricity"][index]),
                            enterprise.land_area_mu, conflicting_sales])
        if math.isnan(current["cod"][index]):
            continue  # the environment bureau has no emission record for this enterprise
        environment_rows.append([code, name, _cell(current["cod"][index]), _cell(current["ammonia"][index]),
                                 _cell(current["so2"][index]), _cell(current["nox"][index]),
                                 int(current["environmental_penalties"][index]),
                                 "是" if current["major_environment_incident"][index] > 0 else "否"])
    if tax_rows:
        tax_rows.append(["91320402MA1XXXXX9Z", "常州笔误代码有限公司", 12.5, 300.0, 80.0, 5.0, 20, 0])
        unknown = credit_code_build(authority="9", organisation_type="1", division=DEMO_DIVISION_CODE,
                                    organisation_body="MA" + "".join(
                                        _ORGANISATION_CHARS[int(i)] for i in rng.integers(0, 31, 6)))
        tax_rows.append([unknown, "常州未登记制造有限公司", 40.0, 900.0, 210.0, 12.0, 35, 0])
        tax_rows.append(list(tax_rows[min(5, size - 1)]))  # the same enterprise twice in one file
    tax_headers = ["统一社会信用代码", "企业名称", "税收实际贡献（万元）", "营业收入（万元）", "工业增加值（万元）",
                   "研发经费支出（万元）", "年平均职工人数（人）", "高新技术企业"]
    energy_headers = ["统一社会信用代码", "企业名称", "综合能耗（吨标准煤）", "用电量（万千瓦时）", "用地面积（亩）",
                      "营业收入（万元）"]
    environment_headers = ["统一社会信用代码", "企业名称", "化学需氧量（吨）", "氨氮（吨）", "二氧化硫（吨）", "氮氧化物（吨）",
                           "环保行政处罚次数", "重大环境污染事件"]
    return [
        (f"{year}年度税收与经营数据-税务局.xlsx", _xlsx(tax_headers, tax_rows), SourceKind.TAX),
        (f"{year}年度能耗用电-发改供电.csv", _csv(energy_headers, energy_rows, "gbk"), SourceKind.ENERGY),
        (f"{year}年度主要污染物排放-生态环境局.csv", _csv(environment_headers, environment_rows, "utf-8-sig"),
         SourceKind.ENVIRONMENT),
    ]
