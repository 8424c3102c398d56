from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.core.errors import ApplicationError
from zhili.textintel.targets import ExtractedTarget, extract_targets, extract_targets_from_file

REPOSITORY = Path(__file__).resolve().parents[4]
PLAN = REPOSITORY.parent / "shared" / "seeds" / "tianning-14th-five-year-plan.txt"
GOLD = Path(__file__).parent / "data" / "tianning_targets_gold.jsonl"


def test_target_with_multiplier_range_comparator_and_period() -> None:
    targets = extract_targets("到2025年，力争高新技术企业达400家左右，积极创建2—3所省级示范学校，一般公共预算收入突破80亿元。")
    assert targets == [
        ExtractedTarget(quote="力争高新技术企业达400家左右", subject="高新技术企业", value=400.0, unit="家",
                        period="2025", kind="target", op="≈"),
        ExtractedTarget(quote="积极创建2—3所", subject="积极创建省级示范学校", value=[2.0, 3.0], unit="所",
                        period="2025", kind="target", op="="),
        ExtractedTarget(quote="一般公共预算收入突破80亿元", subject="一般公共预算收入", value=8_000_000_000.0,
                        unit="元", period="2025", kind="target", op=">"),
    ]


def test_reported_achievements_and_upper_bounds() -> None:
    targets = extract_targets("“十三五”期间，累计新增城镇就业近9万人，城镇登记失业率控制在3%以内，覆盖率达98%以上。")
    assert [(t.value, t.unit, t.kind, t.op, t.period) for t in targets] == [
        (90_000.0, "人", "actual", "≈", "2016-2020"),
        (3.0, "%", "actual", "<=", "2016-2020"),
        (98.0, "%", "actual", ">=", "2016-2020"),
    ]


def test_a_work_report_paragraph_carries_its_year_and_growth_rates_take_the_subject_before_them() -> None:
    text = "一、上年工作回顾\n2023年，全区完成地区生产总值520.3亿元，增长5.2%；一般公共预算收入41亿元，同比增长3.1%；" \
           "粮食、蔬菜产量分别增长2%和4.5%。"
    targets = extract_targets(text)
    assert [(t.subject, t.value, t.unit, t.period, t.kind) for t in targets] == [
        ("地区生产总值", 52_030_000_000.0, "元", "2023", "actual"),
        ("地区生产总值增长", 5.2, "%", "2023", "actual"),
        ("一般公共预算收入", 4_100_000_000.0, "元", "2023", "actual"),
        ("一般公共预算收入增长", 3.1, "%", "2023", "actual"),
        ("粮食、蔬菜产量增长", 2.0, "%", "2023", "actual"),
        ("粮食、蔬菜产量增长", 4.5, "%", "2023", "actual"),
    ]


def test_a_list_of_expected_targets_after_a_colon_is_all_targets_of_that_year() -> None:
    text = "三、今年工作安排\n2024年经济社会发展的主要预期目标是：地区生产总值增长6%左右；" \
           "规模以上工业增加值增长8%；城镇调查失业率控制在5.5%以内；研发投入强度达到3.2%。"
    targets = extract_targets(text)
    assert [(t.subject, t.value, t.period, t.kind, t.op) for t in targets] == [
        ("地区生产总值增长", 6.0, "2024", "target", "≈"),
        ("规模以上工业增加值增长", 8.0, "2024", "target", "="),
        ("城镇调查失业率", 5.5, "2024", "target", "<="),
        ("研发投入强度", 3.2, "2024", "target", "="),
    ]
    # a ratio's colon does not open a list
    assert [t.period for t in extract_targets("产业结构由1.4:29.7:68.9调整为1:25:74。新增企业12家。")] == [None]


def test_densities_schooling_years_and_life_expectancy_are_quantities_but_plain_years_are_not() -> None:
    text = "到2025年，道路网密度达到8.5公里/平方公里，每千人口医疗床位达到6.2张，" \
           "劳动年龄人口平均受教育年限达到12年，人均预期寿命达到81.5岁，2023年起每年开展一次普查。"
    targets = extract_targets(text)
    assert [(t.subject, t.value, t.unit, t.period, t.kind) for t in targets] == [
        ("道路网密度", 8.5, "公里/平方公里", "2025", "target"),
        ("每千人口医疗床位", 6.2, "张", "2025", "target"),
        ("劳动年龄人口平均受教育年限", 12.0, "年", "2025", "target"),
        ("人均预期寿命", 81.5, "岁", "2025", "target"),
    ]


def test_codes_ordinals_years_and_ratios_are_not_quantities() -> None:
    text = "推进5G建设和轨道交通2号线，举办第5届大会，三次产业结构调整为1:25.2:73.8，PM2.5监测，东经120片区。"
    assert extract_targets(text) == []


def test_indicator_table_laid_out_one_cell_per_line() -> None:
    text = "\n".join(["指标名称", "单位", "属性", "2025年", "1", "人均地区生产总值", "万元/人", "预期性", "17", "",
                     "2", "PM2.5浓度", "微克/立方米", "约束性", "35", "3", "排放量", "千克/万元", "约束性", "完成市下达任务"])
    targets = extract_targets(text)
    assert [(t.subject, t.value, t.unit, t.period, t.kind) for t in targets] == [
        ("人均地区生产总值", 170_000.0, "元/人", "2025", "target"),
        ("PM2.5浓度", 35.0, "微克/立方米", "2025", "target"),
    ]


def test_plan_precision_and_recall_against_the_hand_written_gold_list() -> None:
    import importlib.util

    # The bench's own matcher, so the test checks the figure the bench reports.
    spec = importlib.util.spec_from_file_location("bench_targets", REPOSITORY / "bench" / "targets.py")
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    match_targets = bench.match_targets
    extracted = [target.as_dict() for target in extract_targets_from_file(PLAN)]
    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    matched = len(match_targets(extracted, gold))
    assert len(gold) == 199
    assert matched / len(extracted) >= 0.95
    assert matched / len(gold) >= 0.95


def test_docx_paragraphs_and_tables(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("到2025年，全区新建、改扩建学校42所。")
    table = document.add_table(rows=2, cols=5)
    for cell, text in zip(table.rows[0].cells, ["序号", "指标名称", "单位", "属性", "2025年"], strict=True):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ["1", "网格化达标率", "%", "预期性", "98"], strict=True):
        cell.text = text
    path = tmp_path / "plan.docx"
    document.save(str(path))
    targets = extract_targets_from_file(path)
    assert [(t.subject, t.value, t.unit, t.period) for t in targets] == [
        ("新建、改扩建学校", 42.0, "所", "2025"),
        ("网格化达标率", 98.0, "%", "2025"),
    ]


def test_gbk_text_file_and_unsupported_type(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes("2023年，全区累计新增就业1.2万人。".encode("gbk"))
    assert [(t.value, t.unit, t.kind) for t in extract_targets_from_file(path)] == [(12_000.0, "人", "actual")]
    other = tmp_path / "report.pdf"
    other.write_bytes(b"%PDF")
    with pytest.raises(ApplicationError) as raised:
        extract_targets_from_file(other)
    assert raised.value.code == "targets_file_type"


def test_extract_targets_command_prints_json_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.txt"
    path.write_text("到2025年，PM2.5浓度低于35微克/立方米。", encoding="utf-8")
    call_command("extract_targets", str(path))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == [{"quote": "PM2.5浓度低于35微克/立方米", "subject": "PM2.5浓度", "value": 35.0,
                      "unit": "微克/立方米", "period": "2025", "kind": "target", "op": "<"}]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("到2025年力争达约超以上左右以内万亿%家所个—-.:：，。；\n 0123456789预期性约束性亩元人"))
               | st.characters(), max_size=300))
def test_never_crashes_on_any_text(text: str) -> None:
    for target in extract_targets(text):
        assert target.kind in {"target", "actual"}
        assert target.op in {"=", ">=", ">", "≈", "<=", "<"}
