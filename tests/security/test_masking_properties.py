"""The one masker, by property: phones, landlines, ID numbers, bank cards and names in every common
written form, inside random Chinese text, never survive unmasked — in the masker, and in the case page,
the JSON API and Open311 for viewers without the personal-data permission."""

from __future__ import annotations

import json
import random

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.authorization.world import POINT_WEST, World, world_create
from tests.security.conftest import client_for
from tests.security.pii_forms import leaks_in, planted_text
from zhili.accounts.roles import Role
from zhili.cases.models import CaseChannel
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.core.personal_data import personal_text_mask

# random surroundings: Chinese characters, Chinese and ASCII punctuation, Latin letters — no digits,
# so a planted number is what a person would read as one
SURROUNDINGS = st.text(alphabet=st.one_of(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
                                          st.sampled_from("，。、；：！？（）《》 ,.;:!?-abcxyzABC")), max_size=12)


@settings(max_examples=600, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), before=SURROUNDINGS, after=SURROUNDINGS,
       items=st.integers(min_value=1, max_value=4))
def test_no_planted_value_survives_the_masker(seed: int, before: str, after: str, items: int) -> None:
    text, planted = planted_text(random.Random(seed), items=items)
    masked = personal_text_mask(before + text + after)
    assert leaks_in(masked, planted) == []


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_masking_is_idempotent(seed: int) -> None:
    text, _planted = planted_text(random.Random(seed))
    once = personal_text_mask(text)
    assert personal_text_mask(once) == once


@pytest.mark.parametrize(("text", "expected"), [
    ("门牌号12号，3幢2单元501室", "门牌号12号，3幢2单元501室"),
    ("工单20261203000123已办结", "工单20261203000123已办结"),
    ("面积12345678平方米，投资1.5亿元，2025年", "面积12345678平方米，投资1.5亿元，2025年"),
    ("经度119.987654 纬度31.723456", "经度119.987654 纬度31.723456"),
    ("统一社会信用代码91320402MA1XXXXX9Z", "统一社会信用代码91320402MA1XXXXX9Z"),
    ("联系人电话未留", "联系人电话未留"),
])
def test_ordinary_numbers_and_words_are_left_alone(text: str, expected: str) -> None:
    assert personal_text_mask(text) == expected


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_no_planted_value_reaches_a_viewer_without_the_permission(seed: int) -> None:
    world = world_create_once()
    text, planted = planted_text(random.Random(seed), items=3)
    case = case_intake(request=IntakeRequest(
        channel=CaseChannel.CITIZEN_APP, description=text, longitude=POINT_WEST[0], latitude=POINT_WEST[1],
        matter_code="M001"), actor=None).case
    outputs = [
        client_for(world, Role.LEADER).get(f"/cases/{case.number}/").content.decode(),
        json.dumps(client_for(world, Role.LEADER).get(f"/api/v1/cases/{case.number}").json(), ensure_ascii=False),
        json.dumps(Client().get(f"/open311/v2/requests/{case.number}.json").json(), ensure_ascii=False),
        Client().get(f"/cases/track/?code={case.tracking_code}").content.decode(),
    ]
    for output in outputs:
        assert leaks_in(output, planted) == []


_WORLD: dict[str, World] = {}


def world_create_once() -> World:
    """One world per test database (hypothesis runs every example inside the same test transaction)."""
    from zhili.accounts.models import User

    existing = _WORLD.get("world")
    if existing is None or not User.objects.filter(pk=existing.users[Role.LEADER].pk).exists():
        _WORLD["world"] = world_create()
    return _WORLD["world"]
