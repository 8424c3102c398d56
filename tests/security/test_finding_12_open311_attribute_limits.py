"""Finding 12 (list-valued attributes): the 200-character limit of an Open311 attribute was checked on single
values only, so ``attribute[detail_location][]=…`` repeated stored 1,000,421 characters in one request, and a
single-value attribute sent as a list (``attribute[hazard][]=yes&attribute[hazard][]=no``) was a 500.

The limit now applies to the whole value — the items of a list together — and a list holds at most
ATTRIBUTE_MAX_ITEMS items; a single-value attribute takes exactly one value. Refusals are 400 in the Open311
error format, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.authorization.world import POINT_WEST, World
from zhili.cases.models import Case
from zhili.cases.services.api_keys import api_key_issue

pytestmark = pytest.mark.django_db
ATTRIBUTE_MAX_CHARACTERS = 200  # the limit of the finding (zhili.cases.open311.ATTRIBUTE_MAX_CHARACTERS)
ATTRIBUTE_MAX_ITEMS = 10  # zhili.cases.open311.ATTRIBUTE_MAX_ITEMS


@pytest.fixture
def post(world: World) -> Any:
    key = api_key_issue(name="第三方").raw_key

    def send(attributes: dict[str, Any]) -> Any:
        return Client().post("/open311/v2/requests.json", {
            "api_key": key, "service_code": "M001", "lat": str(POINT_WEST[1]), "long": str(POINT_WEST[0]),
            "description": "路灯不亮", **attributes})

    return send


def _refused(response: Any, fragment: str) -> None:
    assert response.status_code == 400
    body = response.json()
    assert body[0]["code"] == 400
    assert fragment in body[0]["description"]


def test_a_million_characters_in_a_list_are_refused_and_nothing_is_stored(world: World, post: Any) -> None:
    before = Case.objects.count()
    response = post({"attribute[detail_location][]": ["x" * 200_000] * 5})
    _refused(response, "过长")
    assert "1000000" in response.json()[0]["description"]
    assert Case.objects.count() == before


def test_the_limit_is_on_the_items_together(world: World, post: Any) -> None:
    before = Case.objects.count()
    share = ATTRIBUTE_MAX_CHARACTERS // 3 + 1  # each item short, the three together one too many
    _refused(post({"attribute[detail_location][]": ["x" * share] * 3}), f"最多 {ATTRIBUTE_MAX_CHARACTERS} 个字符")
    # a single value and a list of the same attribute count together too
    _refused(post({"attribute[detail_location]": "y" * 150, "attribute[detail_location][]": ["z" * 60]}), "过长")
    assert Case.objects.count() == before
    accepted = post({"attribute[detail_location][]": ["x" * (share - 2)] * 3})
    assert accepted.status_code == 201
    case = Case.objects.get(number=accepted.json()[0]["service_request_id"])
    assert case.attributes["detail_location"] == ["x" * (share - 2)] * 3
    assert sum(len(item) for item in case.attributes["detail_location"]) <= ATTRIBUTE_MAX_CHARACTERS


def test_a_list_holds_a_limited_number_of_items(world: World, post: Any) -> None:
    before = Case.objects.count()
    _refused(post({"attribute[detail_location][]": ["a"] * (ATTRIBUTE_MAX_ITEMS + 1)}),
             f"最多 {ATTRIBUTE_MAX_ITEMS} 项")
    assert Case.objects.count() == before
    assert post({"attribute[detail_location][]": ["a"] * ATTRIBUTE_MAX_ITEMS}).status_code == 201


def test_a_single_value_attribute_takes_one_value(world: World, post: Any) -> None:
    before = Case.objects.count()
    _refused(post({"attribute[hazard][]": ["yes", "no"]}), "只能有一个取值")
    _refused(post({"attribute[hazard][]": ["maybe"]}), "取值无效")
    assert Case.objects.count() == before
    accepted = post({"attribute[hazard][]": ["yes"]})  # a list of one is that value
    assert accepted.status_code == 201
    case = Case.objects.get(number=accepted.json()[0]["service_request_id"])
    assert case.attributes == {"hazard": "yes"}


def test_no_request_stores_more_than_the_limit(world: World, post: Any) -> None:
    """Whatever mix of single and list values is posted, what is stored stays within the limits."""
    for attributes in ({"attribute[detail_location]": "q" * 200}, {"attribute[detail_location][]": ["q" * 20] * 10},
                       {"attribute[detail_location][]": ["q" * 201]}, {"attribute[detail_location]": "q" * 201},
                       {"attribute[detail_location][]": ["q"] * 11}):
        post(attributes)
    stored = [case.attributes["detail_location"] for case in Case.objects.exclude(attributes={})]
    assert len(stored) == 2  # the two within the limits
    for value in stored:
        items = value if isinstance(value, list) else [value]
        assert len(items) <= ATTRIBUTE_MAX_ITEMS
        assert sum(len(item) for item in items) <= ATTRIBUTE_MAX_CHARACTERS
