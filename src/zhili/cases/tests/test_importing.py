from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from zhili.cases.models import (
    Case,
    CaseEvent,
    ImportStatus,
    ImportValueKind,
    ImportValueMapping,
    Notification,
)
from zhili.cases.services.importing import (
    IMPORT_FIELD_LIST,
    history_time,
    import_batch_check,
    import_batch_commit,
    import_batch_upload,
    import_mapping_guess,
    import_training_examples,
    import_value_mappings_save,
)
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.services.sla import case_sla_sweep
from zhili.cases.states import CaseAction, CaseStatus
from zhili.cases.tests.factories import People, World
from zhili.cases.tests.history_files import (
    EXPORT_HEADERS,
    export_row,
    five_sheet_export,
    history_rows,
    history_workbook,
    history_xls,
)
from zhili.core import clock
from zhili.core.errors import ApplicationError
from zhili.geo.models import Department

CHINA = clock.CHINA_TIME_ZONE
CSV_TEXT = (
    "原工单号,来电时间,来电内容,事发地址,事项,办结时间,办理结果,满意度\n"
    "H1,2025-03-01 09:30,小区垃圾没人清运,青年路88号阳光花园3幢,垃圾清运,2025-03-03 16:00,已清运,满意\n"
    "H2,2025/3/2 10:00,晚上施工噪音扰民,,噪声扰民,,,\n"
)


def upload(content: bytes, name: str, people: People) -> int:
    return import_batch_upload(name=name, stream=io.BytesIO(content), size=len(content), actor=people.operator).pk


def checked(content: bytes, name: str, people: People, **options: Any) -> Any:
    batch = import_batch_upload(name=name, stream=io.BytesIO(content), size=len(content), actor=people.operator)
    return import_batch_check(batch_id=batch.pk, mapping=import_mapping_guess(batch.headers), actor=people.operator,
                              **options)


@pytest.mark.parametrize(("value", "expected"), [
    ("2016-03-01 09:30:05.000", dt.datetime(2016, 3, 1, 9, 30, 5)),
    ("2016-03-01 09:30:05.123456", dt.datetime(2016, 3, 1, 9, 30, 5)),
    ("2016-03-01 09:30", dt.datetime(2016, 3, 1, 9, 30)),
    ("2016-03-01T09:30:05", dt.datetime(2016, 3, 1, 9, 30, 5)),
    ("2016/3/1 9:30:05", dt.datetime(2016, 3, 1, 9, 30, 5)),
    ("2016.03.01", dt.datetime(2016, 3, 1)),
    ("2016年3月1日 9时30分", dt.datetime(2016, 3, 1, 9, 30)),
    ("2016年3月1日", dt.datetime(2016, 3, 1)),
    (42430.396, dt.datetime(2016, 3, 1, 9, 30, 14)),
    ("42430.5", dt.datetime(2016, 3, 1, 12, 0)),
    (dt.datetime(2016, 3, 1, 9, 30, 5, 999_000), dt.datetime(2016, 3, 1, 9, 30, 5)),
    (dt.date(2016, 3, 1), dt.datetime(2016, 3, 1)),
])
def test_timestamps_in_every_shape_an_export_writes(value: object, expected: dt.datetime) -> None:
    assert history_time(value) == expected.replace(tzinfo=CHINA)


@pytest.mark.parametrize("value", ["", None, "不详", "2016-13-01", "12", 5.0, "2016-02-30 10:00"])
def test_not_a_timestamp(value: object) -> None:
    assert history_time(value) is None


def test_every_sheet_is_read_and_the_export_headers_are_recognised(world: World, people: People) -> None:
    content, rows = five_sheet_export(rows_per_sheet=4)
    batch = checked(content, "工单历史.xlsx", people)
    assert [sheet["name"] for sheet in batch.sheets] == ["2016年", "2017年", "2018年", "2019年", "2020年"]
    assert [sheet["row_count"] for sheet in batch.sheets] == [4, 4, 4, 4, 4]
    assert batch.row_count == 20
    assert {key: batch.mapping[key] for key in ("external_id", "description", "created_at", "handling_unit",
                                                "dispatched_at", "finished_at", "source_status", "reply_text",
                                                "category_level1", "category_level3", "urgency", "appeal_type",
                                                "intake_channel", "intake_type", "reporter_name")} == {
        "external_id": "工单编号", "description": "主要内容", "created_at": "受理时间", "handling_unit": "办理单位",
        "dispatched_at": "转办时间", "finished_at": "办结时间", "source_status": "工单状态",
        "reply_text": "办理情况", "category_level1": "一级分类", "category_level3": "三级分类",
        "urgency": "紧急程度", "appeal_type": "来电类别", "intake_channel": "受理渠道", "intake_type": "受理类型",
        "reporter_name": "来电人"}
    assert (batch.error_count, batch.set_aside_count) == (0, 0)
    assert batch.report["per_sheet"]["2018年"] == {"rows": 4, "valid": 4, "errors": 0, "skipped": 0}
    # one row in four closes 1–25 s "before" intake once rounded to the minute: counted as at intake
    assert batch.report["closings_adjusted"] == 5
    departments = {item["value"]: item["count"] for item in batch.report["values"]["department"]}
    assert departments == {"区城管局": 5, "区住建局": 5, "区生态环境局": 5, "红梅街道办事处": 5}
    assert batch.report["values"]["category"][0] == {"value": "城乡建设/市政设施/路灯", "count": 5, "mapped": "",
                                                       "suggested": "category:CXJS", "why": "名称相近（100）"}
    assert len(rows) == 20
    assert Case.objects.count() == 0


def test_history_lands_as_history(world: World, people: People) -> None:
    content, rows = five_sheet_export(rows_per_sheet=3)
    import_value_mappings_save(kind=ImportValueKind.DEPARTMENT, entries=[("区城管局", "CG"), ("区生态环境局", "external")],
                               actor=people.operator)
    import_value_mappings_save(kind=ImportValueKind.CATEGORY, entries=[("城乡建设/环境卫生", "matter:M001")],
                               actor=people.operator)
    batch = checked(content, "工单历史.xlsx", people)
    batch = import_batch_commit(batch_id=batch.pk, actor=people.operator)
    assert (batch.status, batch.imported_count, batch.skipped_count) == (ImportStatus.COMMITTED, 15, 0)
    first = rows[0]  # 2016, 城管局, 路灯
    case = Case.objects.get(external_id=first.number)
    assert case.status == CaseStatus.ARCHIVED
    assert case.created_at == first.received.replace(tzinfo=CHINA)
    assert first.finished is not None
    assert case.finished_at == (first.finished + dt.timedelta(seconds=30)).replace(second=0, tzinfo=CHINA)
    assert case.number == f"{first.received:%Y%m%d}000001"
    assert (case.department_id, case.source_handling_unit, case.source_classification) == (
        world.department_cg.pk, "区城管局", "城乡建设/市政设施/路灯")
    assert case.category_id is None  # 路灯 has no mapping yet: kept as the source classification
    assert (case.reply_text, case.stage_due_at, case.sla_state, case.attributes["工单状态"]) == (
        first.reply, None, "normal", "已办结")
    garbage = Case.objects.get(external_id=rows[1].number)
    assert (garbage.matter_id, garbage.category_id, garbage.department_id) == (
        world.matter_garbage.pk, world.category_city.pk, None)  # 区住建局 unmapped: no department
    external = Case.objects.get(external_id=rows[2].number)
    assert (external.department_id, external.source_handling_unit) == (None, "区生态环境局")
    events = list(CaseEvent.objects.filter(case=case).values_list("action", "occurred_at", "data"))
    assert [action for action, _at, _data in events] == ["create", "reply", "archive"]
    assert (events[0][1], events[2][1]) == (case.created_at, case.finished_at)
    assert (events[0][2]["imported"], events[0][2]["sheet"], events[0][2]["row"]) == (True, "2016年", 2)
    # never notified, never swept overdue — even by a first sweep that scans every deadline
    assert Notification.objects.count() == 0
    result = case_sla_sweep(at=clock.now() + dt.timedelta(days=400))
    assert Case.objects.filter(sla_state="overdue").count() == 0
    assert Notification.objects.count() == 0
    assert result is not None


def test_an_empty_text_blocks_the_file_unless_the_bad_rows_are_set_aside(world: World, people: People,
                                                                          settings: Any) -> None:
    rows = history_rows(4, year=2017)
    bad_text = export_row(rows[1])
    bad_text[EXPORT_HEADERS.index("主要内容")] = ""
    no_time = export_row(rows[2])
    no_time[EXPORT_HEADERS.index("受理时间")] = ""
    content = history_workbook([("2017", [export_row(rows[0]), bad_text, no_time, export_row(rows[3])])])
    batch = checked(content, "history.xlsx", people)
    assert [(error["sheet"], error["row"], error["column"], error["message"]) for error in batch.errors] == [
        ("2017", 3, "主要内容", "诉求内容为空"), ("2017", 4, "受理时间", "受理时间为空")]
    with pytest.raises(ApplicationError) as refused:
        import_batch_commit(batch_id=batch.pk, actor=people.operator)
    assert refused.value.code == "import_has_errors"
    assert Case.objects.count() == 0
    batch = import_batch_commit(batch_id=batch.pk, actor=people.operator, set_aside=True)
    assert (batch.imported_count, batch.set_aside_count) == (2, 2)
    assert sorted(Case.objects.values_list("external_id", flat=True)) == [rows[0].number, rows[3].number]
    workbook = load_workbook(Path(batch.set_aside_file.path))
    sheet = workbook["2017"]
    table = list(sheet.iter_rows(values_only=True))
    assert (table[0][:3], table[0][-1]) == (("原工作表", "原行号", "工单编号"), "原因")
    assert [(row[0], row[1], row[2], row[-1]) for row in table[1:]] == [
        ("2017", 3, rows[1].number, "主要内容：诉求内容为空"), ("2017", 4, rows[2].number, "受理时间：受理时间为空")]


def test_a_reimport_updates_nothing_and_says_so(world: World, people: People) -> None:
    content, _rows = five_sheet_export(rows_per_sheet=2)
    import_batch_commit(batch_id=checked(content, "a.xlsx", people).pk, actor=people.operator)
    before = list(Case.objects.order_by("id").values_list("id", "updated_at"))
    again = checked(content, "a.xlsx", people)
    assert (again.skipped_count, again.report["per_sheet"]["2016年"]) == (10, {"rows": 2, "valid": 0, "errors": 0,
                                                                               "skipped": 2})
    assert again.report["skipped"][0]["case_number"] == Case.objects.order_by("id").first().number  # type: ignore[union-attr]
    committed = import_batch_commit(batch_id=again.pk, actor=people.operator)
    assert (committed.imported_count, committed.skipped_count) == (0, 10)
    assert list(Case.objects.order_by("id").values_list("id", "updated_at")) == before


def test_the_same_number_on_two_sheets_names_both(world: World, people: People) -> None:
    rows = history_rows(2, year=2018)
    content = history_workbook([("上半年", [export_row(rows[0])]), ("下半年", [export_row(rows[1]),
                                                                          export_row(rows[0])])])
    batch = checked(content, "dup.xlsx", people)
    assert [(error["sheet"], error["row"], error["column"], error["message"]) for error in batch.errors] == [
        ("下半年", 3, "工单编号", f"工单编号「{rows[0].number}」与工作表「上半年」第 2 行重复")]


def test_a_sheet_with_other_headers(world: World, people: People) -> None:
    rows = history_rows(3, year=2019)
    other = ["工单号" if header == "工单编号" else "诉求内容" if header == "主要内容" else header
             for header in EXPORT_HEADERS]
    lacking = [header for header in EXPORT_HEADERS if header != "主要内容"]
    row_without_text = [value for header, value in zip(EXPORT_HEADERS, export_row(rows[2]), strict=True)
                        if header != "主要内容"]
    content = history_workbook([("A", [export_row(rows[0])]), ("B", [export_row(rows[1])]),
                                ("C", [row_without_text])], headers_by_sheet={"B": other, "C": lacking})
    batch = checked(content, "mixed.xlsx", people)
    assert batch.report["per_sheet"]["B"] == {"rows": 1, "valid": 1, "errors": 0, "skipped": 0}
    blocking = [error for error in batch.errors if not error.get("warning")]
    assert [(error["sheet"], error["row"], error["column"]) for error in blocking] == [("C", 1, "诉求内容")]
    assert blocking[0]["message"].startswith("工作表「C」没有「诉求内容」列（诉求内容 必填）")


def test_a_department_mapped_to_two_departments_is_refused(world: World, people: People) -> None:
    with pytest.raises(ApplicationError) as refused:
        import_value_mappings_save(kind=ImportValueKind.DEPARTMENT, entries=[("区城管局", "CG"), ("区城管局", "HB")],
                                   actor=people.operator)
    assert refused.value.message == "「区城管局」同时对应了「CG」和「HB」，一个来源值只能对应一个目标，请只保留一个。"
    assert ImportValueMapping.objects.count() == 0


def test_a_mapping_made_afterwards_applies_to_the_imported_cases(world: World, people: People) -> None:
    content, _rows = five_sheet_export(rows_per_sheet=5)
    import_batch_commit(batch_id=checked(content, "a.xlsx", people).pk, actor=people.operator)
    assert Case.objects.filter(department__isnull=False).count() == 0
    saved = import_value_mappings_save(kind=ImportValueKind.DEPARTMENT,
                                       entries=[("区城管局", "城管局"), ("区住建局", "new")], actor=people.operator)
    assert saved == {"saved": 2, "cases_updated": 10}
    created = Department.objects.get(name="区住建局")
    assert created.code == "IMP-0001"
    assert Case.objects.filter(department=world.department_cg).count() == 5
    assert Case.objects.filter(department=created).count() == 5
    saved = import_value_mappings_save(kind=ImportValueKind.CATEGORY, entries=[("城乡建设", "category:CXJS"),
                                                                               ("环境保护", "matter:M003")],
                                       actor=people.operator)
    assert saved == {"saved": 2, "cases_updated": 20}
    assert Case.objects.filter(matter=world.matter_noise).count() == 5
    assert Case.objects.filter(category=world.category_city, matter__isnull=True).count() == 15


def test_a_legacy_xls_imports(world: World, people: People) -> None:
    rows = history_rows(2, year=2016)
    cells = [export_row(row) for row in rows]
    cells[0][EXPORT_HEADERS.index("受理时间")] = rows[0].received  # a real date cell
    batch = checked(history_xls(cells), "旧系统导出.xls", people)
    assert (batch.file_format, batch.row_count, batch.error_count) == ("xls", 2, 0)
    committed = import_batch_commit(batch_id=batch.pk, actor=people.operator)
    assert committed.imported_count == 2
    assert Case.objects.get(external_id=rows[0].number).created_at == rows[0].received.replace(tzinfo=CHINA)


def test_an_xls_that_is_really_html_gets_a_clear_message(world: World, people: People) -> None:
    page = "<html><head><meta charset='utf-8'></head><body><table><tr><td>工单编号</td></tr></table></body></html>"
    with pytest.raises(ApplicationError) as refused:
        upload(page.encode(), "导出.xls", people)
    assert refused.value.code == "file_is_html"
    assert "实际是网页（HTML）表格" in refused.value.message
    assert "另存为 .xlsx" in refused.value.message


def test_closing_far_before_intake_is_an_error(world: World, people: People) -> None:
    rows = history_rows(1, year=2020)
    cells = export_row(rows[0])
    cells[EXPORT_HEADERS.index("办结时间")] = f"{rows[0].received - dt.timedelta(minutes=5):%Y-%m-%d %H:%M:%S}"
    batch = checked(history_workbook([("S", [cells])]), "a.xlsx", people)
    assert [error["message"] for error in batch.errors] == ["办结时间比受理时间早 5 分钟"]
    tolerant = checked(history_workbook([("S", [cells])]), "a.xlsx", people, close_tolerance_seconds=600)
    assert (tolerant.error_count, tolerant.report["closings_adjusted"]) == (0, 1)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding(encoding: str, world: World, people: People) -> None:
    batch = checked(CSV_TEXT.encode(encoding), "history.csv", people)
    assert batch.sheets[0]["headers"][:3] == ["原工单号", "来电时间", "来电内容"]
    assert (batch.row_count, batch.error_count, batch.status) == (2, 0, ImportStatus.CHECKED)
    committed = import_batch_commit(batch_id=batch.pk, actor=people.operator)
    finished = Case.objects.get(external_id="H1")
    assert (committed.imported_count, finished.status, finished.rating, finished.matter_id) == (
        2, CaseStatus.ARCHIVED, "satisfied", world.matter_garbage.pk)
    open_case = Case.objects.get(external_id="H2")
    assert (open_case.status, open_case.matter_id) == (CaseStatus.RECEIVED, world.matter_noise.pk)
    assert open_case.stage_due_at is not None
    assert open_case.stage_due_at > clock.now()


def test_bad_files(world: World, people: People) -> None:
    for name, content, code in (("a.doc", b"whatever", "file_format"), ("a.xlsx", b"not a zip", "file_unreadable"),
                                ("a.csv", b"", "file_empty")):
        with pytest.raises(ApplicationError) as refused:
            upload(content, name, people)
        assert refused.value.code == code


def test_training_examples_are_the_history_and_the_dispatchers_corrections(world: World, people: People) -> None:
    content, _rows = five_sheet_export(rows_per_sheet=3)
    import_value_mappings_save(kind=ImportValueKind.DEPARTMENT, entries=[("区城管局", "CG")], actor=people.operator)
    import_batch_commit(batch_id=checked(content, "a.xlsx", people).pk, actor=people.operator)
    live = case_intake(request=IntakeRequest(channel="hotline", description="小区门口的路灯不亮了", matter_code="M001"),
                       actor=people.operator, dispatch_automatically=False).case
    assert live.department_id == world.department_cg.pk
    case_transition(case_id=live.pk, action=CaseAction.DISPATCH, actor=people.dispatcher,
                    details=TransitionDetails(department_id=world.department_hb.pk))
    examples = import_training_examples(target="department")
    assert len(examples) == 16
    assert examples[-1] == ("小区门口的路灯不亮了", "生态环境局")
    assert {label for _text, label in examples} == {"城管局", "区住建局", "区生态环境局", "生态环境局"}
    categories = import_training_examples(target="category")
    assert (len(categories), {label for _text, label in categories}) == (16, {"城乡建设", "环境保护"})


def test_the_command_lists_every_field_key_and_sets_rows_aside(world: World, people: People, tmp_path: Path,
                                                                 capsys: Any) -> None:
    with pytest.raises(SystemExit):
        call_command("cases_import", "--help")
    help_text = capsys.readouterr().out
    assert all(item.key in help_text for item in IMPORT_FIELD_LIST)
    assert "--set-aside" in help_text
    assert "--sheet" in help_text
    rows = history_rows(3, year=2016)
    bad = export_row(rows[1])
    bad[EXPORT_HEADERS.index("主要内容")] = ""
    path = tmp_path / "工单.xlsx"
    path.write_bytes(history_workbook([("2016", [export_row(rows[0]), bad, export_row(rows[2])])]))
    output = io.StringIO()
    call_command("cases_import", str(path), "--user", people.operator.username, "--map-department", "区城管局=CG",
                 "--set-aside", "--commit", stdout=output)
    printed = output.getvalue()
    assert "description=主要内容（诉求内容）" in printed
    assert "工作表「2016」：3 行，有效 2，有误 1，已导入过 0" in printed
    assert "已导入 2 条工单（跳过已导入 0 条，搁置 1 条）" in printed
    set_aside_path = Path(printed.split("搁置的行及原因：")[1].strip())
    assert (set_aside_path.exists(), set_aside_path.suffix) == (True, ".xlsx")
    assert Case.objects.filter(department=world.department_cg).count() == 1


def test_an_unmapped_source_unit_is_shown_and_exported_as_such(world: World, people: People, client: Any) -> None:
    from zhili.cases.exports import case_file_xlsx
    from zhili.cases.selectors import case_file

    content, rows = five_sheet_export(rows_per_sheet=2)
    import_batch_commit(batch_id=checked(content, "a.xlsx", people).pk, actor=people.operator)
    case = Case.objects.get(external_id=rows[1].number)
    client.force_login(people.operator)
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert "来源办理单位：区住建局" in page
    assert "来源分类：城乡建设/环境卫生/垃圾清运" in page
    exported = load_workbook(io.BytesIO(case_file_xlsx(case_file(case=case, user=people.operator))))
    summary = {row[0]: row[1] for row in exported.worksheets[0].iter_rows(values_only=True) if row and row[0]}
    assert (summary["来源办理单位"], summary["来源分类"]) == ("区住建局", "城乡建设/环境卫生/垃圾清运")
