"""core.rows.rows_insert_linked: a row and the rows that refer to it, in one statement, all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection

from zhili.audit.models import AuditRecord
from zhili.cases.models import Case, CaseEvent
from zhili.core.rows import rows_insert_linked

AT = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)


def _case(number: str) -> Case:
    return Case(number=number, tracking_code=f"T{number}", channel="api", description="测试", created_at=AT,
                updated_at=AT)


def _event(case: Case) -> CaseEvent:
    return CaseEvent(case=case, action="create", from_status="", to_status="received", actor_label="测试",
                     occurred_at=AT, data={"n": case.number})


@pytest.mark.django_db(transaction=True)
def test_linked_rows_are_written_with_their_keys_and_links() -> None:
    case = _case("20261122900001")
    first, second = _event(case), _event(case)
    record = AuditRecord(occurred_at=AT, actor_label="测试", action="case.create", object_type="case",
                         object_id=case.number, data={"k": 1})
    rows_insert_linked(case, [(first, "case_id"), (second, "case_id"), (record, None)])
    assert not connection.in_atomic_block
    assert None not in (case.pk, first.pk, second.pk, record.pk)
    assert first.pk != second.pk
    assert (first.case_id, second.case_id) == (case.pk, case.pk)
    assert list(CaseEvent.objects.filter(case_id=case.pk).order_by("id").values_list("id", "data")) == [
        (first.pk, {"n": case.number}), (second.pk, {"n": case.number})]
    assert AuditRecord.objects.get(pk=record.pk).object_id == case.number
    assert (case._state.adding, first._state.adding, record._state.adding) == (False, False, False)


@pytest.mark.django_db(transaction=True)
def test_a_failing_row_leaves_none_of_them() -> None:
    rows_insert_linked(_case("20261122900002"), [])
    clash = _case("20261122900002")  # the number is unique: this row fails
    parent = _case("20261122900003")
    with pytest.raises(IntegrityError):
        rows_insert_linked(parent, [(_event(parent), "case_id"), (clash, None)])
    assert not Case.objects.filter(number="20261122900003").exists()
    assert CaseEvent.objects.count() == 0
    assert Case.objects.count() == 1
    with connection.cursor() as cursor:  # the connection is usable afterwards
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
