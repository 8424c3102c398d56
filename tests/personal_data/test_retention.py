"""Data retention: closed cases lose the reporter's personal data after the configured period."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tests.authorization.world import World, world_create
from zhili.accounts.roles import Role
from zhili.audit.models import AuditRecord
from zhili.cases.models import Case, CaseChannel
from zhili.cases.personal_data import personal_decrypt
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.services.retention import cases_personal_data_anonymise
from zhili.cases.tasks import personal_data_retention_periodic
from zhili.core import clock

PERSONAL_FIELDS = ("reporter_name_encrypted", "reporter_phone_encrypted", "reporter_id_number_encrypted",
                   "reporter_name_masked", "reporter_phone_masked", "reporter_phone_hash")


@pytest.fixture
def world(db: None) -> World:
    return world_create()


def _closed_case(world: World, *, phone: str, closed_at: dt.datetime) -> Case:
    with clock.frozen(closed_at):
        case = case_intake(request=IntakeRequest(
            channel=CaseChannel.HOTLINE, description="垃圾桶满了没人清运", longitude=119.925, latitude=31.725,
            reporter_name="周七", reporter_phone=phone, reporter_id_number="320402198801011234", matter_code="M001",
        ), actor=world.users[Role.OPERATOR]).case
        case_transition(case_id=case.pk, action="cancel", actor=world.users[Role.ADMIN],
                        details=TransitionDetails(note="重复反映"))
    return Case.objects.get(pk=case.pk)


def test_closed_cases_past_the_period_are_anonymised_and_nothing_else(world: World,
                                                                      settings: Any) -> None:
    settings.ZHILI_PERSONAL_DATA_RETENTION_DAYS = 30
    now = clock.now()
    old = _closed_case(world, phone="13700001111", closed_at=now - dt.timedelta(days=45))
    recent = _closed_case(world, phone="13700002222", closed_at=now - dt.timedelta(days=5))
    assert old.closed_at is not None
    assert personal_decrypt(old.reporter_phone_encrypted) == "13700001111"

    result = cases_personal_data_anonymise()

    assert result.anonymised == 1
    old.refresh_from_db()
    assert [getattr(old, field) for field in PERSONAL_FIELDS] == [""] * len(PERSONAL_FIELDS)
    assert (old.status, old.description) == ("cancelled", "垃圾桶满了没人清运")  # the case itself stays
    recent.refresh_from_db()
    assert personal_decrypt(recent.reporter_phone_encrypted) == "13700002222"
    open_case = Case.objects.get(pk=world.case_in.pk)
    assert open_case.reporter_phone_masked == "138****5678"  # open cases are never touched
    client = Client()
    client.force_login(world.users[Role.ADMIN])
    assert client.get(f"/api/v1/cases/{old.number}").json()["reporter_phone"] == ""
    record = AuditRecord.objects.filter(action="case.personal_data_anonymise").get()
    assert record.data["count"] == 1


def test_retention_is_idempotent_and_runs_as_a_nightly_job(world: World, settings: Any) -> None:
    settings.ZHILI_PERSONAL_DATA_RETENTION_DAYS = 10
    _closed_case(world, phone="13700003333", closed_at=clock.now() - dt.timedelta(days=11))
    assert personal_data_retention_periodic.call_local() == 1
    assert personal_data_retention_periodic.call_local() == 0
    assert AuditRecord.objects.filter(action="case.personal_data_anonymise").count() == 1


def test_default_period_keeps_recently_closed_personal_data(world: World) -> None:
    _closed_case(world, phone="13700004444", closed_at=clock.now() - dt.timedelta(days=400))
    assert cases_personal_data_anonymise().anonymised == 0
