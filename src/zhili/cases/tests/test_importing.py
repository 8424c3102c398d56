from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook

from zhili.cases.models import Case, CaseEvent, ImportStatus
from zhili.cases.services.importing import import_batch_check, import_batch_commit, import_batch_upload
from zhili.cases.states import CaseStatus
from zhili.cases.tests.factories import People, World
from zhili.core.errors import ApplicationError

CSV_TEXT = (
    "原工单号,来电时间,来电内容,事发地址,事项,办结时间,办理结果,满意度\n"
    "H1,2025-03-01 09:30,小区垃圾没人清运,青年路88号阳光花园3幢,垃圾清运,2025-03-03 16:00,已清运,满意\n"
    "H2,2025/3/2 10:00,晚上施工噪音扰民,,噪声扰民,,,\n"
)


def upload(content: bytes, name: str, people: People) -> int:
    return import_batch_upload(name=name, stream=io.BytesIO(content), size=len(content), actor=people.operator).pk


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding_is_read_and_mapped(encoding: str, world: World, people: People) -> None:
    batch_id = upload(CSV_TEXT.encode(encoding), "history.csv", people)
    batch = import_batch_check(batch_id=batch_id, mapping=_mapping(), actor=people.operator)
    assert batch.headers[:3] == ["原工单号", "来电时间", "来电内容"]
    assert (batch.row_count, batch.error_count, batch.status) == (2, 0, ImportStatus.CHECKED)
    assert Case.objects.count() == 0  # a dry run writes no case


def _mapping() -> dict[str, str]:
    return {"external_id": "原工单号", "created_at": "来电时间", "description": "来电内容", "address_text": "事发地址",
            "matter": "事项", "finished_at": "办结时间", "reply_text": "办理结果", "rating": "满意度"}


def test_commit_imports_history_with_its_own_times(world: World, people: People) -> None:
    batch_id = upload(CSV_TEXT.encode("gbk"), "history.csv", people)
    import_batch_check(batch_id=batch_id, mapping=_mapping(), actor=people.operator)
    batch = import_batch_commit(batch_id=batch_id, actor=people.operator)
    assert (batch.status, batch.imported_count) == (ImportStatus.COMMITTED, 2)
    finished = Case.objects.get(external_id="H1")
    assert (finished.number[:8], finished.status, finished.rating, finished.channel) == (
        "20250301", CaseStatus.ARCHIVED, "satisfied", "import")
    assert list(CaseEvent.objects.filter(case=finished).values_list("action", flat=True)) == [
        "create", "dispatch", "accept", "reply", "follow_up", "archive"]
    open_case = Case.objects.get(external_id="H2")
    assert open_case.matter is not None
    assert (open_case.status, open_case.matter.code) == (CaseStatus.RECEIVED, "M003")
    with pytest.raises(ApplicationError) as twice:
        import_batch_commit(batch_id=batch_id, actor=people.operator)
    assert twice.value.code == "import_committed"


def test_row_errors_name_row_and_column_and_nothing_is_imported(world: World, people: People) -> None:
    text = CSV_TEXT + "H3,not a date,,,不存在的事项,,,很好\n"
    batch_id = upload(text.encode("utf-8"), "bad.csv", people)
    batch = import_batch_check(batch_id=batch_id, mapping=_mapping(), actor=people.operator)
    assert batch.errors == [
        {"row": 4, "column": "来电内容", "message": "诉求内容为空"},
        {"row": 4, "column": "来电时间", "message": "受理时间无法识别（示例：2025-03-01 09:30）"},
        {"row": 4, "column": "事项", "message": "事项「不存在的事项」不在权责清单中"},
        {"row": 4, "column": "满意度", "message": "满意度只能是 满意、基本满意 或 不满意"},
    ]
    with pytest.raises(ApplicationError) as refused:
        import_batch_commit(batch_id=batch_id, actor=people.operator)
    assert refused.value.code == "import_has_errors"
    assert Case.objects.count() == 0


def test_missing_required_column_mapping(world: World, people: People) -> None:
    batch_id = upload("时间,地址\n2025-03-01,青年路\n".encode(), "few.csv", people)
    with pytest.raises(ApplicationError) as refused:
        import_batch_check(batch_id=batch_id, mapping={"created_at": "时间"}, actor=people.operator)
    assert refused.value.code == "mapping_incomplete"
    assert "诉求内容" in refused.value.message


def test_xlsx_with_merged_cells_fills_them_down(world: World, people: People) -> None:
    workbook = Workbook()
    sheet: Any = workbook.active
    sheet.append(["受理时间", "诉求内容", "地址"])
    sheet.append(["2025-05-06 09:00", "路灯不亮", "青年路"])
    sheet.append([None, "井盖松动", None])
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("C2:C3")
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch_id = upload(buffer.getvalue(), "merged.xlsx", people)
    import_batch_check(batch_id=batch_id, mapping={"created_at": "受理时间", "description": "诉求内容",
                                                   "address_text": "地址"}, actor=people.operator)
    import_batch_commit(batch_id=batch_id, actor=people.operator)
    assert sorted(Case.objects.values_list("description", "address_text", "number")) == [
        ("井盖松动", "青年路", "20250506000002"), ("路灯不亮", "青年路", "20250506000001")]


@pytest.mark.parametrize(("name", "content", "code"), [
    ("a.xls", b"whatever", "file_format"), ("a.xlsx", b"not a zip", "file_unreadable"), ("a.csv", b"", "file_empty"),
])
def test_bad_files(name: str, content: bytes, code: str, world: World, people: People) -> None:
    with pytest.raises(ApplicationError) as refused:
        upload(content, name, people)
    assert refused.value.code == code
