"""Target revisions, report versions and the two evaluation reports (.docx) of the demo plan.

The demo plan's indicator system with hand-chosen figures, one indicator per group, worked out by hand
(plan 2020 → 2025; 2023: 时序进度 0.6):

* 经济强 TN16 每万人拥有发明专利数 26.43 → 31 件: 2023 29.6 → progress 3.17/4.57 = 0.6937, ratio
  1.1561 (超序时, 116%); 2025 31.4 ≥ 31 (完成).
* 百姓富 TN20 城镇登记失业率 ≤ 3 % (约束性, no baseline: start 2021 2.1): 2023 2.8 complies (符合序时),
  but 2.8·(2.8/2.1) = 3.73 in 2025 breaks the bound → red flag; 2025 3.2 (未完成, 差0.2).
* 环境美 TN28 PM2.5 ≤ 35 (约束性, baseline 36.5): 2023 37.2, ratio 1 − 2.2/35 = 0.937 (滞后); 2025 34.6 (完成).
* 社会文明程度高 TN36 人均接受文化场馆服务次数 15 次 (start 2021 10): 2023 11 → share (2023−2021)/4 =
  0.5, expected 12.5, ratio (1/5)/0.5 = 0.4 (严重滞后); projection 11·1.1 = 12.1 covers 42 % → revision
  proposed; target revised to 13 from 2024 (天人常〔2023〕8号); 2025 12.4 < 13 (未完成, 差0.6).
"""

from __future__ import annotations

import io

import docx
import pytest

from zhili.audit.models import AuditRecord
from zhili.core.errors import ApplicationError
from zhili.indicators import selectors, services
from zhili.indicators.contracts import ObservationInput
from zhili.indicators.evaluation import Status
from zhili.indicators.files import reports as report_files
from zhili.indicators.models import EvaluationReport, Indicator, Plan, ReportStatus, TargetRevision
from zhili.indicators.tests.factories import tianning_plan_create, user_create

FIGURES = {
    "TN16": {2021: 27.4, 2022: 28.5, 2023: 29.6, 2024: 30.5, 2025: 31.4},
    "TN20": {2021: 2.1, 2022: 2.4, 2023: 2.8, 2024: 3.1, 2025: 3.2},
    "TN28": {2021: 34.8, 2022: 35.9, 2023: 37.2, 2024: 35.5, 2025: 34.6},
    "TN36": {2021: 10.0, 2022: 10.5, 2023: 11.0, 2024: 12.0, 2025: 12.4},
}
REFERENCE = "天人常〔2023〕8号"


def _demo_plan_with_figures(planner) -> Plan:  # type: ignore[no-untyped-def]
    plan = tianning_plan_create()
    items = [ObservationInput(indicator_id=Indicator.objects.get(plan=plan, code=code).pk, year=year,
                                       value=value, source="测试")
             for code, series in FIGURES.items() for year, value in series.items()]
    services.observations_record_many(plan=plan, items=items, actor=planner)
    services.target_revision_record(indicator=Indicator.objects.get(plan=plan, code="TN36"), target_value=13.0,
                                    effective_from_year=2024, decision_reference=REFERENCE,
                                    reason="中期评估后调整", actor=planner)
    return plan


def _paragraphs(content: bytes) -> tuple[list[str], list[str], list[list[list[str]]]]:
    document = docx.Document(io.BytesIO(content))
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    texts = [p.text for p in document.paragraphs]
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    return headings, texts, tables


@pytest.mark.django_db
def test_a_target_revision_without_a_decision_reference_is_refused() -> None:
    planner = user_create("planner")
    plan = tianning_plan_create()
    indicator = Indicator.objects.get(plan=plan, code="TN36")
    with pytest.raises(ApplicationError) as error:
        services.target_revision_record(indicator=indicator, target_value=13.0, effective_from_year=2024,
                                        decision_reference="  ", actor=planner)
    assert error.value.code == "target_revision_reference_required"
    assert "决定文号" in error.value.message
    with pytest.raises(ApplicationError) as outside:
        services.target_revision_record(indicator=indicator, target_value=13.0, effective_from_year=2026,
                                        decision_reference=REFERENCE, actor=planner)
    assert outside.value.code == "target_revision_year_invalid"
    assert TargetRevision.objects.count() == 0
    assert not AuditRecord.objects.filter(action="indicator.target_revise").exists()


@pytest.mark.django_db
def test_the_evaluation_shows_which_target_applied_when() -> None:
    planner = user_create("planner")
    plan = _demo_plan_with_figures(planner)
    indicator = Indicator.objects.get(plan=plan, code="TN36")
    detail = selectors.indicator_detail(indicator, 2025)
    by_year = {item.evaluation.year: item for item in detail.years}
    assert [by_year[year].target.value for year in (2021, 2022, 2023, 2024, 2025)] == [15, 15, 15, 13, 13]
    assert by_year[2024].target.decision_reference == REFERENCE
    # 2024: start 2021 10, share 3/4; against 13: progress 2/3, ratio 0.8889 (滞后); against 15 it would be 0.5333.
    assert by_year[2024].evaluation.ratio == pytest.approx((2 / 3) / 0.75)
    assert by_year[2024].evaluation.status == Status.LAGGING
    assert by_year[2023].evaluation.ratio == pytest.approx(0.4)
    revision = TargetRevision.objects.get(indicator=indicator)
    assert (revision.revision, revision.previous_value, revision.target_value) == (1, 15.0, 13.0)
    assert Indicator.objects.get(pk=indicator.pk).target_value == 15.0  # the plan's target stays as stated
    second = services.target_revision_record(indicator=indicator, target_value=12.5, effective_from_year=2025,
                                             decision_reference="天人常〔2024〕3号", actor=planner)
    assert (second.revision, second.previous_value) == (2, 13.0)
    assert selectors.indicator_detail(indicator, 2025).target.value == 12.5  # type: ignore[union-attr]


@pytest.mark.django_db
def test_editing_an_issued_report_creates_a_new_version_and_keeps_the_old() -> None:
    planner = user_create("planner")
    plan = _demo_plan_with_figures(planner)
    draft = services.evaluation_report_generate(plan=plan, stage="midterm", year=2023, actor=planner)
    assert (draft.version, draft.status) == (1, ReportStatus.DRAFT)
    edited = services.evaluation_report_edit(report=draft, texts={"advice": "第一段\n\n第二段"}, actor=planner)
    assert not edited.new_version
    assert edited.report.pk == draft.pk
    issued = services.evaluation_report_issue(report=draft, actor=planner)
    original_sections = list(issued.sections)
    result = services.evaluation_report_edit(report=issued, texts={"advice": "印发后的修改"}, actor=planner)
    assert result.new_version
    assert (result.report.version, result.report.status, result.report.based_on_id) == (2, ReportStatus.DRAFT,
                                                                                        issued.pk)
    kept = EvaluationReport.objects.get(pk=issued.pk)
    assert kept.status == ReportStatus.ISSUED
    assert kept.sections == original_sections
    assert next(s for s in kept.sections if s["key"] == "advice")["paragraphs"] == ["第一段", "第二段"]
    assert next(s for s in result.report.sections if s["key"] == "advice")["paragraphs"] == ["印发后的修改"]
    with pytest.raises(ApplicationError) as empty:
        services.evaluation_report_edit(report=result.report, texts={"advice": " \n "}, actor=planner)
    assert empty.value.code == "report_section_empty"
    with pytest.raises(ApplicationError) as twice:
        services.evaluation_report_issue(report=kept, actor=planner)
    assert twice.value.code == "report_already_issued"
    assert EvaluationReport.objects.filter(plan=plan).count() == 2


@pytest.mark.django_db
def test_midterm_and_final_reports_of_the_demo_plan_differ_in_structure_and_text() -> None:
    planner = user_create("planner")
    plan = _demo_plan_with_figures(planner)
    midterm = services.evaluation_report_generate(plan=plan, stage="midterm", year=2023, actor=planner)
    final = services.evaluation_report_generate(plan=plan, stage="final", year=2025, actor=planner)
    mid_headings, mid_texts, mid_tables = _paragraphs(report_files.evaluation_report_docx(midterm))
    final_headings, final_texts, final_tables = _paragraphs(report_files.evaluation_report_docx(final))

    assert mid_texts[0] == "天宁区“十四五”规划中期评估报告（2023年）"
    assert final_texts[0] == "天宁区“十四五”规划末期评估（总结评估）报告"
    assert [h for h in mid_headings if h[:2] in ("一、", "二、", "三、", "四、", "五、", "六、")] == [
        "一、总体评价", "二、主要成效", "三、存在的问题", "四、目标调整建议", "五、下一步工作建议", "六、分组指标情况"]
    assert [h for h in final_headings if h[:2] in ("一、", "二、", "三、", "四、", "五、", "六、")] == [
        "一、总体结论", "二、目标完成情况", "三、分组完成情况", "四、未完成目标原因分析", "五、经验与下一规划期建议"]
    for headings in (mid_headings, final_headings):
        assert "附录  三种进度测算方法对照" in headings
        assert headings[-1] == "评估方法说明"
    assert [h for h in mid_headings if h in
                                                    ("经济强", "百姓富", "环境美", "社会文明程度高")] == ["经济强", "百姓富", "环境美", "社会文明程度高"]

    mid = "\n".join(mid_texts)
    # 总体评价: 41 indicators, 4 with data (超序时 TN16, 符合序时 TN20, 滞后 TN28, 严重滞后 TN36), 2 green of 4.
    assert ("天宁区“十四五”规划实施至2023年，时序进度为60%。纳入评估的41项指标中，有数据的4项，超序时1项、符合序时1项、"
            "滞后1项、严重滞后1项、无数据37项；达到或超过序时进度的2项，占有数据指标的50%。约束性指标8项，其中2项存在不能完成的风险。") in mid
    # 成效 (经济强).
    assert "每万人拥有发明专利数由2020年的26.43件提高到2023年的29.6件，提高3.17件，目标31件，超序时。" in mid
    # 问题: 约束性 red flags whatever the trend (百姓富 complies now; 环境美 lags), then the others (社会文明).
    assert "约束性指标城镇登记失业率当前符合序时，但按趋势外推至目标年为3.73%，存在不能完成的风险，列为红色预警。" in mid
    assert ("约束性指标PM2.5浓度2023年为37.2微克/立方米，未达到约束值不高于35微克/立方米，偏离2.2微克/立方米。"
            "必须确保完成，列为红色预警。") in mid
    assert "人均接受文化场馆服务次数2023年为11次，低于序时应达值12.5次（差1.5次），完成进度为序时进度的40%，严重滞后。" in mid
    # 目标调整建议: proposed from the projection, and the decided revision.
    assert ("人均接受文化场馆服务次数按趋势外推至2025年为12.1，只完成所需变化的42%，建议在加大推进力度的同时，"
            "研究将目标调整为12.1次，报区人大常委会审议。") in mid
    assert f"人均接受文化场馆服务次数目标已经{REFERENCE}调整：15→13（自2024年起适用）。" in mid
    # One generated sentence per group.
    assert "经济强类18项指标中，超序时1项、无数据17项。进度最快的是每万人拥有发明专利数，为序时进度的116%。" in mid
    assert "百姓富类6项指标中，符合序时1项、无数据5项。进度最快的是城镇登记失业率，为序时进度的100%。" in mid
    assert "环境美类9项指标中，滞后1项、无数据8项。" in mid
    assert "社会文明程度高类8项指标中，严重滞后1项、无数据7项。" in mid
    # Appendix: the three measures of TN20 disagree, with the reason.
    appendix = mid_tables[-1]
    assert appendix[0] == ["序号", "指标", "CAGR比值", "进度/序时", "目标年预测", "一致性/不一致的原因"]
    tn20 = next(row for row in appendix if row[1] == "城镇登记失业率")
    assert tn20[3] == "100%（符合序时）"
    assert tn20[5] == "当年值2.8符合约束值3，但按基期以来的变化趋势外推至2025年为3.73，将突破约束。"
    tn16 = next(row for row in appendix if row[1] == "每万人拥有发明专利数")
    assert tn16[5] == "一致"

    final_text = "\n".join(final_texts)
    assert ("天宁区“十四五”规划实施期（2020—2025年）已结束。41项指标中，完成目标的2项、未完成的2项、缺少数据无法判断的37项，"
            "完成率50%。约束性指标8项，完成1项。") in final_text
    assert "每万人拥有发明专利数：由2020年的26.43件变为31.4件，目标31件，完成。" in final_text
    assert "城镇登记失业率：由2021年的2.1%变为3.2%，目标不高于3%，未完成，差0.2%。" in final_text
    assert "PM2.5浓度：由2020年的36.5微克/立方米变为34.6微克/立方米，目标不高于35微克/立方米，完成。" in final_text
    assert (f"人均接受文化场馆服务次数：由2021年的10次变为12.4次，目标13次（目标经{REFERENCE}由15调整为13），"
            "未完成，差0.6次。") in final_text
    assert "经济强类18项指标完成1项、未完成0项。" in final_text
    assert "百姓富类6项指标完成0项、未完成1项，未完成的是城镇登记失业率。" in final_text
    assert "环境美类9项指标完成1项、未完成0项。" in final_text
    assert "社会文明程度高类8项指标完成0项、未完成1项，未完成的是人均接受文化场馆服务次数。" in final_text
    targets_table = next(table for table in final_tables if table[0][-1] == "结论")
    verdicts = {row[1]: row[-1] for row in targets_table[1:]}
    assert verdicts["每万人拥有发明专利数"] == "完成"
    assert verdicts["城镇登记失业率"] == "未完成"
    assert verdicts["人均地区生产总值"] == "无法判断"
    # The texts differ, not just the title: no generated paragraph is shared.
    mid_narrative = {text for section in midterm.sections for text in section["paragraphs"]}
    final_narrative = {text for section in final.sections for text in section["paragraphs"]}
    assert mid_narrative
    assert final_narrative
    assert not mid_narrative & final_narrative


@pytest.mark.django_db
def test_a_report_exports_as_pdf() -> None:
    planner = user_create("planner")
    plan = _demo_plan_with_figures(planner)
    report = services.evaluation_report_generate(plan=plan, stage="final", year=2025, actor=planner)
    pdf = report_files.docx_to_pdf(report_files.evaluation_report_docx(report), stem="final")
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 20_000  # text, tables and the status chart


@pytest.mark.django_db
def test_reminders_before_the_data_deadline_name_each_department() -> None:
    import datetime as dt

    from django.core import mail

    user_create("planner").__class__.objects.filter(username="planner").update(email="planner@example.org")
    plan = tianning_plan_create()
    services.observations_record_many(plan=plan, items=[ObservationInput(
        indicator_id=Indicator.objects.get(plan=plan, code="TN16").pk, year=2025, value=31.4)], actor=None)
    assert services.indicator_data_reminders_send(today=dt.date(2026, 3, 2)) == []
    sent = services.indicator_data_reminders_send(today=dt.date(2026, 3, 24))
    assert [(item.plan_code, item.data_year, item.days_left, item.recipients) for item in sent] == [
        ("tianning-14th", 2025, 7, 1)]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "【数据报送提醒】天宁区“十四五”规划 2025年度数据将于2026-03-31截止（还有7天）"
    body = mail.outbox[0].body
    assert "区市场监管局：每千人食品抽检率" in body  # TN16 (same department) was reported, TN41 not
    assert "每万人拥有发明专利数" not in body
    assert AuditRecord.objects.filter(action="indicator.data_reminder").count() == 1
